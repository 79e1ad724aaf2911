"""Files decoded once per version: a value decoded from a file is kept by path with
the identity the file had (inode, times, size), and read again only when that
changed.  For state files written whole and renamed into place (a new inode each
time) and read over and over: container records, ``bundle.json``, runc's state.

``settle_ns``: keep a value only once its file is that old.  A file's times tick
with the kernel's coarse clock (a few ms), so one rewritten in place within a
tick, at the same size, would look unchanged; one written longer ago can only be
written again with a later time.
"""

from __future__ import annotations

import os
import time

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing for the type checker only: exec -T's short way goes without
    from collections.abc import Callable
    from typing import Generic, TypeVar

    T = TypeVar("T")

    class _Generic(Generic[T]):
        pass
else:
    class _Generic:
        def __class_getitem__(cls, _item: object) -> type:
            return cls

    T = None

KEEP = 4096


class FileCache(_Generic[T]):
    def __init__(self, decode: Callable[[bytes], T], *, settle_ns: int = 0) -> None:
        self.decode = decode
        self.settle_ns = settle_ns
        self.known: dict[str, tuple[tuple[int, int, int, int], T]] = {}

    def get(self, path: str | os.PathLike[str]) -> T:
        """The decoded file (``OSError`` as ``open`` raises it, and whatever
        ``decode`` raises)."""
        name = os.fspath(path)
        known = self.known.get(name)
        if known is not None and known[0] == _identity(os.stat(name)):
            return known[1]
        with open(name, "rb") as handle:
            info = os.fstat(handle.fileno())  # the file read, if it was replaced meanwhile
            value = self.decode(handle.read())
        if time.time_ns() - max(info.st_mtime_ns, info.st_ctime_ns) > self.settle_ns:
            if len(self.known) >= KEEP:
                self.known.clear()  # start over (threads read here too: no order to keep)
            self.known[name] = (_identity(info), value)
        return value


def _identity(info: os.stat_result) -> tuple[int, int, int, int]:
    return (info.st_ino, info.st_mtime_ns, info.st_ctime_ns, info.st_size)
