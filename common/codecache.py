"""Generated methods compiled once per machine, not once per command.

``dataclasses`` writes each class's ``__init__``, ``__eq__``, ``__repr__``... as
source text and compiles it as the class is made: about 0.08 ms a method, 0.06 s
of the start of a command that loads a project.  Here the code objects are kept
in files beside the bytecode caches (``marshal``, a directory per interpreter
version, a file per module that makes dataclasses) keyed by the source text, and
the ``exec`` dataclasses calls finds them there: the same text compiled with the
same flags is the same code.  A command reads only the files of the modules it
imports (``exec`` makes 13 classes; one file for all took longer to read than
compiling them).  The hook is a global of the dataclasses module that shadows
the builtin it calls, so what it does is unchanged.  (attrs, for trio's classes,
writes a random number into each ``__hash__``: its text differs at every start.)
"""

import atexit
import builtins
import contextlib
import importlib.util
import marshal
import os
import sys
import types
from pathlib import Path
from types import CodeType

MAX_ENTRIES = 2_000
"""Past this many in one module's file (code of classes that no longer exist), the
file keeps only what the process that saves it used."""
_OTHER = "_"
"""The file of code made without a module's globals."""


class _Shard:
    """One module's code objects: those read from its file, and those this process
    used or compiled."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.codes = self._read()
        self.used: dict[str, CodeType] = {}
        self.added = 0

    def code(self, source: str) -> CodeType:
        """``source`` compiled as ``exec(source)`` in dataclasses compiles it."""
        code = self.codes.get(source)
        if code is None:
            code = builtins.compile(source, "<string>", "exec", dont_inherit=True)
            self.codes[source] = code
            self.added += 1
        self.used[source] = code
        return code

    def _read(self) -> dict[str, CodeType]:
        try:
            version, loaded = marshal.loads(self.path.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            return {}
        if version != sys.hexversion or not isinstance(loaded, dict):
            return {}  # another interpreter's bytecode
        return loaded

    def save(self) -> None:
        """When something was compiled: written whole, then renamed."""
        if not self.added:
            return
        self.added = 0
        kept = self.codes if len(self.codes) <= MAX_ENTRIES else self.used
        with contextlib.suppress(OSError, ValueError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
            temporary.write_bytes(marshal.dumps((sys.hexversion, kept)))
            os.replace(temporary, self.path)


class _Cache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.shards: dict[str, _Shard] = {}

    def code(self, source: str, globals_: object) -> CodeType:
        module = _OTHER
        if isinstance(globals_, dict):
            name = globals_.get("__name__")
            if isinstance(name, str) and name and "/" not in name and name[0] != ".":
                module = name
        shard = self.shards.get(module)
        if shard is None:
            shard = self.shards[module] = _Shard(self.directory / f"{module}.marshal")
        return shard.code(source)

    def save(self) -> None:
        for shard in self.shards.values():
            shard.save()


_cache: _Cache | None = None


def cache_path() -> Path:
    """The directory of this interpreter's files."""
    return Path(__file__).parent / "__pycache__" / f"generated.{sys.implementation.cache_tag}"


def install_for_dataclasses(path: Path | None = None) -> None:
    """``dataclasses`` compiles through ``exec(text, globals, locals)``; ``path``:
    the cache's directory (tests), else the one beside this module's bytecode."""
    _defer_inspect()
    import dataclasses

    cache = _installed(path or cache_path())

    def exec_cached(source: object, globals_: dict[str, object] | None = None,
                    locals_: dict[str, object] | None = None) -> None:
        if isinstance(source, str):
            source = cache.code(source, globals_)
        builtins.exec(source, globals_, locals_)  # type: ignore[arg-type]

    dataclasses.exec = exec_cached  # type: ignore[attr-defined]


def _defer_inspect() -> None:
    """``dataclasses`` imports ``inspect`` (with ast, dis, tokenize: 7-10 ms of a
    command's start) only to write a signature as the docstring of a class that
    has none.  Until an attribute of it is used, ``inspect`` is a stand-in module
    that then imports the real one: ``exec -T``, whose classes all have docstrings,
    never does.  (importlib's ``LazyLoader`` does not serve: an ``import`` statement
    reads the module's ``__spec__``, which loads it.)"""
    if "inspect" in sys.modules:
        return
    spec = importlib.util.find_spec("inspect")
    if spec is not None:
        stand_in = _StandIn("inspect")
        stand_in.__spec__ = spec
        sys.modules["inspect"] = stand_in


class _StandIn(types.ModuleType):
    """A module imported at its first use: its attributes become the real one's."""

    def __getattr__(self, name: str) -> object:
        real = sys.modules.get(self.__name__)
        if real is self or real is None:  # replaced in place: no key leaves sys.modules
            spec = self.__spec__
            assert spec is not None and spec.loader is not None
            real = sys.modules[self.__name__] = importlib.util.module_from_spec(spec)
            try:
                spec.loader.exec_module(real)
            except BaseException:
                sys.modules[self.__name__] = self
                raise
        self.__dict__.update(real.__dict__)
        return getattr(real, name)


def _installed(path: Path) -> _Cache:
    global _cache
    if _cache is None:
        _cache = _Cache(path)
        atexit.register(_cache.save)
    return _cache
