"""A gzip layer decompressed on another thread, as ``tar -xzf`` runs gzip in
another process: the extractor reads the tar stream from a pipe while the
decompression (zlib and hashlib release the GIL) runs on a second core, hashing
the tar stream on the way for its diff_id.  The thread lives inside ``inflated``:
leaving it closes the pipe and joins the thread, whatever happened."""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import hashlib
import os
import threading
from collections.abc import Iterator
from typing import IO, BinaryIO

_CHUNK = 1 << 20
_F_SETPIPE_SZ = 1031


class Inflating:
    """The reading end (``reader``) and, once drained, the stream's digest."""

    def __init__(self, blob: IO[bytes]) -> None:
        read_fd, self._write_fd = os.pipe2(os.O_CLOEXEC)
        with contextlib.suppress(OSError):  # bigger than 64 KiB: fewer switches
            fcntl.fcntl(self._write_fd, _F_SETPIPE_SZ, _CHUNK)
        self.reader: BinaryIO = open(read_fd, "rb", buffering=_CHUNK)  # noqa: SIM115
        self._blob = blob
        self._hash = hashlib.sha256()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="inflate", daemon=True)

    def _run(self) -> None:
        try:
            with gzip.GzipFile(fileobj=self._blob) as source:
                while chunk := source.read(_CHUNK):
                    self._hash.update(chunk)
                    view = memoryview(chunk)
                    while view:
                        view = view[os.write(self._write_fd, view):]
        except BrokenPipeError:
            pass  # the reader stopped early: its own error is the one to tell
        except BaseException as exc:  # handed to the reading thread
            self._error = exc
        finally:
            os.close(self._write_fd)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        """Close the reading end (a writer still blocked on the pipe gets EPIPE)
        and wait for the thread."""
        self.reader.close()
        self._thread.join()

    def drain(self) -> None:
        """Read past the tar's end, so all of the stream is hashed."""
        while self.reader.read(_CHUNK):
            pass

    def digest(self) -> str:
        """The tar stream's ``sha256:`` digest; the decompression's error if it failed."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return "sha256:" + self._hash.hexdigest()


@contextlib.contextmanager
def inflated(blob: IO[bytes]) -> Iterator[Inflating]:
    stream = Inflating(blob)
    stream.start()
    try:
        yield stream
    finally:
        stream.close()
