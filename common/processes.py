"""Waiting on processes that are not our children (conmon, a supervisor), with a
pidfd: the kernel wakes us when they exit, nothing polls."""

from __future__ import annotations

import errno
import os

import trio


async def wait_for_exit(pid: int) -> None:
    """Return when process ``pid`` (not our child) has exited."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    except OSError as exc:
        if exc.errno == errno.ESRCH:
            return
        raise
    try:
        await trio.lowlevel.wait_readable(fd)
    finally:
        os.close(fd)
