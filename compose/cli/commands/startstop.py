"""``pycompose start`` / ``stop`` / ``restart``: act on the containers ``up``
created, in dependency order (compose/planning/startstop.py decides which and when)."""

from __future__ import annotations

from common import state
from common.errors import UsageError
from compose.cli.commands.up import start_dependencies
from compose.cli.invocation import Invocation, Prepared, Verbs, timeout_arg
from compose.engine.executor import Executor
from compose.engine.observe import observe
from compose.engine.targets import is_oneoff
from compose.planning.ops import Plan
from compose.planning.startstop import plan_restart, plan_start, plan_stop
from compose.supervisor.daemon import ensure_supervisor
from compose.wiring import Context


async def _run(ctx: Context, project: str, plan: Plan, timeout: float | None,
               starts: bool) -> None:
    dependencies = start_dependencies(ctx, project) if starts else None
    await Executor(ctx.layout, ctx.containers, ctx.networks, ctx.output.progress, timeout,
                   dependencies).run(plan)
    if starts and plan.starting():
        await ensure_supervisor(ctx.layout, project, ctx.environ)  # watch them again


async def start(ctx: Context, project: str, services: list[str]) -> int:
    async with state.project_lock(ctx.layout, project):
        observed = await observe(ctx.layout, project, ctx.containers)
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
        observed = await observe(ctx.layout, project, ctx.containers)
        await _run(ctx, project, plan_stop(observed, services), timeout, starts=False)
    return 0


async def restart(ctx: Context, project: str, services: list[str], timeout: float | None,
                  no_deps: bool) -> int:
    async with state.project_lock(ctx.layout, project):
        observed = await observe(ctx.layout, project, ctx.containers)
        plan = plan_restart(observed, services, no_deps=no_deps)
        await _run(ctx, project, plan, timeout, starts=True)
    return 0


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("start", help="start existing containers")
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.set_defaults(prepare=prepare_start)
    parser = verbs.add_parser("stop", help="stop running containers without removing them")
    parser.add_argument("-t", "--timeout", type=timeout_arg, help="stop timeout in seconds")
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.set_defaults(prepare=prepare_stop)
    parser = verbs.add_parser("restart", help="restart service containers")
    parser.add_argument("-t", "--timeout", type=timeout_arg, help="stop timeout in seconds")
    parser.add_argument("--no-deps", action="store_true",
                        help="do not restart the services that depend on them")
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.set_defaults(prepare=prepare_restart)


def prepare_start(inv: Invocation) -> Prepared:
    name = inv.project_name()
    inv.check_services(inv.args.services)
    services = list(inv.args.services)
    return lambda ctx: start(ctx, name, services)


def prepare_stop(inv: Invocation) -> Prepared:
    name = inv.project_name()
    inv.check_services(inv.args.services)
    services, timeout = list(inv.args.services), inv.args.timeout
    return lambda ctx: stop(ctx, name, services, timeout)


def prepare_restart(inv: Invocation) -> Prepared:
    name = inv.project_name()
    inv.check_services(inv.args.services)
    args = inv.args
    return lambda ctx: restart(ctx, name, list(args.services), args.timeout, args.no_deps)
