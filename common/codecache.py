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
the builtin it calls, so what it does is unchanged.  ``inspect``, which
dataclasses imports only to write a signature as the docstring of a class that has
none, stays a stand-in (``standins.py``) until used.

attrs, which makes trio's classes, compiles the same way (8-10 ms of importing
trio): ``install_for_attrs`` gives ``attr._make`` a ``compile`` of its own as it is
imported.  Its ``__hash__`` holds a number that differs at every start (the hash
of a string); the text is kept with a placeholder in its place, and the number put
into the loaded code's constants.
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import marshal
import os
import sys
from pathlib import Path
from types import CodeType, ModuleType

from common import standins

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_ENTRIES = 2_000
"""Past this many in one module's file (code of classes that no longer exist), the
file keeps only what the process that saves it used."""
_OTHER = "_"
"""The file of code made without a module's globals."""
_ATTRS = "attrs"
"""The file of every class attrs makes (trio's are made all at once, by its import)."""
_TYPE_HASH = r"hash\(\(\n\s+(-?\d+),"
"""The number attrs writes first into a ``__hash__``'s tuple (``_make_hash_script``)."""
_PLACEHOLDER = 7_316_593_018_244_771_409
"""What stands for that number in the kept text and code."""


class _Shard:
    """One module's code objects: those read from its file, and those this process
    used or compiled."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.codes = self._read()
        self.used: dict[str, CodeType] = {}
        self.added = 0

    def code(self, source: str, filename: str = "<string>", flags: int = 0) -> CodeType:
        """``source`` compiled as ``exec(source)`` in dataclasses compiles it (or as
        ``compile(source, filename, "exec")`` does under these ``__future__`` flags)."""
        key = source if filename == "<string>" and not flags else f"{filename}\0{flags}\0{source}"
        code = self.codes.get(key)
        if code is None:
            code = builtins.compile(source, filename, "exec", flags=flags, dont_inherit=True)
            self.codes[key] = code
            self.added += 1
        self.used[key] = code
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
        return self.shard(module).code(source)

    def shard(self, module: str) -> _Shard:
        shard = self.shards.get(module)
        if shard is None:
            shard = self.shards[module] = _Shard(self.directory / f"{module}.marshal")
        return shard

    def attrs_code(self, source: str, filename: str, flags: int) -> CodeType:
        """What ``compile(source, filename, "exec")`` makes in ``attr._make``."""
        import re  # imported by then (trio imports it), not at every start

        match = re.search(_TYPE_HASH, source)
        if match is None:
            return self.shard(_ATTRS).code(source, filename, flags)
        kept = f"{source[:match.start(1)]}{_PLACEHOLDER}{source[match.end(1):]}"
        code, found = _with_constant(self.shard(_ATTRS).code(kept, filename, flags),
                                     _PLACEHOLDER, int(match.group(1)))
        if not found:  # not the text this expects: compiled as it is
            code = builtins.compile(source, filename, "exec", flags=flags, dont_inherit=True)
        return code

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
    standins.defer("inspect")  # dataclasses wants it only for a class without a docstring
    import dataclasses

    cache = _installed(path or cache_path())

    def exec_cached(source: object, globals_: dict[str, object] | None = None,
                    locals_: dict[str, object] | None = None) -> None:
        if isinstance(source, str):
            source = cache.code(source, globals_)
        builtins.exec(source, globals_, locals_)  # type: ignore[arg-type]

    dataclasses.exec = exec_cached  # type: ignore[attr-defined]


def install_for_attrs(path: Path | None = None) -> None:
    """When ``attr._make`` is imported (by trio, if the command uses it), its
    ``compile`` is the cache's: a name of the module shadowing the builtin, set
    before its code runs.  Nothing is imported now."""
    if "attr._make" in sys.modules:
        return  # too late: its classes exist (tests import trio first)
    cache = _installed(path or cache_path())
    sys.meta_path.insert(0, _AttrsFinder(cache))


class _AttrsFinder:
    """Finds nothing but ``attr._make``, whose loader it wraps, then steps aside."""

    def __init__(self, cache: _Cache) -> None:
        self.cache = cache

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != "attr._make":
            return None
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _CompilingLoader(spec.loader, self.cache)  # type: ignore[assignment]
        return spec


class _CompilingLoader:
    """The module's own loader, which first gives the module a cached ``compile``."""

    def __init__(self, loader: Any, cache: _Cache) -> None:
        self._loader = loader
        self._cache = cache

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)  # get_source, get_code...: the real loader's

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        cache, namespace = self._cache, module.__dict__
        flags: list[int] = []  # read at the first compile: the module's imports have run

        def compile_cached(source: Any, filename: Any, mode: str, *rest: Any,
                           **options: Any) -> Any:
            if rest or options or mode != "exec" or not isinstance(source, str):
                return builtins.compile(source, filename, mode, *rest, **options)
            if not flags:
                flags.append(_future_flags(namespace))
            return cache.attrs_code(source, str(filename), flags[0])

        namespace["compile"] = compile_cached
        self._loader.exec_module(module)


def _future_flags(namespace: dict[str, Any]) -> int:
    """What ``compile`` inherits, called from a module: its ``__future__`` features."""
    import __future__

    return sum(feature.compiler_flag for feature in namespace.values()
               if isinstance(feature, __future__._Feature))


def _with_constant(code: CodeType, old: int, new: int) -> tuple[CodeType, bool]:
    """``code`` with the constant ``old`` replaced by ``new``, in nested code and in
    folded tuples (``hash((n,))`` of a class without fields is one constant)."""
    constants, found = _replaced(code.co_consts, old, new)
    return (code.replace(co_consts=constants) if found else code), found


def _replaced(constants: tuple[Any, ...], old: int, new: int) -> tuple[tuple[Any, ...], bool]:
    found = False
    result = []
    for constant in constants:
        inner = False
        if isinstance(constant, CodeType):
            constant, inner = _with_constant(constant, old, new)
        elif type(constant) is tuple:
            constant, inner = _replaced(constant, old, new)
        elif type(constant) is int and constant == old:
            constant, inner = new, True
        found = found or inner
        result.append(constant)
    return tuple(result), found


def _installed(path: Path) -> _Cache:
    global _cache
    if _cache is None:
        _cache = _Cache(path)
        atexit.register(_cache.save)
    return _cache
