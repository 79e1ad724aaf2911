"""``include``: other Compose projects whose resources become part of this one.

Each entry is a path (or a list: a file and its overrides), optionally with a
``project_directory`` (default: the included file's directory) and ``env_file``s
(default: that directory's ``.env``).  An included project is loaded on its own:
its relative paths are relative to its project directory and its interpolation
sees its env files, under the including project's environment.  Its services,
networks, volumes, secrets and configs are then added to the including file; a
name defined on both sides is an error unless both definitions are identical.
Including a file that is already being loaded is a cycle.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from compose.spec.load import reads
from compose.spec.load.parse import Document, KeyPath

RESOURCES = ("services", "volumes", "networks", "secrets", "configs")


@dataclass(frozen=True)
class Included:
    """An included project, loaded: its merged data and the documents it came from."""

    data: dict[str, Any]
    documents: tuple[Document, ...]


@dataclass(frozen=True)
class IncludeRequest:
    """What loading one ``include`` entry needs."""

    files: tuple[str, ...]  # absolute; the first one names the project directory
    project_dir: str
    environ: Mapping[str, str]
    chain: tuple[str, ...]  # files being loaded, outermost first: a cycle guard


LoadProject = Callable[[IncludeRequest], Included]
ReadEnv = Callable[[str, Mapping[str, str]], Mapping[str, str]]  # env file, interpolation env


def apply_include(data: dict[str, Any], document: Document, *, working_dir: str,
                  environ: Mapping[str, str], chain: tuple[str, ...], load: LoadProject,
                  read_env: ReadEnv) -> tuple[dict[str, Any], tuple[Document, ...]]:
    """``data`` with the resources of its included projects added and ``include`` gone."""
    if "include" not in data:
        return data, ()
    entries = data["include"]
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise document.error(("include",), f"`include` must be a list, got {entries}")
    result = {k: v for k, v in data.items() if k != "include"}
    documents: list[Document] = []
    for index, entry in enumerate(entries):
        where: KeyPath = ("include", index)
        request = _request(entry, where, document, working_dir, environ, chain, read_env)
        included = load(request)
        documents.extend(included.documents)
        result = _import(included.data, result, document)
    return result, tuple(documents)


def _request(entry: Any, where: KeyPath, document: Document, working_dir: str,
             environ: Mapping[str, str], chain: tuple[str, ...],
             read_env: ReadEnv) -> IncludeRequest:
    if isinstance(entry, str):
        entry = {"path": entry}
    if not isinstance(entry, dict):
        raise document.error(where, "must be a string or a mapping")
    paths = _strings(entry.get("path"), (*where, "path"), document)
    if not paths:
        raise document.error(where, "'path' is required")
    files = tuple(os.path.normpath(os.path.join(working_dir, p)) for p in paths)
    for file in files:
        if not os.path.isfile(file):
            raise document.error((*where, "path"), f"open {file}: no such file or directory")
    if files[0] in chain:
        cycle = " -> ".join((*chain, files[0]))
        raise document.error((*where, "path"), f"include cycle detected: {cycle}")
    directory = entry.get("project_directory")
    if directory is not None and not isinstance(directory, str):
        raise document.error((*where, "project_directory"), "must be a string")
    project_dir = (os.path.dirname(files[0]) if not directory
                   else os.path.normpath(os.path.join(working_dir, directory)))
    env_files = _strings(entry.get("env_file"), (*where, "env_file"), document)
    if env_files:
        env_paths = [os.path.join(working_dir, f) for f in env_files]
        for path in env_paths:
            if not os.path.exists(path):
                raise document.error((*where, "env_file"),
                                     f"stat {path}: no such file or directory")
            if os.path.isdir(path):
                raise document.error((*where, "env_file"), f"{path} is not a file")
    else:
        default = os.path.join(project_dir, ".env")
        reads.note(default)  # its absence matters too
        env_paths = [default] if os.path.isfile(default) else []
    from_files: dict[str, str] = {}
    for path in env_paths:
        from_files.update(read_env(path, environ))
    # The including project's environment wins over the include's env files.
    return IncludeRequest(files, project_dir, reads.Layered(environ, from_files), chain)


def _strings(value: Any, where: KeyPath, document: Document) -> list[str]:
    """A string or a list of strings (``path``, ``env_file``)."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(item, str) for item in items):
        raise document.error(where, "must be a string or a list of strings")
    return list(items)


def _import(source: Mapping[str, Any], target: dict[str, Any],
            document: Document) -> dict[str, Any]:
    """``target`` with ``source``'s resources added; a different redefinition is an error."""
    result = dict(target)
    for kind in RESOURCES:
        imported = source.get(kind)
        if not isinstance(imported, dict):
            continue
        existing = result.get(kind)
        merged = dict(existing) if isinstance(existing, dict) else {}
        for name, definition in imported.items():
            if name in merged:
                if merged[name] == definition:
                    continue
                raise document.error((kind, name),
                                     f"{kind}.{name} conflicts with imported resource")
            merged[name] = definition
        result[kind] = merged
    return result


def resolve_environment(data: dict[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """Bare ``- VAR`` environment entries take their value from the included project's
    environment, which the including project no longer sees."""
    services = data.get("services")
    if not isinstance(services, dict):
        return data
    resolved: dict[str, Any] = {}
    for name, service in services.items():
        entries = service.get("environment") if isinstance(service, dict) else None
        if isinstance(entries, list):
            service = {**service, "environment": [_resolved(e, environ) for e in entries]}
        resolved[name] = service
    return {**data, "services": resolved}


def _resolved(entry: Any, environ: Mapping[str, str]) -> Any:
    if isinstance(entry, str) and entry in environ:
        return f"{entry}={environ[entry]}"
    return entry
