"""``pycompose down``: stop and remove the project's containers and networks."""

from __future__ import annotations

from compose import state
from compose.context import Context
from compose.executor import Executor
from compose.observe import observe
from compose.plan import plan_down


async def down(ctx: Context, project_name: str, timeout: float | None = None) -> int:
    async with state.project_lock(ctx.layout, project_name):
        observed = await observe(ctx.layout, project_name, ctx.containers)
        plan = plan_down(observed)
        await Executor(ctx.layout, ctx.containers, ctx.networks, ctx.output.progress,
                       timeout).run(plan)
    return 0
