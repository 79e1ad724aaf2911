"""Waiting for files to change, with inotify: no polling anywhere in pycompose.

Log followers wake when a log file grows; the supervisor and the CLI wake when a
container's directory gains a pid or exit file.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path
from types import TracebackType

import trio

from common.libc import libc as _libc

IN_MODIFY = 0x00000002
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_DELETE_SELF = 0x00000400
DIRECTORY_CHANGES = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE
REMOVALS = IN_DELETE | IN_DELETE_SELF
"""A file in the directory removed, or the directory itself."""
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000


class _Instances:
    """inotify instances kept for reuse.  Closing one waits for the kernel's RCU
    grace period (7-18 ms measured here), which sat on the supervisor's path from
    a container's exit to its restart; removing its watch takes 0.04 ms.  A forked
    child starts without any (an instance shared with the parent would hand its
    events to whichever process reads first)."""

    KEEP = 32

    def __init__(self) -> None:
        self.free: list[int] = []
        os.register_at_fork(after_in_child=self._forked)

    def take(self) -> int:
        try:
            return self.free.pop()
        except IndexError:
            pass
        fd = int(_libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC))
        if fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        return fd

    def give(self, fd: int, wd: int) -> None:
        """Keep ``fd`` for the next watch once its watch ``wd`` is gone (already,
        when the watched directory was removed) and its queued events are read."""
        _libc.inotify_rm_watch(fd, wd)
        _drain(fd)
        if len(self.free) < self.KEEP:
            self.free.append(fd)
        else:
            os.close(fd)

    def _forked(self) -> None:
        kept, self.free = self.free, []
        for fd in kept:
            os.close(fd)  # quick: the parent holds them too


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 65536):
            pass
    except BlockingIOError:
        pass


_instances = _Instances()


class FileWatch:
    """Wakes up when a file is written to, or (``mask=DIRECTORY_CHANGES``) when files
    in a directory are written or replaced (inotify)."""

    def __init__(self, path: Path, mask: int = IN_MODIFY) -> None:
        self.fd = _instances.take()
        self.wd = int(_libc.inotify_add_watch(self.fd, str(path).encode(), mask))
        if self.wd < 0:
            err = ctypes.get_errno()
            _instances.give(self.fd, self.wd)
            raise OSError(err, f"cannot watch {path}")

    async def changed(self) -> None:
        await trio.lowlevel.wait_readable(self.fd)
        _drain(self.fd)

    def close(self) -> None:
        if self.fd >= 0:
            fd, self.fd = self.fd, -1
            _instances.give(fd, self.wd)

    def __enter__(self) -> FileWatch:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
