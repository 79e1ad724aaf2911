"""What verbs need of their Compose files, kept from the last full load and used
while nothing it came from has changed: the project's name, its services and the
load's warnings for verbs acting on a project's containers (a JSON summary), and
the whole load (``Loaded``, pickled) for verbs that make containers.

An entry is found by everything the load was given (the options, the files found
for them, the ``COMPOSE_*`` variables that say where they are, and ``HOME``) and
holds the content hash of every file the load read or looked for (the Compose
files, included and extended ones, services' env and label files, missing ones
too) and of the variables it looked up, set or not, in its environment (the
process's and the .env files'; all of them if it went through the whole
environment); one changed byte, one of those variables, a new override file, and
the entry is not used.  Other variables may differ: a new terminal, another
``OLDPWD`` or ``SSH_CONNECTION``, still finds the entry.  A kept load also names
the loader's code it came from.  A hit skips the YAML parser, the schema and the
model: `exec`, `ps`, `logs`, `stop`, `up`, `run`... start that much faster.
Anything unreadable is a miss, and a miss is a full load, which says what is
wrong with the files.
"""

from __future__ import annotations

import contextlib
import copyreg
import io
import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType

try:  # hashlib's own BLAKE2, without hashlib: its import loads OpenSSL (3 ms of exec -T)
    from _blake2 import blake2b
except ImportError:  # an interpreter built without it
    from hashlib import blake2b

from common.errors import PycomposeError
from common.statefiles import write_atomic
from compose import __version__
from compose.spec.load.discover import LoadOptions, absolute, find_files, project_environment

TYPE_CHECKING = False
if TYPE_CHECKING:  # the model: exec -T's summary needs none of it
    from typing import Any

    from compose.spec.loaded import Loaded

KEEP = 64
"""Entries kept (the newest): one per project directory and environment in use."""
CODE = (Path(__file__).parent, Path(__file__).parents[2] / "common")
"""The loader's and the model's code (compose/spec, and common/ which it uses): a
kept load is of this code's making."""
_UNREADABLE = (OSError, EOFError, ValueError, TypeError, AttributeError, ImportError,
               IndexError, KeyError)  # and pickle.UnpicklingError, where pickle is imported


@dataclass(frozen=True)
class Entry:
    """Where a load of these options is kept, and the environment it would see now."""

    name: str
    environ: Mapping[str, str]


@dataclass(frozen=True)
class Summary:
    """What verbs acting on a project's containers need of its files."""

    name: str
    services: tuple[str, ...]
    warnings: tuple[str, ...] = ()


def key(options: LoadOptions) -> Entry | None:
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
             files, sorted(v for v in options.environ.items() if _locates(v[0]))]
    return Entry(blake2b(json.dumps(given).encode(), digest_size=20).hexdigest(), environ)


def _locates(variable: str) -> bool:
    """Whether ``variable`` may change which files a load reads (or what ``~`` is)."""
    return variable.startswith("COMPOSE_") or variable == "HOME"


def get(directory: Path, entry: Entry) -> Summary | None:
    try:
        value = json.loads((directory / f"{entry.name}.json").read_bytes())
        inputs, summary = value["inputs"], value["summary"]
        if not isinstance(inputs, dict) or _hashes(inputs) != inputs:
            return None
        kept = value["variables"]
        if _variables(entry.environ, kept["names"]) != kept:
            return None
        return Summary(str(summary["name"]), tuple(summary["services"]),
                       tuple(summary["warnings"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def put(directory: Path, entry: Entry, summary: Summary, inputs: Iterable[str],
        variables: Sequence[str] | None) -> None:
    """Keep ``summary`` of a load that read ``inputs`` and looked up ``variables``
    (None: all of them); a cache that cannot be written is no error."""
    value = {"inputs": _hashes(sorted(set(inputs))),
             "variables": _variables(entry.environ, variables),
             "summary": {"name": summary.name, "services": list(summary.services),
                         "warnings": list(summary.warnings)}}
    with contextlib.suppress(PycomposeError, OSError):
        directory.mkdir(parents=True, exist_ok=True)
        write_atomic(directory / f"{entry.name}.json", json.dumps(value).encode(),
                     sync_dir=False)
        _trim(directory)


def _variables(environ: Mapping[str, str], names: Sequence[str] | None) -> dict[str, Any]:
    """``names`` (None: every variable) and the hash of their values in ``environ``,
    unset ones included: what an entry keeps, and compares with what it kept."""
    values = (sorted(environ.items()) if names is None
              else [(name, environ.get(name)) for name in names])
    digest = blake2b(json.dumps(values).encode(), digest_size=20).hexdigest()
    return {"names": None if names is None else list(names), "hash": digest}


def warm() -> None:
    """What a fork server does ahead for its children: the code's version."""
    _code()


def get_loaded(directory: Path, entry: Entry) -> Loaded | None:
    """The whole load kept for ``entry``, while every file it depended on is as it
    was and the loader is the same code."""
    import pickle  # here: verbs that need only the summary (exec -T) start without it

    try:
        with open(directory / f"{entry.name}.pickle", "rb") as file:
            code, inputs, variables = pickle.load(file)  # checked before the model is read
            if code != _code() or not isinstance(inputs, dict) or _hashes(inputs) != inputs:
                return None
            if _variables(entry.environ, variables["names"]) != variables:
                return None
            loaded = pickle.load(file)
    except (*_UNREADABLE, pickle.UnpicklingError):
        return None
    from compose.spec.loaded import Loaded

    return loaded if isinstance(loaded, Loaded) else None


def put_loaded(directory: Path, entry: Entry, loaded: Loaded) -> None:
    """Keep ``loaded``; a cache that cannot be written is no error."""
    import pickle

    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {**copyreg.dispatch_table, MappingProxyType: _reduce_proxy}
    with contextlib.suppress(PycomposeError, OSError, pickle.PicklingError, TypeError,
                             AttributeError, RecursionError):
        pickler.dump((_code(), _hashes(sorted(set(loaded.inputs))),
                      _variables(entry.environ, loaded.variables)))
        pickler.clear_memo()  # two pickles, each read on its own
        pickler.dump(loaded)
        directory.mkdir(parents=True, exist_ok=True)
        write_atomic(directory / f"{entry.name}.pickle", buffer.getvalue(), sync_dir=False)
        _trim(directory)


def _reduce_proxy(proxy: MappingProxyType[Any, Any]) -> tuple[Any, tuple[dict[Any, Any]]]:
    return _proxy, (dict(proxy),)


def _proxy(items: Mapping[Any, Any]) -> MappingProxyType[Any, Any]:
    """A read-only mapping of the model, made again from a kept load."""
    return MappingProxyType(dict(items))


@cache
def _code() -> str:
    """The version, the interpreter, and each module of ``CODE`` (its size and time
    of change): what made a kept load, and what reads it back.  Once a process: the
    code it runs is the code it imported (a fork server computes it ahead, and
    goes away when its code changes)."""
    stats: list[object] = [__version__, sys.hexversion]
    for root in CODE:
        for top, directories, files in os.walk(root):
            directories[:] = sorted(d for d in directories if d != "__pycache__")
            for name in sorted(f for f in files if f.endswith(".py")):
                status = os.stat(os.path.join(top, name))
                stats.append((top, name, status.st_size, status.st_mtime_ns))
    return blake2b(repr(stats).encode(), digest_size=16).hexdigest()


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
    if len(entries) <= 2 * KEEP:  # a summary and a kept load per entry
        return
    by_age = sorted(entries, key=lambda e: e.stat().st_mtime)
    for old in by_age[:len(entries) - 2 * KEEP]:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(old.path)

