"""Generated methods compiled once per machine, not once per command.

``dataclasses`` writes each class's ``__init__``, ``__eq__``, ``__repr__``... as
source text and compiles it as the class is made: about 0.08 ms a method, 0.06 s
of the start of a command that loads a project.  Here the code objects are kept
in a file beside the bytecode caches (``marshal``, one file per interpreter
version) keyed by the source text, and the ``exec`` dataclasses calls finds
them there: the same text compiled with the same flags is the same code.  The
hook is a global of the dataclasses module that shadows the builtin it calls,
so what it does is unchanged.  (attrs, for trio's classes, writes a random
number into each ``__hash__``: its text differs at every start.)
"""

import atexit
import builtins
import contextlib
import marshal
import os
import sys
from pathlib import Path
from types import CodeType

MAX_ENTRIES = 20_000
"""Past this many (code of classes that no longer exist), the file starts over."""

class _Cache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.codes: dict[str, CodeType] | None = None
        self.added = 0

    def code(self, source: str) -> CodeType:
        """``source`` compiled as ``exec(source)`` in dataclasses compiles it."""
        if self.codes is None:
            self.codes = self._read()
        code = self.codes.get(source)
        if code is None:
            code = builtins.compile(source, "<string>", "exec", dont_inherit=True)
            self.codes[source] = code
            self.added += 1
        return code

    def _read(self) -> dict[str, CodeType]:
        try:
            version, loaded = marshal.loads(self.path.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            return {}
        if version != sys.hexversion or not isinstance(loaded, dict) \
                or len(loaded) >= MAX_ENTRIES:
            return {}  # another interpreter's bytecode, or too much kept
        return loaded

    def save(self) -> None:
        """At exit, when something was compiled: written whole, then renamed."""
        if not self.added or self.codes is None:
            return
        self.added = 0
        with contextlib.suppress(OSError, ValueError):
            self.path.parent.mkdir(exist_ok=True)
            temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
            temporary.write_bytes(marshal.dumps((sys.hexversion, self.codes)))
            os.replace(temporary, self.path)


_cache: _Cache | None = None


def cache_path() -> Path:
    name = f"generated.{sys.implementation.cache_tag}.marshal"
    return Path(__file__).parent / "__pycache__" / name


def install_for_dataclasses(path: Path | None = None) -> None:
    """``dataclasses`` compiles through ``exec(text, globals, locals)``; ``path``:
    the cache's file (tests), else the one beside this module's bytecode."""
    import dataclasses

    cache = _installed(path or cache_path())

    def exec_cached(source: object, globals_: dict[str, object] | None = None,
                    locals_: dict[str, object] | None = None) -> None:
        if isinstance(source, str):
            source = cache.code(source)
        builtins.exec(source, globals_, locals_)  # type: ignore[arg-type]

    dataclasses.exec = exec_cached  # type: ignore[attr-defined]


def _installed(path: Path) -> _Cache:
    global _cache
    if _cache is None:
        _cache = _Cache(path)
        atexit.register(_cache.save)
    return _cache
