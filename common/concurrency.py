"""Running operations concurrently (trio) with the first failure raised as itself:
a user reads ``image x: not found``, not an exception group; and how many at once.

Every fan-out over a project's containers, layers or networks goes through a
``trio.CapacityLimiter`` of ``parallel_limit()`` (``COMPOSE_PARALLEL_LIMIT``, as
Docker Compose reads it): a project of 300 containers makes 300 tasks, never 300
runtime processes or worker threads at once.  Only waits (for an exit, a stop's
grace period, a health check) are left unbounded: they hold nothing.  And
``meanwhile``: an action that awaits, where it must, what runs beside it.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import TypeVar

import trio

from common.errors import ImageError, first_user_error

T = TypeVar("T")


@asynccontextmanager
async def open_nursery() -> AsyncIterator[trio.Nursery]:
    """trio's nursery, but a failure that is one error meant for the user is raised
    on its own, not in an exception group: callers catch ``PycomposeError``."""
    try:
        async with trio.open_nursery() as nursery:
            yield nursery
    except BaseExceptionGroup as group:
        first = first_user_error(group)
        if first is not None:
            raise first from None
        raise


def parallel_limit(environ: Mapping[str, str] | None = None) -> int:
    """Operations in flight at once: ``COMPOSE_PARALLEL_LIMIT`` when it is a positive
    number, else enough to keep the cores and the disk busy (runtime processes and
    file work are what each one holds)."""
    text = (os.environ if environ is None else environ).get("COMPOSE_PARALLEL_LIMIT", "")
    if text.strip().isdigit() and int(text) > 0:
        return int(text)
    return max(4, 2 * (os.cpu_count() or 1))


def bounded(limiter: trio.CapacityLimiter | None,
            job: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    """``job`` run once ``limiter`` lets it (``None``: at once)."""
    if limiter is None:
        return job

    async def run() -> None:
        async with limiter:
            await job()

    return run


async def run_all(operations: Iterable[Callable[[], Awaitable[None]]], *,
                  limiter: trio.CapacityLimiter | None = None) -> None:
    """Run concurrently (as ``limiter`` lets them); the first ImageError is raised as
    itself, not in a group."""
    try:
        async with trio.open_nursery() as nursery:
            for operation in operations:
                nursery.start_soon(bounded(limiter, operation))
    except BaseExceptionGroup as group:
        matched, _ = group.split(ImageError)
        if matched is None:
            raise
        first: BaseException = matched
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from None


class Coalesced:
    """``work`` run on request, requests that arrive while it runs sharing the next
    run: each caller returns once a run that began after its call has ended.  A
    burst of requests (20 containers started at once, each asking the supervisor to
    rebuild its DNS table from every record on disk) costs two runs, not twenty.
    A run that fails raises in the caller that ran it; the others run it anew."""

    def __init__(self, work: Callable[[], Awaitable[None]]) -> None:
        self._work = work
        self._started = 0
        self._finished = 0
        self._running = False
        self._ended = trio.Event()

    async def __call__(self) -> None:
        wanted = self._started + 1  # the run after the one under way, if any
        while self._finished < wanted:
            if self._running:
                await self._ended.wait()
                continue
            self._running = True
            self._started += 1
            mine = self._started
            try:
                await self._work()
                self._finished = mine
            finally:
                self._running = False
                self._ended.set()
                self._ended = trio.Event()


async def run_concurrently(jobs: list[Callable[[], Awaitable[None]]], *,
                           limit: int | None = None) -> None:
    """Run jobs at once (``limit`` at a time; None for waits, which hold nothing);
    if any fail, the others are cancelled and the first user-facing error is raised
    on its own (not wrapped in an ExceptionGroup)."""
    limiter = None if limit is None else trio.CapacityLimiter(limit)
    if len(jobs) == 1:
        await jobs[0]()
        return
    async with open_nursery() as nursery:
        for job in jobs:
            nursery.start_soon(bounded(limiter, job))


async def meanwhile(ready: Callable[[], Awaitable[object]],
                    act: Callable[..., Awaitable[T]], *,
                    then: Callable[[], object] | None = None) -> T:
    """``act(ready=...)`` while ``ready()`` runs: ``act`` awaits its end (and
    ``then``'s, called right after it) where it must (a container's process starts
    only once its DNS server is up), and does everything before that point
    meanwhile (conmon and the runtime create it)."""
    done = trio.Event()

    async def prepare() -> None:
        await ready()
        if then is not None:
            await trio.to_thread.run_sync(then)  # a state file, fsync'd: not on the loop
        done.set()

    async with open_nursery() as nursery:
        nursery.start_soon(prepare)
        return await act(ready=done.wait)
