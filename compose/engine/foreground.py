"""``up`` without ``-d``: the containers' logs streamed until they have all exited;
the first Ctrl-C stops the stack gracefully (dependents first), a second one
kills it, and the abort flags stop it at the first exit."""

from __future__ import annotations

import signal
from collections.abc import Sequence
from functools import partial

import trio

from common.concurrency import run_concurrently
from common.records import ContainerRecord
from compose.engine.containersteps import stop_by_user
from compose.engine.context import Context
from compose.engine.follow import LogSink, follow_all
from compose.planning.abort import Abort, AbortFlags
from compose.spec import graph
from compose.spec.model import Project


async def attached(ctx: Context, project: Project, records: Sequence[ContainerRecord],
                   watched: Sequence[ContainerRecord], sink: LogSink, flags: AbortFlags,
                   timeout: float | None,
                   more: trio.MemoryReceiveChannel[Sequence[ContainerRecord]] | None = None,
                   ) -> int:
    """Stream the logs of ``watched`` to ``sink`` until they have all exited, as
    docker compose does; ``up``'s exit status.  ``more``: containers made while it
    runs (``up --watch`` rebuilds), followed too; until it is closed or the user
    stops the stack, ``up`` goes on."""
    order = graph.levels(graph.dependencies(project))
    extra: list[ContainerRecord] = []
    listening = trio.CancelScope()

    async def stop_all(timeout: float | None) -> None:
        # Shielded: the following ends (and its nursery is cancelled) as soon as the
        # followed containers have stopped, which is before the levels behind them
        # (dependencies not followed) have; the stop must still reach them.
        listening.cancel()
        with trio.CancelScope(shield=True):
            for level in reversed(order):
                await run_concurrently([
                    partial(stop_by_user, ctx.layout, ctx.containers, r, timeout,
                            ctx.output.warn)
                    for r in [*records, *extra] if r.service in level
                ])

    abort = Abort(flags)
    async with trio.open_nursery() as nursery:

        async def watch_signals() -> None:
            with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                count = 0
                async for _ in signals:
                    count += 1
                    abort.interrupted = True
                    if count == 1:
                        ctx.output.error("Gracefully stopping... (press Ctrl+C again to force)")
                        nursery.start_soon(stop_all, timeout)
                    else:
                        nursery.start_soon(stop_all, 0.0)

        def exited(record: ContainerRecord, code: int | None) -> None:
            if abort.exited(record, code):
                ctx.output.text("Aborting on container exit...")
                nursery.start_soon(stop_all, timeout)

        nursery.start_soon(watch_signals)
        async with trio.open_nursery() as followers:
            followers.start_soon(partial(follow_all, ctx, watched, sink, on_exit=exited))

            async def follow_more(more: trio.MemoryReceiveChannel[Sequence[ContainerRecord]],
                                  ) -> None:
                with listening:
                    async for made in more:
                        extra.extend(made)
                        followers.start_soon(partial(follow_all, ctx, made, sink,
                                                     on_exit=exited))

            if more is not None:
                followers.start_soon(follow_more, more)
        nursery.cancel_scope.cancel()
    return abort.exit_code
