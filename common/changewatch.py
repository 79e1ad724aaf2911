"""Whether any of a set of files may have changed since a moment, asked often and
answered at once: an inotify watch on each of their directories, read without
blocking (the fork server asks before every command; a ``stat`` of its ~400 files
was a millisecond of each).  Anything done in a watched directory counts (a file
written, replaced, added, removed, its modes changed), so a change is never
missed, and once seen it stays seen.  Without inotify, the files' modification
times are compared instead.  Synchronous and free of trio: for a process that
forks its commands.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from common.libc import libc

IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE = 0x002, 0x004, 0x008
IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x040, 0x080, 0x100, 0x200
IN_DELETE_SELF, IN_MOVE_SELF = 0x400, 0x800
CHANGES = (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE
           | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF)
IN_NONBLOCK, IN_CLOEXEC = 0o4000, 0o2000000


class ChangeWatch:
    """Started on ``names`` (files or directories) as they are now."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = [name for name in names if os.path.exists(name)]
        self.seen = False
        self.fd = _watch(self.names)
        self.times = {name: _mtime(name) for name in self.names} if self.fd is None else {}
        """What the names' modification times were: only without inotify."""

    def close(self) -> None:
        """Let go of the watch (a forked child: a supervisor would keep it for good)."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def changed(self) -> bool:
        if self.seen:
            return True
        if self.fd is None:
            self.seen = any(_mtime(name) != time for name, time in self.times.items())
            return self.seen
        try:
            self.seen = bool(os.read(self.fd, 65536))
        except BlockingIOError:
            return False
        return self.seen


def _mtime(name: str) -> int | None:
    try:
        return os.stat(name).st_mtime_ns
    except OSError:
        return None


def _watch(names: list[str]) -> int | None:
    """An inotify instance watching each directory of ``names``; None when inotify
    says no (then modification times are compared)."""
    fd = int(libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC))
    if fd < 0:
        return None
    directories = {name if os.path.isdir(name) else os.path.dirname(name) for name in names}
    for directory in directories:
        if libc.inotify_add_watch(fd, os.fsencode(directory), CHANGES) < 0:
            os.close(fd)  # too many watches, say: compare the times instead
            return None
    return fd
