"""``pycompose pause``: freeze every process of the services' running containers
(the freezer cgroup, through the OCI runtime); ``unpause`` thaws them."""

from __future__ import annotations

from functools import partial

from common.concurrency import parallel_limit, run_concurrently
from common.records import ContainerRecord
from compose.cli.invocation import Verbs, project_verb
from compose.engine.context import Context
from compose.engine.events import Progress
from compose.engine.targets import project_records


async def pause(ctx: Context, project: str, services: list[str], *, thaw: bool) -> int:
    records = await project_records(ctx.layout, project, services)
    chosen = []
    for record in records:
        if (await ctx.containers.status(record)).running and \
                await ctx.containers.paused(record) == thaw:
            chosen.append(record)
    doing, done = ("Unpausing", "Unpaused") if thaw else ("Pausing", "Paused")

    async def one(record: ContainerRecord) -> None:
        ctx.output.progress(Progress("Container", record.name, doing))
        if thaw:
            await ctx.containers.unpause(record)
        else:
            await ctx.containers.pause(record)
        ctx.output.progress(Progress("Container", record.name, done, done=True))

    await run_concurrently([partial(one, r) for r in chosen], limit=parallel_limit())
    return 0


def register(verbs: Verbs) -> None:
    project_verb(verbs, "pause", "pause services",
                 lambda ctx, project, services, args: pause(ctx, project, services, thaw=False))
