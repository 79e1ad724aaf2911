"""``down``: stop and remove a project's containers, networks and (with ``-v``)
volumes, from the records alone (no Compose file needed), and with ``--rmi`` the
images its services used."""

from __future__ import annotations

from collections.abc import Sequence

import trio

from common import runtimedir, state
from common.concurrency import open_nursery
from common.errors import ImageError
from common.records import ContainerRecord
from compose.engine.context import Context
from compose.engine.events import Progress
from compose.engine.executor import Executor
from compose.engine.observe import observe, refuse_elsewhere
from compose.planning.observed import ObservedState
from compose.planning.plan import plan_down


async def down(ctx: Context, project_name: str, timeout: float | None = None,
               volumes: bool = False, rmi: str | None = None) -> int:
    async with state.project_lock(ctx.layout, project_name):
        # before its supervisor is stopped: a project of another network namespace is
        # left as it is (its project.json is small: read here, not in a thread)
        await refuse_elsewhere(
            ctx.networks, state.project_networks(ctx.layout, project_name).values())
        observed = await _observe_stopping(ctx, project_name)
        plan = plan_down(observed, remove_volumes=volumes)
        for warning in plan.warnings:
            ctx.output.warn(warning)
        await Executor(ctx.layout, ctx.containers, ctx.networks, ctx.output.progress,
                       timeout, volumes=ctx.volumes, warn=ctx.output.warn).run(plan)
        if rmi is not None:
            await remove_images(ctx, images_to_remove(
                [c.record for c in observed.containers], project_name, rmi))
    # the last project of the root gone: its idle locks and empty directories too
    await trio.to_thread.run_sync(runtimedir.tidy, ctx.layout)
    return 0


async def _observe_stopping(ctx: Context, project: str) -> ObservedState:
    """What exists, read while the supervisor ends (so nothing is restarted now):
    both are done before anything is stopped.  A container its supervisor
    restarted meanwhile is found running by its removal, which kills it."""
    found: list[ObservedState] = []

    async def read() -> None:
        found.append(await observe(ctx.layout, project, ctx.containers, volumes=ctx.volumes))

    async with open_nursery() as nursery:
        nursery.start_soon(ctx.supervisors.stop, project)
        nursery.start_soon(read)
    return found[0]


def images_to_remove(records: Sequence[ContainerRecord], project: str, rmi: str) -> list[str]:
    """``--rmi all``: every image the services used; ``local``: only those without a
    name of their own (built ones, named ``<project>-<service>``)."""
    images = dict.fromkeys(r.image for r in records
                           if rmi == "all" or r.image == f"{project}-{r.service}")
    return [i for i in images if i]


async def remove_images(ctx: Context, names: Sequence[str]) -> None:
    for name in names:
        try:
            await ctx.images.remove([name], force=False)
        except ImageError as exc:
            ctx.output.warn(str(exc))
            continue
        ctx.output.progress(Progress("Image", name, "Removed", done=True))
