"""Lock files that may be removed while idle (synchronous).

``down`` removes a root's idle lock files once its last container is gone (issue
21).  An unlinked lock file could otherwise be locked by a process that opened it
just before, while a newcomer locks a fresh file at the same path: so a lock only
counts once the file locked is still the one at the path (``try_lock``), and a
file is only removed by whoever holds its lock (``remove_if_idle``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path


def try_lock(path: Path) -> int | None:
    """The fd holding an exclusive flock on ``path`` (made if missing), or None
    when another process holds it."""
    while True:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        if _is_current(fd, path):
            return fd
        os.close(fd)  # removed (or replaced) meanwhile: lock the file there now


def _is_current(fd: int, path: Path) -> bool:
    try:
        here = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (here.st_dev, here.st_ino) == (mine.st_dev, mine.st_ino)


def remove_if_idle(path: Path) -> bool:
    """Remove the lock file unless someone holds it; whether it is gone."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return True
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        if _is_current(fd, path):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        return True
    finally:
        os.close(fd)
