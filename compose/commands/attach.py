"""Following containers: their logs as they are written, and their exits."""

from __future__ import annotations

from collections.abc import Sequence

import trio

from compose.console import LogPrinter
from compose.context import Context
from compose.records import ContainerRecord
from runtime.logs import FileWatch, LogReader


async def follow(ctx: Context, record: ContainerRecord, printer: LogPrinter,
                 offset: int = 0) -> int | None:
    """Print the container's log from ``offset`` until it exits; its exit code."""
    path = ctx.containers.log_path(record)
    if not path.exists():  # never started, or already removed
        return await ctx.containers.wait(record)
    reader = LogReader(path, offset)
    with FileWatch(path) as watch:
        async with trio.open_nursery() as nursery:

            async def pump() -> None:
                while True:
                    for line in reader.read():
                        printer.line(record, line)
                    await watch.changed()

            nursery.start_soon(pump)
            code = await ctx.containers.wait(record)
            nursery.cancel_scope.cancel()
    for line in [*reader.read(), *reader.flush()]:
        printer.line(record, line)
    return code


async def follow_all(ctx: Context, records: Sequence[ContainerRecord], printer: LogPrinter,
                     offsets: dict[str, int] | None = None, *, show_exits: bool = True) -> None:
    """Follow every container; return when all have exited."""

    async def one(record: ContainerRecord) -> None:
        code = await follow(ctx, record, printer, (offsets or {}).get(record.id, 0))
        if show_exits:
            printer.exited(record, code)

    async with trio.open_nursery() as nursery:
        for record in records:
            nursery.start_soon(one, record)
