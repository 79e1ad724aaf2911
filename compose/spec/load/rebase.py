"""Relative paths of a file loaded from elsewhere, made absolute against its own base.

A service taken from another file by ``extends`` keeps meaning what it meant
there: ``build: .``, ``env_file: ./extra.env`` or a ``./data:/data`` bind mount
are relative to the extended file's directory (an included project's: to its
project directory), not to the project that uses them.  The main project's own
relative paths are left for the canonical form to resolve.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from compose.spec.syntax.volumespec import VolumeSpecError, parse_volume

_REMOTE_PREFIXES = ("https://", "http://", "git://", "ssh://", "github.com/", "git@")


def rebase_paths(data: Any, base_dir: str, *, default_context: bool = False) -> Any:
    """A copy of a Compose file's ``data`` with its relative paths under ``base_dir``;
    with ``default_context`` (an included project) a ``build`` without a context
    builds ``base_dir``, as compose-go sets that default before an include's paths
    are resolved (an extended file's is the main project's, set later)."""
    if not isinstance(data, dict):
        return data
    result = dict(data)
    if isinstance(data.get("services"), dict):
        result["services"] = {
            name: rebase_service(_with_context(service) if default_context else service,
                                 base_dir)
            for name, service in data["services"].items()
        }
    for kind in ("configs", "secrets"):
        if isinstance(data.get(kind), dict):
            result[kind] = {name: _with(entry, "file", base_dir, _path)
                            for name, entry in data[kind].items()}
    if isinstance(data.get("volumes"), dict):
        result["volumes"] = {name: _volume_device(entry, base_dir)
                             for name, entry in data["volumes"].items()}
    return result


def _with_context(service: Any) -> Any:
    build = service.get("build") if isinstance(service, dict) else None
    if isinstance(build, dict) and "context" not in build:
        return {**service, "build": {**build, "context": "."}}
    return service


def rebase_service(service: Any, base_dir: str) -> Any:
    if not isinstance(service, dict):
        return service
    result = dict(service)
    if "build" in service:
        result["build"] = _build(service["build"], base_dir)
    if "env_file" in service:
        result["env_file"] = _each(service["env_file"], base_dir, _env_file)
    if "label_file" in service:
        result["label_file"] = _each(service["label_file"], base_dir, _path)
    if isinstance(service.get("extends"), dict):
        result["extends"] = _with(service["extends"], "file", base_dir, _path)
    if isinstance(service.get("volumes"), list):
        result["volumes"] = [_volume(v, base_dir) for v in service["volumes"]]
    develop = service.get("develop")
    if isinstance(develop, dict) and isinstance(develop.get("watch"), list):
        watch = [_with(rule, "path", base_dir, _path) for rule in develop["watch"]]
        result["develop"] = {**develop, "watch": watch}
    return result


def _path(value: Any, base_dir: str) -> Any:
    """Relative (not ``/...``, not ``~...``, not empty) -> under ``base_dir``."""
    if not isinstance(value, str) or not value or value.startswith("~") or os.path.isabs(value):
        return value
    return os.path.normpath(os.path.join(base_dir, value))


def _context(value: Any, base_dir: str) -> Any:
    """A build context may be a URL or another service's image, left alone."""
    if isinstance(value, str) and ("://" in value or value.startswith("service:")
                                   or value.startswith(_REMOTE_PREFIXES)):
        return value
    return _path(value, base_dir)


def _with(entry: Any, key: str, base_dir: str, rebase: Callable[[Any, str], Any]) -> Any:
    if not isinstance(entry, dict) or key not in entry:
        return entry
    return {**entry, key: rebase(entry[key], base_dir)}


def _each(value: Any, base_dir: str, rebase: Callable[[Any, str], Any]) -> Any:
    if isinstance(value, list):
        return [rebase(v, base_dir) for v in value]
    return rebase(value, base_dir)


def _env_file(entry: Any, base_dir: str) -> Any:
    if isinstance(entry, dict):
        return _with(entry, "path", base_dir, _path)
    return _path(entry, base_dir)


def _build(build: Any, base_dir: str) -> Any:
    if isinstance(build, str):
        return _context(build, base_dir)
    if not isinstance(build, dict):
        return build
    result = dict(_with(build, "context", base_dir, _context))
    contexts = build.get("additional_contexts")
    if isinstance(contexts, dict):
        result["additional_contexts"] = {k: _context(v, base_dir) for k, v in contexts.items()}
    elif isinstance(contexts, list):
        result["additional_contexts"] = [_additional_context(c, base_dir) for c in contexts]
    return result


def _additional_context(entry: Any, base_dir: str) -> Any:
    if not isinstance(entry, str) or "=" not in entry:
        return entry
    name, _, value = entry.partition("=")
    return f"{name}={_context(value, base_dir)}"


def _volume(entry: Any, base_dir: str) -> Any:
    """A bind mount's relative source: ``./data:/data`` or ``{type: bind, source: ...}``."""
    if isinstance(entry, dict):
        return _with(entry, "source", base_dir, _path) if entry.get("type") == "bind" else entry
    if isinstance(entry, str) and entry.startswith(".") and ":" in entry:
        try:
            volume = parse_volume(entry)
        except VolumeSpecError:
            return entry  # reported where the entry is loaded
        source = _path(volume["source"], base_dir)
        if source.startswith(("/", ".")):
            return f"{source}{entry[len(volume['source']):]}"
        return {**volume, "source": source}  # relative (no path resolution): long form
    return entry


def _volume_device(entry: Any, base_dir: str) -> Any:
    """A ``local`` volume with ``o: bind`` mounts its ``device`` path."""
    if not isinstance(entry, dict) or entry.get("driver") != "local":
        return entry
    options = entry.get("driver_opts")
    if not isinstance(options, dict) or options.get("o") != "bind" or "device" not in options:
        return entry
    return {**entry, "driver_opts": {**options, "device": _path(options["device"], base_dir)}}
