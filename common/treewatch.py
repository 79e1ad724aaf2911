"""Changes under whole directory trees, debounced: ``watch``'s eyes.

inotify through watchfiles' Rust backend (``notify``): it adds a watch to every
directory of a tree, and to each new one as it appears, and groups events in
its own thread until ``quiet_ms`` pass without one (``max_ms`` at most), so an
editor saving 200 files is one batch.  Driven from trio: the blocking wait runs
in a worker thread, stopped within one step when the caller is cancelled.
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import trio

if TYPE_CHECKING:
    from watchfiles._rust_notify import RustNotify

ADDED, MODIFIED, DELETED = "added", "modified", "deleted"
_KINDS = {1: ADDED, 2: MODIFIED, 3: DELETED}


def watchable(path: str) -> str:
    """``path``, or its nearest existing parent when it does not exist (yet)."""
    while not os.path.lexists(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    return path


class TreeWatch:
    def __init__(self, notify: RustNotify, quiet_ms: int, max_ms: int) -> None:
        self._notify = notify
        self._quiet_ms = quiet_ms
        self._max_ms = max_ms

    async def batch(self) -> dict[str, set[str]]:
        """The next debounced batch: each changed path and how (added, modified,
        deleted; a file replaced by rename is deleted and added)."""
        while True:
            stop = threading.Event()
            async with trio.open_nursery() as nursery:
                nursery.start_soon(_set_when_cancelled, stop)
                result = await trio.to_thread.run_sync(
                    self._notify.watch, self._max_ms, self._quiet_ms, 5000, stop)
                nursery.cancel_scope.cancel()
            if isinstance(result, set):
                changes: dict[str, set[str]] = {}
                for kind, path in result:
                    changes.setdefault(path, set()).add(_KINDS.get(kind, MODIFIED))
                return changes
            await trio.lowlevel.checkpoint()  # a timeout: wait again


async def _set_when_cancelled(stop: threading.Event) -> None:
    """Ends the worker thread's wait within one step once we are cancelled."""
    try:
        await trio.sleep_forever()
    finally:
        stop.set()


@asynccontextmanager
async def open_tree_watch(paths: Sequence[str], *, quiet_ms: int = 30,
                          max_ms: int = 1600) -> AsyncIterator[TreeWatch]:
    """Watch ``paths`` (files or directory trees) from now on."""
    roots = sorted({watchable(os.path.abspath(p)) for p in paths})
    from watchfiles._rust_notify import RustNotify  # here: `up` without --watch needs none

    notify = await trio.to_thread.run_sync(RustNotify, roots, False, False, 50, True, True)
    try:
        yield TreeWatch(notify, quiet_ms, max_ms)
    finally:
        notify.close()
