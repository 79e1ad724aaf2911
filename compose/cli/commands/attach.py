"""Following containers: their logs as they are written, and their exits."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import trio

from common.filewatch import DIRECTORY_CHANGES, FileWatch
from common.records import ContainerRecord
from compose.cli.console import LogPrinter
from compose.engine import runstate
from compose.engine.context import Context
from compose.planning.lifecycle import Restart, RestartState, restart_decision
from compose.supervisor.watch import Supervision
from runtime.oci.logs import LogReader
from runtime.oci.runtime import conmon_pid

# How much longer than its back-off the supervisor may take to start a container again.
RESTART_GRACE = 10.0


async def follow(ctx: Context, record: ContainerRecord, printer: LogPrinter,
                 offset: int = 0, *, show_exits: bool = False) -> int | None:
    """Print the container's log from ``offset`` until it exits for good (across
    the restarts its supervisor makes); its last exit code."""
    path = ctx.containers.log_path(record)
    directory = ctx.layout.container_dir(record.id)
    if not path.exists():  # never started, or already removed
        return await ctx.containers.wait(record)
    reader = LogReader(path, offset)
    supervision = Supervision.of(runstate.read_supervision(directory), {})
    with FileWatch(path) as watch, FileWatch(directory, DIRECTORY_CHANGES) as runs:
        async with trio.open_nursery() as nursery:

            async def pump() -> None:
                while True:
                    for line in reader.read():
                        printer.line(record, line)
                    await watch.changed()

            nursery.start_soon(pump)
            while True:
                before = runstate.read_restart(directory)
                status = await ctx.containers.status(record)
                code = await ctx.containers.wait(record)
                if code is None:
                    code = (await ctx.containers.status(record)).exit_code
                for line in reader.read():
                    printer.line(record, line)
                if show_exits:
                    printer.exited(record, code)
                stopped = runstate.read_restart(directory).manually_stopped
                ran_for = time.time() - (status.started_at or time.time())
                decision = restart_decision(
                    supervision.policy, code,
                    RestartState(before.restarts, before.delay, stopped), ran_for)
                if not isinstance(decision, Restart) or \
                        not await _started_again(directory, record.id, runs,
                                                 decision.after + RESTART_GRACE):
                    break
            nursery.cancel_scope.cancel()
    for line in [*reader.read(), *reader.flush()]:
        printer.line(record, line)
    return code


async def _started_again(directory: Path, container_id: str, runs: FileWatch,
                         within: float) -> bool:
    """Wait for the supervisor to run the container again (a new conmon)."""
    with trio.move_on_after(within):
        while conmon_pid(directory, container_id) is None:
            await runs.changed()
        return True
    return False


async def follow_all(ctx: Context, records: Sequence[ContainerRecord], printer: LogPrinter,
                     offsets: dict[str, int] | None = None, *, show_exits: bool = True,
                     on_exit: Callable[[ContainerRecord, int | None], None] | None = None,
                     ) -> None:
    """Follow every container; return when all have exited.  ``on_exit`` hears of
    each exit for good (not one its supervisor restarts)."""

    async def one(record: ContainerRecord) -> None:
        code = await follow(ctx, record, printer, (offsets or {}).get(record.id, 0),
                            show_exits=show_exits)
        if on_exit is not None:
            on_exit(record, code)

    async with trio.open_nursery() as nursery:
        for record in records:
            nursery.start_soon(one, record)
