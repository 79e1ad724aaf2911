"""``pycompose down``: stop and remove the project's containers and networks."""

from __future__ import annotations

from compose import state
from compose.context import Context
from compose.daemon import stop_supervisor
from compose.executor import Executor
from compose.invocation import Invocation, Prepared, Verbs, timeout_arg
from compose.observe import observe
from compose.plan import plan_down


async def down(ctx: Context, project_name: str, timeout: float | None = None,
               volumes: bool = False) -> int:
    async with state.project_lock(ctx.layout, project_name):
        await stop_supervisor(ctx.layout, project_name)  # so nothing is restarted now
        observed = await observe(ctx.layout, project_name, ctx.containers)
        plan = plan_down(observed, remove_volumes=volumes)
        for warning in plan.warnings:
            ctx.output.warn(warning)
        await Executor(ctx.layout, ctx.containers, ctx.networks, ctx.output.progress,
                       timeout, volumes=ctx.volumes).run(plan)
    return 0


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("down", help="stop and remove containers and networks")
    parser.add_argument("-t", "--timeout", type=timeout_arg, help="stop timeout in seconds")
    parser.add_argument("-v", "--volumes", action="store_true",
                        help="also remove the project's named volumes and its containers' "
                        "anonymous volumes")
    parser.add_argument("--remove-orphans", action="store_true",
                        help="accepted for compatibility: down always removes them")
    parser.set_defaults(prepare=prepare)


def prepare(inv: Invocation) -> Prepared:
    name = inv.project_name()
    return lambda ctx: down(ctx, name, inv.args.timeout, inv.args.volumes)
