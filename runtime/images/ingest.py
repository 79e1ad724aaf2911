"""A blob being downloaded into the store: appended to ``ingest/<hex>``, hashed as
it goes, renamed into ``blobs/`` only once its size and digest check out, and
picked up where it stopped by the next pull.  Synchronous."""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path
from typing import IO

from common.errors import ImageError
from runtime.images.documents import Descriptor

_CHUNK = 1 << 20


class Ingest:
    """One blob's download; ``open``, ``write``..., then ``commit`` and ``close``."""

    def __init__(self, partial: Path, descriptor: Descriptor, final: Path) -> None:
        self.partial = partial
        self.descriptor = descriptor
        self.final = final
        self.offset = 0
        self._hash = hashlib.sha256()
        self._handle: IO[bytes] | None = None

    def open(self) -> int:
        """Lock and open the partial file; returns how many bytes it already holds.
        Raises BlockingIOError if another process is downloading the same blob."""
        handle = open(self.partial, "ab+")  # noqa: SIM115 (closed by close())
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            handle.seek(0)
            while chunk := handle.read(_CHUNK):
                self._hash.update(chunk)
            self.offset = handle.tell()
            if self.offset > self.descriptor.size:
                self.offset = 0
                self._hash = hashlib.sha256()
                handle.truncate(0)
        except BaseException:
            handle.close()
            raise
        self._handle = handle
        return self.offset

    def restart(self) -> None:
        """Throw away what was written (the server ignored a range request)."""
        assert self._handle is not None
        self._handle.truncate(0)
        self._hash = hashlib.sha256()
        self.offset = 0

    def write(self, data: bytes) -> None:
        assert self._handle is not None
        if self.offset + len(data) > self.descriptor.size:
            self.restart()
            raise ImageError(f"blob {self.descriptor.digest} is larger than its descriptor "
                             f"({self.descriptor.size} bytes)")
        self._hash.update(data)
        self._handle.write(data)
        self.offset += len(data)

    def commit(self) -> None:
        """Verify and move into place; a mismatch discards the partial file."""
        assert self._handle is not None
        found = "sha256:" + self._hash.hexdigest()
        if self.offset != self.descriptor.size or found != self.descriptor.digest:
            self.restart()
            raise ImageError(f"blob {self.descriptor.digest} failed verification "
                             f"(got {self.offset} bytes with digest {found})")
        self._handle.flush()
        os.fchmod(self._handle.fileno(), 0o444)
        os.fsync(self._handle.fileno())
        os.rename(self.partial, self.final)
        fsync_dir(self.final.parent)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
