"""A forked process's memory made its own ahead of its work, on idle CPU only.

A fork server's child shares the server's memory copy-on-write.  Running a
command, the interpreter writes to most pages it touches (reference counts,
allocations in the server's arenas), and each first write faults and copies the
page: some 5000 faults in an ``up`` here, 10-20 ms of its time (more once it has
threads: each copy flushes the other cores' TLBs).  A spare forked ahead of its
command copies the pages beforehand (``MADV_POPULATE_WRITE``: the kernel breaks
copy-on-write without changing a byte), at ``SCHED_IDLE`` (only when a core has
nothing else to run), and stops as soon as its command arrives.  The price is
memory: a spare's pages are its own while it waits (about the server's heap).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator

MADV_POPULATE_WRITE = 23
"""Linux 5.14; older kernels refuse it (EINVAL) and nothing is done."""
CHUNK = 256 * 1024
"""Bytes copied between two looks at whether the command has come."""


def make_private(arrived: Callable[[], bool]) -> None:
    """Copy this process's shared writable pages, a chunk at a time, until done or
    ``arrived()`` says its work has come; at idle priority meanwhile."""
    import ctypes

    from common.libc import libc

    madvise = libc.madvise
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    with _idle_priority():
        for start, end in writable_ranges():
            for at in range(start, end, CHUNK):
                if arrived():
                    return
                if madvise(at, min(CHUNK, end - at), MADV_POPULATE_WRITE) != 0:
                    return  # an older kernel, or the range changed: as it is, then


def writable_ranges() -> Iterator[tuple[int, int]]:
    """The private writable mappings (heap, anonymous, libraries' data), not the
    kernel's (``[vvar]``, ``[vdso]``)."""
    with open("/proc/self/maps") as maps:
        lines = maps.read().splitlines()
    for line in lines:
        fields = line.split()
        if fields[1] != "rw-p" or (len(fields) > 5 and fields[5].startswith("[v")):
            continue
        start, end = (int(value, 16) for value in fields[0].split("-"))
        yield start, end


@contextlib.contextmanager
def _idle_priority() -> Iterator[None]:
    """``SCHED_IDLE`` for the block, the usual policy after (its command runs at
    the priority a command has)."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except OSError:
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
