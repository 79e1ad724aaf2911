"""Container logs: conmon's k8s-file format, read and followed.

Each line is ``<RFC3339Nano time> <stdout|stderr> <F|P> <text>``; ``P`` marks a
partial line that the next entries complete.  Following uses inotify on the
container's directory, so waiting for new output costs nothing.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import trio

from common.filewatch import DIRECTORY_CHANGES, IN_MODIFY, FileWatch
from common.status import LogLine, LogPosition
from runtime.oci import logrotate


class LogReader:
    """Reads a log file incrementally, joining partial entries per stream (stdout
    and stderr interleave); an unfinished line waits in memory for its end.

    The file stays open between reads: when conmon starts the file anew at its size
    cap (a new file renamed over the old), the old one is read to its end through
    the open handle first, then reading goes on at the start of the file that came
    next (a kept ``.k`` file when several rotations came between two reads), so no
    line is lost or read twice across rotations."""

    def __init__(self, path: Path, offset: int = 0, handle: BinaryIO | None = None) -> None:
        self.path = path
        self.offset = offset
        self._pending: dict[str, tuple[str, list[str]]] = {}  # stream -> (time, parts)
        self._handle = handle
        """The file being read (maybe no longer at ``path``: rotated away)."""

    @property
    def position(self) -> LogPosition:
        handle = self._handle
        return LogPosition(os.fstat(handle.fileno()).st_ino if handle else 0, self.offset)

    def read(self) -> list[LogLine]:
        """Lines completed since the last read, across rotations."""
        lines = self._drain()
        while self._replaced():
            self._handle = self._successor()
            self.offset = 0
            lines += self._drain()
        return lines

    def _successor(self) -> BinaryIO | None:
        """The file conmon wrote after the one just read to its end: the kept file
        that follows it (``.k-1``) when several rotations came between two reads,
        else the current one (None: opened again at the next read)."""
        assert self._handle is not None
        inode = os.fstat(self._handle.fileno()).st_ino
        self._close()
        chain = [*logrotate.rotated(self.path, logrotate.KEPT_AT_MOST), self.path]
        for older, newer in itertools.pairwise(chain):
            with contextlib.suppress(FileNotFoundError):
                if os.stat(older).st_ino == inode:
                    return open(newer, "rb")
        return None

    def _open(self) -> BinaryIO | None:
        if self._handle is None:
            try:
                self._handle = open(self.path, "rb")  # noqa: SIM115 - kept open across reads
            except FileNotFoundError:
                return None
        return self._handle

    def _replaced(self) -> bool:
        """The path now names another file than the one open (a rotation)."""
        if self._handle is None:
            return False
        try:
            current = os.stat(self.path).st_ino
        except FileNotFoundError:
            return False
        return current != os.fstat(self._handle.fileno()).st_ino

    def _drain(self) -> list[LogLine]:
        handle = self._open()
        if handle is None:
            return []
        if os.fstat(handle.fileno()).st_size < self.offset:
            self.offset = 0  # truncated in place
        handle.seek(self.offset)
        data = handle.read()
        end = data.rfind(b"\n") + 1  # a half-written entry is read next time
        self.offset += end
        return self._parse(data[:end])

    def _parse(self, data: bytes) -> list[LogLine]:
        lines = []
        for raw in data.decode(errors="replace").split("\n")[:-1]:
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

    def _close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def close(self) -> None:
        self._close()


class LogFile(LogReader):
    """A log file being followed: ``changed`` wakes when conmon writes to it, or
    replaces it (the container's directory is watched, so the new file is seen)."""

    def __init__(self, path: Path, position: LogPosition | None = None) -> None:
        handle = _open_inode(path, position.inode) if position and position.inode else None
        offset = position.offset if position and (handle or not position.inode) else 0
        super().__init__(path, offset, handle)
        self._watch = FileWatch(path.parent, IN_MODIFY | DIRECTORY_CHANGES)

    async def changed(self) -> None:
        await self._watch.changed()

    def close(self) -> None:
        super().close()
        self._watch.close()


def _open_inode(path: Path, inode: int) -> BinaryIO | None:
    """The log file with this inode: the current one, or one kept after a rotation
    (``ctr.log.1``...); None if it is gone."""
    for candidate in sorted(path.parent.glob(f"{path.name}*")):
        try:
            if candidate.stat().st_ino == inode:
                return open(candidate, "rb")
        except FileNotFoundError:
            continue
    return None


@contextlib.contextmanager
def open_log(path: Path, position: LogPosition | None = None) -> Iterator[LogFile | None]:
    """``path`` followed from ``position`` (its start when None); None when the
    container has no log yet."""
    if not path.exists():
        yield None
        return
    log = LogFile(path, position)
    try:
        yield log
    finally:
        log.close()


def entries(stream: str, lines: Sequence[str], now: float) -> bytes:
    """Whole lines as conmon writes them, stamped ``now`` (local time, nanoseconds)."""
    moment = datetime.fromtimestamp(now).astimezone()
    nanos = int(now * 1_000_000_000) % 1_000_000_000
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{nanos:09d}" + \
        moment.strftime("%z")[:3] + ":" + moment.strftime("%z")[3:]
    return "".join(f"{stamp} {stream} F {line}\n" for line in lines).encode()


def append(path: Path, stream: str, lines: Sequence[str]) -> None:
    """Add whole lines to a container's log beside conmon, which opens its first file
    to append too: each batch is one ``write``, so it never lands inside one of
    conmon's.  (A file conmon started anew at a size cap is not opened to append:
    lines added there may be overwritten, so this is only the fallback of hooks
    whose container has no stdout left, ``hookrun.py``.)"""
    if not lines:
        return
    data = entries(stream, lines, time.time())
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def history(path: Path) -> tuple[list[LogLine], LogPosition]:
    """Every line of the kept files (oldest first) and of ``path``, and where in
    which file following goes on (synchronous)."""
    lines: list[LogLine] = []
    for older in logrotate.rotated(path, logrotate.KEPT_AT_MOST):
        reader = LogReader(older)
        lines += reader.read()
        reader.close()
    reader = LogReader(path)
    lines += reader.read()
    position = reader.position
    reader.close()
    return lines, position


async def keep_rotated(log: Path, cap: int, files: int, reopen: Callable[[], bool],
                       on_rotated: Callable[[], None]) -> None:
    """Rotate ``log`` each time it reaches ``cap``, keeping ``files`` files, until
    cancelled (``logrotate``); ``reopen`` has conmon start a new file.  Writes are
    looked at no more often than every ``CHECK_EVERY``, so a chatty container does
    not keep the supervisor busy."""
    if files <= 1:
        return  # conmon starts the one file anew by itself
    with FileWatch(log.parent, IN_MODIFY | DIRECTORY_CHANGES) as changes:
        while True:
            if logrotate.due(log, cap):
                logrotate.rotate(log, files)
                reopen()
                on_rotated()
            await changes.changed()
            await trio.sleep(CHECK_EVERY)


CHECK_EVERY = 0.02
