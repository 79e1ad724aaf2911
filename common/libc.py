"""The C library, for the few system calls Python does not wrap (mount, umount2,
inotify, setns).  The running interpreter's own libc is used: looking it up with
``ctypes.util.find_library`` runs ``ldconfig`` and costs every command time."""

from __future__ import annotations

import ctypes

libc = ctypes.CDLL(None, use_errno=True)
