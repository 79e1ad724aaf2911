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
DIRECTORY_CHANGES = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000


class FileWatch:
    """Wakes up when a file is written to, or (``mask=DIRECTORY_CHANGES``) when files
    in a directory are written or replaced (inotify)."""

    def __init__(self, path: Path, mask: int = IN_MODIFY) -> None:
        self.fd = _libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        if _libc.inotify_add_watch(self.fd, str(path).encode(), mask) < 0:
            err = ctypes.get_errno()
            os.close(self.fd)
            raise OSError(err, f"cannot watch {path}")

    async def changed(self) -> None:
        await trio.lowlevel.wait_readable(self.fd)
        try:
            while os.read(self.fd, 65536):
                pass
        except BlockingIOError:
            pass

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> FileWatch:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
