"""A read-only file object over a descriptor, read with ``pread``.

``tarfile`` tells, seeks and reads a byte for every entry; on a buffered file
each of those is an ``lseek`` (three or four per entry, more system calls than
writing the entry takes).  Here the position is a Python integer and reads come
from a read-ahead window, so walking a layer's headers costs one ``pread`` per
window; the entries' data is copied from the descriptor by offset, not read here.
"""

from __future__ import annotations

import io
import os

WINDOW = 64 << 10


class PreadFile(io.RawIOBase):
    """Reads ``fd`` (a regular file, not owned: the caller closes it)."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self.fd = fd
        self.position = 0
        self._window = b""
        self._window_at = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_CUR:
            offset += self.position
        elif whence == os.SEEK_END:
            offset += os.fstat(self.fd).st_size
        if offset < 0:
            raise OSError(22, "negative seek position")
        self.position = offset
        return offset

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = max(0, os.fstat(self.fd).st_size - self.position)
        data = self.pread(self.position, size) if size < WINDOW else self._pread(size)
        self.position += len(data)
        return data

    def pread(self, offset: int, size: int) -> bytes:
        """``size`` bytes at ``offset`` (fewer at the end), leaving the position."""
        start = offset - self._window_at
        if start >= 0 and start + size <= len(self._window):
            return self._window[start:start + size]
        self._window, self._window_at = os.pread(self.fd, max(size, WINDOW), offset), offset
        return self._window[:size]

    def _pread(self, size: int) -> bytes:
        parts = []
        at, left = self.position, size
        while left > 0:
            part = os.pread(self.fd, left, at)
            if not part:
                break
            parts.append(part)
            at += len(part)
            left -= len(part)
        return b"".join(parts)

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)
