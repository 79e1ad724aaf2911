"""conmon's control fifo (``ctl`` in the bundle): a line ``<type> <height> <width>``
asks conmon to resize the container's terminal (type 1) or to start a new log file
(type 2, "reopen logs").  Written without blocking: when no conmon reads the fifo
(the container has exited), there is nobody to tell."""

from __future__ import annotations

import os
from pathlib import Path

RESIZE = 1
REOPEN_LOGS = 2


def send(bundle: Path, kind: int, height: int = 0, width: int = 0) -> bool:
    """Tell the container's conmon; False when no conmon listens."""
    try:
        fd = os.open(bundle / "ctl", os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:  # ENXIO: no reader; ENOENT: no fifo
        return False
    try:
        os.write(fd, f"{kind} {height} {width}\n".encode())
    except OSError:
        return False
    finally:
        os.close(fd)
    return True
