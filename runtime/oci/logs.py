"""Container logs: conmon's k8s-file format, read and followed.

Each line is ``<RFC3339Nano time> <stdout|stderr> <F|P> <text>``; ``P`` marks a
partial line that the next entries complete.  Following uses inotify on the file,
so waiting for new output costs nothing.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from common.filewatch import DIRECTORY_CHANGES, FileWatch
from common.status import LogLine
from runtime.oci import logrotate


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


class LogFile(LogReader):
    """A log file being followed: ``changed`` wakes when conmon writes to it."""

    def __init__(self, path: Path, offset: int = 0) -> None:
        super().__init__(path, offset)
        self._watch = FileWatch(path)

    async def changed(self) -> None:
        await self._watch.changed()

    def close(self) -> None:
        self._watch.close()


@contextlib.contextmanager
def open_log(path: Path, offset: int = 0) -> Iterator[LogFile | None]:
    """``path`` followed from ``offset``; None when the container has no log yet."""
    if not path.exists():
        yield None
        return
    log = LogFile(path, offset)
    try:
        yield log
    finally:
        log.close()


def history(path: Path) -> tuple[list[LogLine], int]:
    """Every line of the kept files (oldest first) and of ``path``, and the offset
    in ``path`` where following goes on (synchronous)."""
    lines: list[LogLine] = []
    for older in logrotate.rotated(path, logrotate.KEPT_AT_MOST):
        lines += LogReader(older).read()
    reader = LogReader(path)
    lines += reader.read()
    return lines, reader.offset


async def keep_rotated(log: Path, files: int, on_rotated: Callable[[], None]) -> None:
    """Keep the files conmon replaces past its size cap, until cancelled: each
    change of the container's directory is looked at (``logrotate``)."""
    with FileWatch(log.parent, DIRECTORY_CHANGES) as changes:
        while True:
            if logrotate.keep_rotated(log, files):
                on_rotated()
            await changes.changed()
