"""Following containers: their logs as they are written, and their exits, across
the restarts their supervisor makes (``logs -f``, attached ``up``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Protocol

import trio

from common.records import ContainerRecord
from common.status import LogLine, LogPosition
from compose.engine import runstate
from compose.engine.context import Context
from compose.planning.lifecycle import Restart, RestartState, restart_decision
from compose.planning.supervision import Supervision

RESTART_GRACE = 10.0
"""How much longer than its back-off the supervisor may take to start a container again."""


class LogSink(Protocol):
    """Where followed lines go (the CLI's ``LogPrinter``)."""

    def line(self, record: ContainerRecord, entry: LogLine) -> None: ...

    def exited(self, record: ContainerRecord, code: int | None) -> None: ...


async def follow(ctx: Context, record: ContainerRecord, sink: LogSink,
                 position: LogPosition | None = None, *,
                 show_exits: bool = False) -> int | None:
    """Send the container's log from ``position`` to ``sink`` until it exits for good
    (across the restarts its supervisor makes); its last exit code."""
    directory = ctx.layout.container_dir(record.id)
    with ctx.containers.open_log(record, position) as log:
        if log is None:  # never started, or already removed
            return await ctx.containers.wait(record)
        supervision = Supervision.of(runstate.read_supervision(directory), {})
        async with trio.open_nursery() as nursery:

            async def pump() -> None:
                while True:
                    for line in log.read():
                        sink.line(record, line)
                    await log.changed()

            nursery.start_soon(pump)
            while True:
                before = runstate.read_restart(directory)
                status = await ctx.containers.status(record)
                code = await ctx.containers.wait(record)
                if code is None:
                    code = (await ctx.containers.status(record)).exit_code
                for line in log.read():
                    sink.line(record, line)
                if show_exits:
                    sink.exited(record, code)
                stopped = runstate.read_restart(directory).manually_stopped
                ran_for = time.time() - (status.started_at or time.time())
                decision = restart_decision(
                    supervision.policy, code,
                    RestartState(before.restarts, before.delay, stopped), ran_for)
                if not isinstance(decision, Restart) or not await _started_again(
                        ctx, record, decision.after + RESTART_GRACE):
                    break
            nursery.cancel_scope.cancel()
        for line in [*log.read(), *log.flush()]:
            sink.line(record, line)
    return code


async def _started_again(ctx: Context, record: ContainerRecord, within: float) -> bool:
    """Wait for the supervisor to run the container again (a new conmon)."""
    with trio.move_on_after(within):
        await ctx.containers.wait_running(record)
        return True
    return False


async def follow_all(ctx: Context, records: Sequence[ContainerRecord], sink: LogSink,
                     positions: dict[str, LogPosition] | None = None, *,
                     show_exits: bool = True,
                     on_exit: Callable[[ContainerRecord, int | None], None] | None = None,
                     ) -> None:
    """Follow every container; return when all have exited.  ``on_exit`` hears of
    each exit for good (not one its supervisor restarts)."""

    async def one(record: ContainerRecord) -> None:
        code = await follow(ctx, record, sink, (positions or {}).get(record.id),
                            show_exits=show_exits)
        if on_exit is not None:
            on_exit(record, code)

    async with trio.open_nursery() as nursery:
        for record in records:
            nursery.start_soon(one, record)
