"""``pycompose inspect SERVICE|CONTAINER...``: containers as ``docker inspect``
shows them, health probes included (compose/cli/views/inspection.py)."""

from __future__ import annotations

import json

from common.errors import UsageError
from common.status import ContainerStatus
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.cli.views.inspection import ContainerFacts, inspect_json
from compose.engine import runstate
from compose.engine.context import Context
from compose.engine.observe import observe


async def inspect(ctx: Context, project: str, targets: list[str]) -> int:
    await ctx.supervisors.adopt(project)
    observed = await observe(ctx.layout, project, ctx.containers)
    found = []
    for target in targets:
        matches = [s for s in observed.containers
                   if target in (s.record.service, s.record.name, s.record.id)
                   or (len(target) >= 4 and s.record.id.startswith(target))]
        if not matches:
            raise UsageError(f"no such service or container: {target}")
        found += sorted(matches, key=lambda s: s.record.number)
    results = [inspect_json(await gather(ctx, status)) for status in found]
    ctx.output.raw(json.dumps(results, indent=4) + "\n")
    return 0


async def gather(ctx: Context, status: ContainerStatus) -> ContainerFacts:
    """Everything ``inspect`` shows of one container."""
    record = status.record
    directory = ctx.layout.container_dir(record.id)
    running = status.running
    return ContainerFacts(
        status=status,
        directory=str(directory),
        service=runstate.read_supervision(directory),
        image_config=ctx.image_config(record),
        spec=ctx.containers.spec(record),
        health=runstate.read_health(directory) if running else None,
        restarts=runstate.read_restart(directory).restarts,
        paused=running and await ctx.containers.paused(record),
        oom_killed=not running and ctx.containers.oom_killed(record),
        volume_sources={name: ctx.volumes.data_dir(name) for name in record.volumes.values()},
    )


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("inspect", help="low-level information on containers")
    parser.add_argument("targets", nargs="+", metavar="SERVICE|CONTAINER")
    parser.set_defaults(prepare=prepare)


def prepare(inv: Invocation) -> Prepared:
    name = inv.project_name()
    targets = list(inv.args.targets)
    return lambda ctx: inspect(ctx, name, targets)
