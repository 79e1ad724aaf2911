"""Compose files to a ``Project``: the loading pipeline, phase by phase.

    find files -> environment (.env, --env-file, process) -> for each file:
    parse -> interpolate -> validate -> merge (later files override) ->
    project name -> canonical form -> semantic checks -> typed model

Each phase is a small function over plain data in its own module; only this
module touches the filesystem to find and read files.  Every error names the
file, line and key it concerns.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compose import names
from compose.build import build_project, unsupported
from compose.canonical import canonicalize
from compose.checks import check_project
from compose.dotenv import DotenvError, parse_dotenv
from compose.errors import ComposeFileError, Location, UsageError
from compose.interpolate import interpolate
from compose.merge import merge_documents
from compose.model import Project
from compose.parse import Document, parse_yaml
from compose.sources import Sources
from compose.validate import validate

DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
# compose-go's DefaultFileNames and DefaultOverrideFileNames, in order of preference.
OVERRIDE_FILES = ("compose.override.yml", "compose.override.yaml",
                  "docker-compose.override.yml", "docker-compose.override.yaml")


@dataclass(frozen=True)
class LoadOptions:
    """What the command line and the environment say about where the project is."""

    files: tuple[str, ...] = ()
    project_name: str | None = None
    project_directory: str | None = None
    env_files: tuple[str, ...] = ()
    interpolate: bool = True
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: str = field(default_factory=os.getcwd)


@dataclass(frozen=True)
class RawProject:
    """The merged files before canonicalisation (``config --no-normalize``)."""

    data: dict[str, Any]
    name: str
    working_dir: str
    files: tuple[str, ...]
    environ: Mapping[str, str]
    sources: Sources
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Loaded:
    project: Project
    canonical: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def load_project(options: LoadOptions) -> Loaded:
    raw = load_raw(options)
    canonical = canonicalize(raw.data, project_name=raw.name, working_dir=raw.working_dir,
                             environ=raw.environ, sources=raw.sources)
    check_project(canonical, raw.sources)
    project = build_project(canonical, working_dir=raw.working_dir, config_files=raw.files,
                            sources=raw.sources)
    return Loaded(project, canonical, (*raw.warnings, *unsupported(canonical)))


def load_raw(options: LoadOptions) -> RawProject:
    files = find_files(options)
    working_dir = str(Path(options.cwd, options.project_directory or os.path.dirname(files[0]))
                      .resolve())
    environ = project_environment(options, working_dir)
    warnings: list[str] = []
    documents = []
    for path in files:
        document = read_document(path)
        if options.interpolate:
            document = interpolate(document, environ, warnings.append)
        validate(document)
        documents.append(document)
    sources = Sources(tuple(documents))
    merged = merge_documents([d.data for d in documents])
    name = choose_project_name(options, merged, working_dir, sources, environ)
    return RawProject(merged, name, working_dir, tuple(files), environ, sources,
                      tuple(warnings))


def find_files(options: LoadOptions) -> list[str]:
    """``-f`` files, else ``COMPOSE_FILE``, else the first default name found in the
    working directory or one of its parents, with its override file if present."""
    given = list(options.files)
    if not given and options.environ.get("COMPOSE_FILE"):
        separator = options.environ.get("COMPOSE_PATH_SEPARATOR") or os.pathsep
        given = [f for f in options.environ["COMPOSE_FILE"].split(separator) if f]
    if given:
        resolved = []
        for name in given:
            path = Path(options.cwd, name).resolve()
            if not path.is_file():
                raise UsageError(f"{name}: no such file")
            resolved.append(str(path))
        return resolved
    directory = Path(options.cwd, options.project_directory or ".").resolve()
    for candidate_dir in (directory, *directory.parents):
        for name in DEFAULT_FILES:
            path = candidate_dir / name
            if path.is_file():
                found = [str(path)]
                for override in OVERRIDE_FILES:
                    if (candidate_dir / override).is_file():
                        found.append(str(candidate_dir / override))
                        break
                return found
    raise UsageError(
        f"no configuration file provided: none of {', '.join(DEFAULT_FILES)} "
        f"found in {directory} or its parents"
    )


def project_environment(options: LoadOptions, working_dir: str) -> dict[str, str]:
    """What interpolation sees: ``--env-file`` files (else the project's ``.env``),
    overridden by the process environment."""
    env_files = [Path(options.cwd, f) for f in options.env_files] or [Path(working_dir, ".env")]
    values: dict[str, str] = {}
    for path in env_files:
        values.update(read_dotenv(path, required=bool(options.env_files)))
    return {**values, **options.environ}


def read_dotenv(path: Path, *, required: bool = False) -> dict[str, str]:
    """An env file; missing is empty unless required, malformed is an error at its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if required:
            raise UsageError(f"{path}: no such file") from None
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ComposeFileError(Location(str(path)), str(exc)) from None
    try:
        return parse_dotenv(text)
    except DotenvError as exc:
        raise ComposeFileError(Location(_display(str(path)), exc.line), str(exc)) from None


def _display(path: str) -> str:
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def read_document(path: str) -> Document:
    display = _display(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ComposeFileError(Location(display), "not UTF-8 text") from None
    except OSError as exc:
        raise ComposeFileError(Location(display), exc.strerror or str(exc)) from None
    return parse_yaml(text, display)


def choose_project_name(
    options: LoadOptions, data: Mapping[str, Any], working_dir: str, sources: Sources,
    environ: Mapping[str, str],
) -> str:
    """``-p``, else ``COMPOSE_PROJECT_NAME`` (from the environment or ``.env``), else
    top-level ``name:``, else the project directory's name, normalised."""
    for raw, origin in (
        (options.project_name, "-p"),
        (environ.get("COMPOSE_PROJECT_NAME") or None, "COMPOSE_PROJECT_NAME"),
    ):
        if raw is not None:
            if not names.is_valid_project_name(raw):
                raise UsageError(
                    f"invalid project name {raw!r} from {origin}: use lowercase letters, digits, "
                    "'-' and '_', starting with a letter or digit"
                )
            return raw
    if isinstance(data.get("name"), str):
        name = names.normalize_project_name(data["name"])
        if not name:
            raise sources.error(("name",), f"{data['name']!r} is not a valid project name")
        return name
    name = names.normalize_project_name(os.path.basename(working_dir))
    if not name:
        raise UsageError(
            f"cannot derive a project name from directory {working_dir!r}; use -p NAME"
        )
    return name
