"""Rotating a container's log (``logging.options.max-size`` and ``max-file``).

conmon can cap ``ctr.log`` itself, but it does so by renaming a new file over the
old one: what the old file held is gone, and a reader that comes by a little late
misses a whole file.  So with more than one file the supervisor rotates: once the
log reaches its cap, the kept files move up one (``.1`` becomes ``.2``...), the log
itself becomes ``.1``, and conmon is asked to start a new file.  conmon keeps
writing to the renamed file until it has, so no line falls in between.  conmon's
own cap stays as a backstop for when no supervisor runs (``backstop``).
Synchronous and small: called on each change of the container's directory.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

KEPT_AT_MOST = 100
"""Readers look this far for kept files."""


def rotated(log: Path, count: int) -> list[Path]:
    """The kept files of ``log``, oldest first (``ctr.log.4`` ... ``ctr.log.1``)."""
    return [p for p in (log.with_name(f"{log.name}.{n}") for n in range(count, 0, -1))
            if p.exists()]


def backstop(cap: int, files: int) -> int:
    """The size at which conmon starts the file anew by itself: the cap when only
    one file is kept (Docker starts it anew too), else the whole budget of files,
    reached only when the supervisor is not there to rotate."""
    return cap if files <= 1 else cap * files


def due(log: Path, cap: int) -> bool:
    """The log has reached its cap."""
    try:
        return os.stat(log).st_size >= cap
    except FileNotFoundError:
        return False


def rotate(log: Path, files: int) -> None:
    """Move the kept files up one, dropping the oldest past ``files`` (the current
    file counts), and the log to ``.1``; the caller then has conmon start anew."""
    for n in range(files - 1, 1, -1):
        with contextlib.suppress(FileNotFoundError):
            os.replace(log.with_name(f"{log.name}.{n - 1}"), log.with_name(f"{log.name}.{n}"))
    os.replace(log, log.with_name(f"{log.name}.1"))
