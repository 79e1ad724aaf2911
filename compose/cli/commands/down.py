"""``pycompose down``: stop and remove the project's containers and networks."""

from __future__ import annotations

from collections.abc import Sequence

from common import state
from common.errors import ImageError
from common.records import ContainerRecord
from compose.cli.invocation import Invocation, Prepared, Verbs, timeout_arg
from compose.engine.context import Context
from compose.engine.events import Progress
from compose.engine.executor import Executor
from compose.engine.observe import observe
from compose.planning.plan import plan_down
from compose.supervisor.daemon import stop_supervisor


async def down(ctx: Context, project_name: str, timeout: float | None = None,
               volumes: bool = False, rmi: str | None = None) -> int:
    async with state.project_lock(ctx.layout, project_name):
        await stop_supervisor(ctx.layout, project_name)  # so nothing is restarted now
        observed = await observe(ctx.layout, project_name, ctx.containers)
        plan = plan_down(observed, remove_volumes=volumes)
        for warning in plan.warnings:
            ctx.output.warn(warning)
        await Executor(ctx.layout, ctx.containers, ctx.networks, ctx.output.progress,
                       timeout, volumes=ctx.volumes).run(plan)
        if rmi is not None:
            await remove_images(ctx, images_to_remove(
                [c.record for c in observed.containers], project_name, rmi))
    return 0


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


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("down", help="stop and remove containers and networks")
    parser.add_argument("-t", "--timeout", type=timeout_arg, help="stop timeout in seconds")
    parser.add_argument("-v", "--volumes", action="store_true",
                        help="also remove the project's named volumes and its containers' "
                        "anonymous volumes")
    parser.add_argument("--remove-orphans", action="store_true",
                        help="accepted for compatibility: down always removes them")
    parser.add_argument("--rmi", choices=["local", "all"],
                        help="also remove images: all the services used, or only "
                        "those without a name of their own (local)")
    parser.set_defaults(prepare=prepare)


def prepare(inv: Invocation) -> Prepared:
    name = inv.project_name()
    return lambda ctx: down(ctx, name, inv.args.timeout, inv.args.volumes, inv.args.rmi)
