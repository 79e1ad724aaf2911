"""Running operations concurrently (trio) with the first failure raised as itself:
a user reads ``image x: not found``, not an exception group."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

import trio

from common.errors import ImageError


async def run_all(operations: Iterable[Callable[[], Awaitable[None]]]) -> None:
    """Run concurrently; the first ImageError is raised as itself, not in a group."""
    try:
        async with trio.open_nursery() as nursery:
            for operation in operations:
                nursery.start_soon(operation)
    except BaseExceptionGroup as group:
        matched, _ = group.split(ImageError)
        if matched is None:
            raise
        first: BaseException = matched
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from None
