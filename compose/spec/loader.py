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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.errors import ComposeFileError, Location, UsageError
from compose.spec.load import profiles, projectenv, reads
from compose.spec.load.assemble import Context, assemble_project
from compose.spec.load.canonical import canonicalize
from compose.spec.load.checks import check_project
from compose.spec.load.discover import LoadOptions as LoadOptions  # the loader's API
from compose.spec.load.discover import absolute, find_files, project_environment
from compose.spec.load.interpolate import InterpolationError, substitute
from compose.spec.load.parse import Document, parse_yaml
from compose.spec.load.rules import check_rules
from compose.spec.load.typed import build_project, unsupported
from compose.spec.loaded import Loaded as Loaded  # the loader's API
from compose.spec.names import normalize_project_name
from compose.spec.sources import Sources


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
    inputs: tuple[str, ...] = ()
    """Every file read, absolute: Compose files (included, extended) and env files."""


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
    with reads.recording() as noted:  # env and label files, an include's .env, variables
        raw = load_raw(options)
        check_rules(raw.data, raw.sources, decode=options.interpolate)
        canonical = canonicalize(raw.data, project_name=raw.name,
                                 working_dir=raw.working_dir,
                                 resolve_paths=options.resolve_paths,
                                 environ=raw.environ, sources=raw.sources)
        if options.consistency and options.interpolate:
            # docker compose's `config --no-interpolate` prints the model unchecked:
            # its references may still be variables
            check_project(canonical, raw.data, raw.sources)
        project = build_project(canonical, working_dir=raw.working_dir,
                                config_files=raw.files, sources=raw.sources,
                                environ=raw.environ)
    variables = None if noted.every_variable else tuple(sorted(noted.variables))
    return Loaded(project, canonical, (*raw.warnings, *unsupported(canonical)),
                  (*raw.files, *raw.inputs, *noted.paths), variables)


def load_raw(options: LoadOptions) -> RawProject:
    files = find_files(options)
    working_dir = absolute(options.cwd, options.project_directory or os.path.dirname(files[0]))
    environ = reads.Watched(project_environment(options, working_dir))
    warnings: list[str] = []
    read = _ReadOnce()
    name = choose_project_name(options, files, working_dir, environ, warnings.append, read)
    environ = environ.plus({"COMPOSE_PROJECT_NAME": name})
    assembled = assemble_project(files, Context(
        working_dir, environ, options.interpolate, read, read.env_file,
        warnings.append, None if options.resolve_paths else working_dir))
    sources = Sources(assembled.documents)
    merged = assembled.data
    merged = profiles.apply(merged, options.profiles, options.services, environ)
    return RawProject(merged, name, working_dir, tuple(files), environ, sources,
                      tuple(warnings), tuple(read.paths))


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
        self.paths: list[str] = []
        """Every file read, absolute (what the load cache checks)."""

    def __call__(self, path: str) -> Document:
        document = self.parsed.pop(path, None)
        return document if document is not None else self._read(path)

    def keep(self, path: str) -> Document:
        self.parsed[path] = document = self._read(path)
        return document

    def env_file(self, path: str, environ: Mapping[str, str]) -> dict[str, str]:
        self.paths.append(os.path.abspath(path))
        return read_dotenv(Path(path), required=True, environ=environ)

    def _read(self, path: str) -> Document:
        self.paths.append(os.path.abspath(path))
        return read_document(path)


def read_document(path: str) -> Document:
    display = _display(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ComposeFileError(Location(display), "not UTF-8 text") from None
    except OSError as exc:
        raise ComposeFileError(Location(display), exc.strerror or str(exc)) from None
    return parse_yaml(text, display)


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
