"""Compose files to a ``Project``: the loading pipeline, phase by phase.

    find files -> environment (.env, --env-file, process) -> for each file:
    parse -> interpolate -> validate -> merge (later files override) ->
    project name -> canonical form -> semantic checks -> typed model

Each phase is a small function over plain data in its own module; only this
module touches the filesystem to find and read files.  Every error names the
file, line and key it concerns.
"""

from __future__ import annotations

import gc
import os
import posixpath
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.errors import ComposeFileError, Location, UsageError
from compose.spec.load import profiles, projectenv
from compose.spec.load.assemble import Context, assemble_project
from compose.spec.load.canonical import canonicalize
from compose.spec.load.checks import check_project
from compose.spec.load.interpolate import InterpolationError, substitute
from compose.spec.load.parse import Document, parse_yaml
from compose.spec.load.rules import check_rules
from compose.spec.load.typed import build_project, unsupported
from compose.spec.model import Project
from compose.spec.names import normalize_project_name
from compose.spec.sources import Sources

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
    consistency: bool = True
    # `config --no-path-resolution`: relative paths are printed as written (those of
    # included and extended files relative to the project directory)
    resolve_paths: bool = True
    # --profile (else COMPOSE_PROFILES); services named on the command line enable
    # their own profiles, as docker compose's WithServicesEnabled does.
    profiles: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
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
    """The project ``options`` name, loaded.  The cyclic garbage collector waits
    meanwhile: loading makes hundreds of thousands of small objects and no cycle
    worth collecting, and its passes over them took a tenth of the time."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _load_project(options)
    finally:
        if collecting:
            gc.enable()


def _load_project(options: LoadOptions) -> Loaded:
    raw = load_raw(options)
    check_rules(raw.data, raw.sources, decode=options.interpolate)
    canonical = canonicalize(raw.data, project_name=raw.name, working_dir=raw.working_dir,
                             resolve_paths=options.resolve_paths,
                             environ=raw.environ, sources=raw.sources)
    if options.consistency and options.interpolate:
        # docker compose's `config --no-interpolate` prints the model unchecked: its
        # references may still be variables
        check_project(canonical, raw.data, raw.sources)
    project = build_project(canonical, working_dir=raw.working_dir, config_files=raw.files,
                            sources=raw.sources, environ=raw.environ)
    return Loaded(project, canonical, (*raw.warnings, *unsupported(canonical)))


def load_raw(options: LoadOptions) -> RawProject:
    files = find_files(options)
    working_dir = absolute(options.cwd, options.project_directory or os.path.dirname(files[0]))
    environ = project_environment(options, working_dir)
    warnings: list[str] = []
    read = _ReadOnce()
    name = choose_project_name(options, files, working_dir, environ, warnings.append, read)
    environ = {**environ, "COMPOSE_PROJECT_NAME": name}
    assembled = assemble_project(files, Context(
        working_dir, environ, options.interpolate, read,
        lambda path, env: read_dotenv(Path(path), required=True, environ=env),
        warnings.append, None if options.resolve_paths else working_dir))
    sources = Sources(assembled.documents)
    merged = assembled.data
    merged = profiles.apply(merged, options.profiles, options.services, environ)
    return RawProject(merged, name, working_dir, tuple(files), environ, sources,
                      tuple(warnings))


def find_files(options: LoadOptions) -> list[str]:
    """``-f`` files, else ``COMPOSE_FILE`` (the process environment or the first
    ``.env``), else the first default name found in the project directory or one of
    its parents, with its override file if present."""
    given = list(options.files) or projectenv.compose_file_variable(first_environment(options))
    if given:
        resolved = []
        for name in given:
            path = Path(absolute(options.cwd, name))
            if not path.is_file():
                raise UsageError(f"{name}: no such file")
            resolved.append(str(path))
        return resolved
    directory = Path(absolute(options.cwd, options.project_directory or "."))
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


def first_environment(options: LoadOptions) -> dict[str, str]:
    """The process environment plus the env files docker compose reads before it
    knows the Compose files: ``--env-file``/``COMPOSE_ENV_FILES``, else the ``.env``
    of ``--project-directory``, of the first ``-f`` file's folder, or of the cwd."""
    explicit = projectenv.explicit_env_files(options.env_files, options.environ, options.cwd)
    if explicit:
        return projectenv.with_env_files(options.environ, explicit)
    first = options.project_directory or (os.path.dirname(options.files[0]) if options.files
                                          else ".")
    directory = str(Path(options.cwd, first))
    return projectenv.with_env_files(
        options.environ, projectenv.default_env_file(directory, options.environ))


def project_environment(options: LoadOptions, working_dir: str) -> dict[str, str]:
    """What interpolation sees: the first environment, then the project directory's
    ``.env`` for keys still unset (unless env files were given explicitly)."""
    environ = first_environment(options)
    if projectenv.explicit_env_files(options.env_files, options.environ, options.cwd):
        return environ
    return projectenv.with_env_files(
        environ, projectenv.default_env_file(working_dir, options.environ))


def read_dotenv(path: Path, *, required: bool = False,
                environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """An env file; missing is empty unless required, malformed is an error at its line."""
    if not required and not path.is_file():
        return {}
    return projectenv.read_env_files([path], environ or {})


def _display(path: str) -> str:
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


class _ReadOnce:
    """``read_document``, where the files read to choose the project's name are
    parsed once: the loader's first read of each gets that parse (later reads, of a
    file extended twice say, parse it again, so no two users share its data)."""

    def __init__(self) -> None:
        self.parsed: dict[str, Document] = {}

    def __call__(self, path: str) -> Document:
        document = self.parsed.pop(path, None)
        return document if document is not None else read_document(path)

    def keep(self, path: str) -> Document:
        self.parsed[path] = document = read_document(path)
        return document


def read_document(path: str) -> Document:
    display = _display(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ComposeFileError(Location(display), "not UTF-8 text") from None
    except OSError as exc:
        raise ComposeFileError(Location(display), exc.strerror or str(exc)) from None
    return parse_yaml(text, display)


def absolute(base: str, path: str) -> str:
    """Go's ``filepath.Abs``: joined and cleaned lexically, so a folder reached
    through a symlink keeps the path it was given (as docker compose prints it)."""
    return posixpath.normpath(posixpath.join(base, path))


def choose_project_name(options: LoadOptions, files: Sequence[str], working_dir: str,
                        environ: Mapping[str, str],
                        warn: Callable[[str], None] = lambda _: None,
                        read: _ReadOnce | None = None) -> str:
    """``-p``, else ``COMPOSE_PROJECT_NAME`` (environment or ``.env``), both used
    verbatim and so checked; else the last ``name:`` of the files, interpolated and
    normalised; else the project directory's name, normalised."""
    if options.project_name:
        return projectenv.checked_project_name(options.project_name)
    if environ.get("COMPOSE_PROJECT_NAME"):
        return projectenv.checked_project_name(environ["COMPOSE_PROJECT_NAME"])
    name = normalize_project_name(os.path.basename(working_dir))
    named: tuple[Document, str] | None = None
    for path in files:
        try:
            document = read.keep(path) if read is not None else read_document(path)
        except ComposeFileError:
            continue  # reported when the file is loaded
        for part in (document, *document.following):  # `---` documents count too
            raw = part.data.get("name") if isinstance(part.data, dict) else None
            if isinstance(raw, str) and raw:
                named = (part, raw)
    if named is None and os.path.basename(os.path.realpath(working_dir)) != \
            os.path.basename(working_dir):
        warn("project has been loaded without an explicit name from a symlink. "
             f'Using name "{os.path.basename(working_dir)}"')
    if named is not None:
        document, raw = named
        try:
            value = substitute(raw, environ, lambda _: None) if options.interpolate else raw
        except InterpolationError as exc:
            raise document.error(("name",), f"error while interpolating name: {exc}") from None
        name = normalize_project_name(value)
    if not name:
        raise UsageError("project name must not be empty")
    return name
