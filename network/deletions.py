"""Link deletions gathered into batches while one is in the kernel.

Each deletion of a veth waits for RCU grace periods inside the kernel, under the
lock every netlink change takes, so twenty containers removed side by side would
wait twenty times in a row.  Here the first caller deletes its links at once;
the callers that arrive meanwhile join the next batch, which whoever comes first
deletes in one go when the kernel is free (``netlink.delete_links``), and each
caller returns once its own links are gone, or raises the batch's error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection

import trio

from common.errors import NetworkFailure

Delete = Callable[[list[str]], Awaitable[None]]


class _Batch:
    def __init__(self) -> None:
        self.names: set[str] = set()
        self.done = trio.Event()
        self.error: str | None = None


class LinkDeletions:
    """Deletes links for concurrent callers, batch by batch, with ``delete``."""

    def __init__(self, delete: Delete) -> None:
        self._delete = delete
        self._lock = trio.Lock()  # one batch in the kernel at a time
        self._gathering: _Batch | None = None

    async def delete(self, names: Collection[str]) -> None:
        if not names:
            return
        if self._gathering is None:
            self._gathering = _Batch()
        batch = self._gathering
        batch.names.update(names)
        async with self._lock:
            if batch is self._gathering:  # nobody took it yet: ours to carry
                self._gathering = None
                try:
                    await self._delete(sorted(batch.names))
                except BaseException as exc:  # the others of the batch raise it too
                    batch.error = str(exc) or type(exc).__name__
                    raise
                finally:
                    batch.done.set()
        await batch.done.wait()
        if batch.error is not None:
            raise NetworkFailure(batch.error)
