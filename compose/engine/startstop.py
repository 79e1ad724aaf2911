"""``start``, ``stop`` and ``restart``: the containers ``up`` created, in
dependency order, from their records (``planning/startstop.py`` decides which and
when)."""

from __future__ import annotations

from common import state
from common.errors import UsageError
from common.records import is_oneoff
from compose.engine.context import Context
from compose.engine.converge import start_dependencies
from compose.engine.executor import Executor
from compose.engine.observe import observe
from compose.planning.ops import Plan
from compose.planning.startstop import plan_restart, plan_start, plan_stop


async def _run(ctx: Context, project: str, plan: Plan, timeout: float | None,
               starts: bool) -> None:
    dependencies = start_dependencies(ctx, project) if starts else None
    await Executor(ctx.layout, ctx.containers, ctx.networks, ctx.output.progress, timeout,
                   dependencies, warn=ctx.output.warn).run(plan)
    if starts and plan.starting():
        await ctx.supervisors.ensure(project)  # watch them again


async def start(ctx: Context, project: str, services: list[str]) -> int:
    async with state.project_lock(ctx.layout, project):
        observed = await observe(ctx.layout, project, ctx.containers, volumes=ctx.volumes)
        have = {c.record.service for c in observed.containers if not is_oneoff(c.record)}
        missing = [s for s in services if s not in have]
        if missing:
            raise UsageError(f"service {missing[0]!r} has no container to start")
        if not have:
            raise UsageError(f"project {project!r} has no container to start")
        await _run(ctx, project, plan_start(observed, services), None, starts=True)
    return 0


async def stop(ctx: Context, project: str, services: list[str], timeout: float | None) -> int:
    async with state.project_lock(ctx.layout, project):
        observed = await observe(ctx.layout, project, ctx.containers, volumes=ctx.volumes)
        await _run(ctx, project, plan_stop(observed, services), timeout, starts=False)
    return 0


async def restart(ctx: Context, project: str, services: list[str], timeout: float | None,
                  no_deps: bool) -> int:
    async with state.project_lock(ctx.layout, project):
        observed = await observe(ctx.layout, project, ctx.containers, volumes=ctx.volumes)
        plan = plan_restart(observed, services, no_deps=no_deps)
        await _run(ctx, project, plan, timeout, starts=True)
    return 0
