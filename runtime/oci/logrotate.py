"""Keeping a few old log files (``logging.options.max-file``).

conmon caps a container's ``ctr.log`` itself: past ``--log-size-max`` it writes a
new file and renames it over the old one, whose content would be lost.  So the
supervisor keeps a second name, ``ctr.log.live``, for the file conmon writes now;
when ``ctr.log`` turns out to be another file, the old one is still reachable by
that name and becomes ``ctr.log.1`` (``.1`` becomes ``.2``...), and the new file
gets the second name.  Synchronous and small: called on each change of the
container's directory.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

LIVE_SUFFIX = ".live"
KEPT_AT_MOST = 100
"""Readers look this far for kept files."""


def rotated(log: Path, count: int) -> list[Path]:
    """The kept files of ``log``, oldest first (``ctr.log.4`` ... ``ctr.log.1``)."""
    return [p for p in (log.with_name(f"{log.name}.{n}") for n in range(count, 0, -1))
            if p.exists()]


def keep_rotated(log: Path, files: int) -> bool:
    """Notice that conmon replaced ``log`` and keep the replaced file as ``.1``;
    True when it did.  ``files`` counts the current file too."""
    live = log.with_name(log.name + LIVE_SUFFIX)
    try:
        current = os.stat(log)
    except FileNotFoundError:
        return False
    try:
        kept = os.stat(live)
    except FileNotFoundError:
        os.link(log, live)
        return False
    if (kept.st_dev, kept.st_ino) == (current.st_dev, current.st_ino):
        return False
    if files > 1:
        for n in range(files - 1, 1, -1):
            with contextlib.suppress(FileNotFoundError):
                os.replace(log.with_name(f"{log.name}.{n - 1}"), log.with_name(f"{log.name}.{n}"))
        os.replace(live, log.with_name(f"{log.name}.1"))
    else:
        live.unlink()
    with contextlib.suppress(FileExistsError):
        os.link(log, live)
    return True
