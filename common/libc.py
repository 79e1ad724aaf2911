"""The C library, for the few system calls Python does not wrap (mount, umount2,
inotify, setns).  The running interpreter's own libc is used: looking it up with
``ctypes.util.find_library`` runs ``ldconfig`` and costs every command time."""

from __future__ import annotations

import ctypes

libc = ctypes.CDLL(None, use_errno=True)


def skip_ldconfig() -> None:
    """Answer ``ctypes.util.find_library`` for the C library and libpthread without
    running ``ldconfig -p`` (tens of milliseconds, in every process that imports
    trio or pyroute2): the interpreter's own libc is the answer (``CDLL(None)``),
    and libpthread lives in it since glibc 2.34 (trio only names its threads)."""
    import ctypes.util

    lookup = ctypes.util.find_library
    if getattr(lookup, "skips_ldconfig", False):
        return

    def find_library(name: str) -> str | None:
        return None if name in ("c", "pthread") else lookup(name)

    find_library.skips_ldconfig = True  # type: ignore[attr-defined]
    ctypes.util.find_library = find_library
