"""Compose files to a ``Project``: find, parse, validate, merge, canonicalise.

Each phase is a small function over plain data; only ``load_project`` touches the
filesystem.  Every error names the file, line and key it concerns.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from compose import names
from compose.dotenv import DotenvError, parse_dotenv
from compose.durations import parse_duration
from compose.errors import ComposeFileError, Location, UsageError
from compose.graph import DependencyCycle, start_order
from compose.interpolate import interpolate
from compose.model import DEFAULT_NETWORK, Dependency, Network, Project, Service, frozen_map
from compose.parse import Document, KeyPath, parse_yaml
from compose.validate import validate

DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")

# Service keys the engine acts on today; every other valid key is reported as
# ignored, never dropped silently.
SUPPORTED_SERVICE_KEYS = frozenset({
    "image", "command", "entrypoint", "environment", "depends_on", "container_name",
    "hostname", "working_dir", "user", "stop_signal", "stop_grace_period", "labels",
})


@dataclass(frozen=True)
class LoadOptions:
    """What the command line and the environment say about where the project is."""

    files: tuple[str, ...] = ()
    project_name: str | None = None
    project_directory: str | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: str = field(default_factory=os.getcwd)


@dataclass(frozen=True)
class Loaded:
    project: Project
    warnings: tuple[str, ...] = ()


def load_project(options: LoadOptions) -> Loaded:
    files = find_files(options)
    working_dir = str(Path(options.project_directory or os.path.dirname(files[0])).resolve())
    environ = {**read_dotenv(Path(working_dir) / ".env"), **options.environ}
    warnings: list[str] = []
    documents = [interpolate(_read(path), environ, warnings.append) for path in files]
    for document in documents:
        validate(document)
    sources = _Sources(tuple(documents))
    merged = merge_documents([d.data for d in documents])
    project_name = choose_project_name(options, merged, working_dir, sources, environ)
    loaded = build_project(merged, project_name, working_dir, tuple(files), environ, sources)
    return Loaded(loaded.project, (*warnings, *loaded.warnings))


def read_dotenv(path: Path) -> dict[str, str]:
    """The project's ``.env``; missing is empty, malformed is an error at its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ComposeFileError(Location(str(path)), str(exc)) from None
    try:
        return parse_dotenv(text)
    except DotenvError as exc:
        raise ComposeFileError(Location(os.path.relpath(path), exc.line), str(exc)) from None


def find_files(options: LoadOptions) -> list[str]:
    """``-f`` files, else ``COMPOSE_FILE``, else the first default name found
    in the working directory or one of its parents."""
    given = list(options.files)
    if not given and options.environ.get("COMPOSE_FILE"):
        given = [f for f in options.environ["COMPOSE_FILE"].split(os.pathsep) if f]
    if given:
        resolved = []
        for name in given:
            path = Path(options.cwd, name).resolve()
            if not path.is_file():
                raise UsageError(f"{name}: no such file")
            resolved.append(str(path))
        return resolved
    directory = Path(options.project_directory or options.cwd).resolve()
    for candidate_dir in (directory, *directory.parents):
        for name in DEFAULT_FILES:
            path = candidate_dir / name
            if path.is_file():
                return [str(path)]
    raise UsageError(
        f"no configuration file provided: none of {', '.join(DEFAULT_FILES)} "
        f"found in {directory} or its parents"
    )


def _read(path: str) -> Document:
    display = os.path.relpath(path) if not os.path.relpath(path).startswith("..") else path
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ComposeFileError(Location(display), "not UTF-8 text") from None
    except OSError as exc:
        raise ComposeFileError(Location(display), exc.strerror or str(exc)) from None
    return parse_yaml(text, display)


@dataclass(frozen=True)
class _Sources:
    """The parsed files, to find which one a key path came from."""

    documents: tuple[Document, ...]

    def error(self, path: KeyPath, message: str) -> ComposeFileError:
        best = self.documents[-1]
        best_depth = -1
        for document in reversed(self.documents):
            depth = len(path)
            while depth > 0 and path[:depth] not in document.positions:
                depth -= 1
            if depth > best_depth:
                best, best_depth = document, depth
        return best.error(path, message)


def merge_documents(datas: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Later files override earlier ones: mappings merge by key, all else is replaced.

    (The specification's finer rules for sequences arrive with the full loader.)
    """
    merged: dict[str, Any] = {}
    for data in datas:
        merged = _merge(merged, data)
    return merged


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        result = dict(base)
        for key, value in override.items():
            result[key] = _merge(base[key], value) if key in base else value
        return result
    return override


def choose_project_name(
    options: LoadOptions, data: Mapping[str, Any], working_dir: str, sources: _Sources,
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


def build_project(
    data: Mapping[str, Any],
    project_name: str,
    working_dir: str,
    config_files: tuple[str, ...],
    environ: Mapping[str, str],
    sources: _Sources,
) -> Loaded:
    warnings: list[str] = []
    raw_services = data.get("services") or {}
    if not raw_services:
        raise sources.error(("services",), "no services defined")
    services: dict[str, Service] = {}
    for name, raw in raw_services.items():
        services[name] = _service(str(name), raw or {}, environ, sources, warnings)
    for service in services.values():
        for dep, dependency in service.depends_on.items():
            if dependency.condition != "service_started":
                warnings.append(
                    f"services.{service.name}.depends_on.{dep}: condition "
                    f"{dependency.condition!r} is not supported yet; only the start order is kept"
                )
            if dep not in services:
                raise sources.error(
                    ("services", service.name, "depends_on", dep),
                    f"service {service.name!r} depends on undefined service {dep!r}",
                )
    graph = {name: tuple(s.depends_on) for name, s in services.items()}
    try:
        start_order(graph)
    except DependencyCycle as exc:
        raise sources.error(("services", exc.cycle[0], "depends_on"), str(exc)) from None
    for key in data:
        if key in {"networks", "volumes", "secrets", "configs", "include", "models"} and data[key]:
            warnings.append(f"top-level {key!r} is not supported yet and is ignored")
    default = Network(DEFAULT_NETWORK, names.network_name(project_name, DEFAULT_NETWORK))
    networks = {DEFAULT_NETWORK: default}
    project = Project(
        name=project_name,
        working_dir=working_dir,
        config_files=config_files,
        services=MappingProxyType(services),
        networks=MappingProxyType(networks),
    )
    return Loaded(project, tuple(warnings))


def _service(
    name: str,
    raw: Mapping[str, Any],
    environ: Mapping[str, str],
    sources: _Sources,
    warnings: list[str],
) -> Service:
    where: KeyPath = ("services", name)
    for key in raw:
        if key not in SUPPORTED_SERVICE_KEYS and not str(key).startswith("x-"):
            warnings.append(f"services.{name}.{key} is not supported yet and is ignored")
    image = raw.get("image")
    if not image:
        if "build" in raw:
            raise sources.error((*where, "build"), "building images is not supported yet")
        raise sources.error(where, f"service {name!r} has neither an image nor a build context")
    grace = 10.0
    if "stop_grace_period" in raw:
        try:
            grace = parse_duration(raw["stop_grace_period"])
        except ValueError as exc:
            raise sources.error((*where, "stop_grace_period"), str(exc)) from None
    return Service(
        name=name,
        image=str(image),
        command=_command(raw.get("command")),
        entrypoint=_command(raw.get("entrypoint")),
        environment=_environment(raw.get("environment"), environ),
        depends_on=_depends_on(raw.get("depends_on")),
        container_name=raw.get("container_name"),
        hostname=raw.get("hostname"),
        working_dir=raw.get("working_dir"),
        user=None if raw.get("user") is None else str(raw["user"]),
        stop_signal=raw.get("stop_signal"),
        stop_grace_period=grace,
        labels=_string_map(raw.get("labels"), environ, inherit=False),
    )


def _command(value: Any) -> tuple[str, ...] | None:
    """A string is split like a shell would (compose-go uses shellwords); a list is kept."""
    if value is None:
        return None
    if isinstance(value, str):
        return tuple(shlex.split(value))
    return tuple(str(v) for v in value)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _string_map(value: Any, environ: Mapping[str, str], *, inherit: bool) -> Mapping[str, str]:
    """Mapping or ``KEY=VALUE`` list form.  With ``inherit``, a key given without a value
    takes its value from the environment and is dropped when that is unset."""
    result: dict[str, str] = {}
    if isinstance(value, dict):
        items = list(value.items())
    else:
        items = []
        for entry in value or []:
            key, sep, rest = str(entry).partition("=")
            items.append((key, rest if sep else None))
    for key, raw in items:
        if raw is None:
            if inherit and key in environ:
                result[str(key)] = environ[key]
            elif not inherit:
                result[str(key)] = ""
            continue
        result[str(key)] = _scalar(raw)
    return frozen_map(result)


def _environment(value: Any, environ: Mapping[str, str]) -> Mapping[str, str]:
    return _string_map(value, environ, inherit=True)


def _depends_on(value: Any) -> Mapping[str, Dependency]:
    if not value:
        return MappingProxyType({})
    if isinstance(value, list):
        return MappingProxyType({str(v): Dependency() for v in value})
    return MappingProxyType({
        str(k): Dependency(
            condition=(v or {}).get("condition", "service_started"),
            required=(v or {}).get("required", True),
            restart=(v or {}).get("restart", False),
        )
        for k, v in value.items()
    })
