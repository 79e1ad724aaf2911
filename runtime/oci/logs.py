"""Container logs: conmon's k8s-file format, read and followed.

Each line is ``<RFC3339Nano time> <stdout|stderr> <F|P> <text>``; ``P`` marks a
partial line that the next entries complete.  Following uses inotify on the file,
so waiting for new output costs nothing.
"""

from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import trio

from common.libc import libc

_libc = libc
IN_MODIFY = 0x00000002
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
DIRECTORY_CHANGES = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000


@dataclass(frozen=True)
class LogLine:
    time: str
    stream: str
    text: str


class LogReader:
    """Reads a log file incrementally, joining partial entries per stream (stdout
    and stderr interleave); an unfinished line waits in memory for its end."""

    def __init__(self, path: Path, offset: int = 0) -> None:
        self.path = path
        self.offset = offset
        self._pending: dict[str, tuple[str, list[str]]] = {}  # stream -> (time, parts)
        self._inode: int | None = None

    def read(self) -> list[LogLine]:
        """Lines completed since the last read.  When conmon started the file anew
        (its size cap), reading goes on from the new file's start."""
        try:
            with open(self.path, "rb") as handle:
                info = os.fstat(handle.fileno())
                if self._inode is not None and (info.st_ino != self._inode
                                                or info.st_size < self.offset):
                    self.offset = 0
                self._inode = info.st_ino
                handle.seek(self.offset)
                data = handle.read()
        except FileNotFoundError:
            return []
        end = data.rfind(b"\n") + 1  # a half-written entry is read next time
        self.offset += end
        lines = []
        for raw in data[:end].decode(errors="replace").split("\n")[:-1]:
            parts = raw.split(" ", 3)
            if len(parts) < 3:
                continue  # not a log entry
            time, stream, tag = parts[0], parts[1], parts[2]
            first_time, texts = self._pending.pop(stream, (time, []))
            texts.append(parts[3] if len(parts) > 3 else "")
            if tag == "P":
                self._pending[stream] = (first_time, texts)
            else:
                lines.append(LogLine(first_time, stream, "".join(texts)))
        return lines

    def flush(self) -> list[LogLine]:
        """Whatever is still unfinished, as lines (the writer has gone)."""
        lines = [LogLine(t, stream, "".join(texts))
                 for stream, (t, texts) in self._pending.items()]
        self._pending.clear()
        return lines


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
