"""Work done inside another network namespace by a process that stays in its own.

A thread of its own enters the namespace (``setns``) or makes a new one
(``unshare``), does the work and ends: the switch dies with the thread and never
reaches trio's thread cache.  Sockets made there stay in that namespace (the DNS
server's, ``nssocket.py``); so do netlink and nftables conversations
(``nft.py``); a new namespace outlives the thread once bind-mounted (``netns.py``).
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from common.libc import libc

CLONE_NEWNET = 0x40000000
T = TypeVar("T")


def enter(netns: Path) -> None:
    """Move the calling thread into the network namespace at ``netns``."""
    fd = os.open(netns, os.O_RDONLY | os.O_CLOEXEC)
    try:
        enter_fd(fd)
    finally:
        os.close(fd)


def enter_fd(fd: int) -> None:
    """Move the calling thread into the network namespace ``fd`` refers to."""
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def in_own_thread(action: Callable[[], T], netns: Path | None = None) -> T:
    """``action()`` in a thread that ends with it, inside ``netns`` if given; its
    result, or its exception raised here."""
    result: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            if netns is not None:
                enter(netns)
            result.append(action())
        except BaseException as exc:  # carried to the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=run, name="netns", daemon=True)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]
