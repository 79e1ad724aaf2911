"""What a verb acting on a project's containers needs of its Compose files (the
project's name, its services, the load's warnings), kept from the last full load
and used while nothing it came from has changed.

An entry is found by everything the load was given (the options, the files found
for them, the interpolation environment: the process's and the .env files') and
holds the content hash of every file the load read (the Compose files, included
and extended ones); one changed byte, one variable, a new override file, and the
entry is not used.  A hit skips the YAML parser, the schema and the model: `exec`,
`ps`, `logs`, `stop`... start that much faster.  Anything unreadable is a miss, and
a miss is a full load, which says what is wrong with the files.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

try:  # hashlib's own BLAKE2, without hashlib: its import loads OpenSSL (3 ms of exec -T)
    from _blake2 import blake2b
except ImportError:  # an interpreter built without it
    from hashlib import blake2b

from common.errors import PycomposeError
from common.statefiles import write_atomic
from compose.spec.load.discover import LoadOptions, absolute, find_files, project_environment

KEEP = 64
"""Entries kept (the newest): one per project directory and environment in use."""


@dataclass(frozen=True)
class Summary:
    name: str
    services: tuple[str, ...]
    warnings: tuple[str, ...] = ()


def key(options: LoadOptions) -> str | None:
    """The entry ``options`` would use now; None when finding the files fails (the
    full load says why)."""
    try:
        files = find_files(options)
        working_dir = absolute(options.cwd,
                               options.project_directory or os.path.dirname(files[0]))
        environ = project_environment(options, working_dir)
    except (PycomposeError, OSError, ValueError):
        return None
    given = [options.files, options.project_name, options.project_directory,
             options.env_files, options.interpolate, options.consistency,
             options.resolve_paths, options.profiles, options.services, options.cwd,
             files, sorted(environ.items())]
    return blake2b(json.dumps(given).encode(), digest_size=20).hexdigest()


def get(directory: Path, entry: str) -> Summary | None:
    try:
        value = json.loads((directory / f"{entry}.json").read_bytes())
        inputs, summary = value["inputs"], value["summary"]
        if not isinstance(inputs, dict) or _hashes(inputs) != inputs:
            return None
        return Summary(str(summary["name"]), tuple(summary["services"]),
                       tuple(summary["warnings"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def put(directory: Path, entry: str, summary: Summary, inputs: Iterable[str]) -> None:
    """Keep ``summary`` of a load that read ``inputs``; a cache that cannot be
    written is no error."""
    value = {"inputs": _hashes(sorted(set(inputs))),
             "summary": {"name": summary.name, "services": list(summary.services),
                         "warnings": list(summary.warnings)}}
    with contextlib.suppress(PycomposeError, OSError):
        directory.mkdir(parents=True, exist_ok=True)
        write_atomic(directory / f"{entry}.json", json.dumps(value).encode(), sync_dir=False)
        _trim(directory)


def _hashes(paths: Iterable[str]) -> dict[str, str | None]:
    hashes: dict[str, str | None] = {}
    for path in paths:
        try:
            hashes[path] = blake2b(Path(path).read_bytes()).hexdigest()
        except OSError:
            hashes[path] = None
    return hashes


def _trim(directory: Path) -> None:
    entries: Sequence[os.DirEntry[str]] = list(os.scandir(directory))
    if len(entries) <= KEEP:
        return
    by_age = sorted(entries, key=lambda e: e.stat().st_mtime)
    for old in by_age[:len(entries) - KEEP]:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(old.path)

