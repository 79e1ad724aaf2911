"""Modules imported at their first use rather than by the ``import`` that names them.

A command's start is mostly imports, and some of them are only there for a path
the command may never take: ``inspect`` (with ast, dis, tokenize: 7-10 ms), which
dataclasses wants only for a class without a docstring; ``ssl``, ``hmac`` and
``idna``, which trio imports for TLS streams, DTLS cookies and IDNA host names
(6 ms of every trio import; a pull's ``httpx`` uses ``ssl``, and then loads it);
``asyncio`` and ``uuid``, which structlog imports for what the supervisor never
calls (``compose/supervisor/plainlog.py``).
Until one of its attributes is read, such a module is a stand-in in
``sys.modules``; the first read imports the real one, which takes the stand-in's
place there, and the stand-in copies its attributes, so a module that kept a
reference to it sees the same functions and classes.  (importlib's ``LazyLoader``
does not serve: an ``import`` statement reads the module's ``__spec__``, which
loads it.)  Only modules whose attributes are read, never assigned, by their users
are deferred here: a stand-in holds the attributes as they were when it loaded.
"""

import importlib.util
import sys
import types

AFTER_TRIO = ("ssl", "hmac", "idna")
"""What trio imports and a command without TLS never uses."""


def defer(*names: str) -> None:
    """Each module not yet imported becomes a stand-in until first used.  Top-level
    modules only: ``import a.b`` reads ``b`` as an attribute of ``a``, which the
    import system sets only when it loads ``a.b`` itself."""
    for name in names:
        if "." in name:
            raise ValueError(f"not a top-level module: {name}")
        if name in sys.modules:
            continue
        spec = importlib.util.find_spec(name)
        if spec is not None:
            stand_in = _StandIn(name)
            stand_in.__spec__ = spec
            sys.modules[name] = stand_in


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
