"""``pycompose ps``: the project's containers, as a table or JSON lines."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

from common.status import ContainerStatus
from compose.cli.invocation import Verbs, project_verb
from compose.cli.views.gotemplate import FORMAT_HELP, is_template, render
from compose.cli.views.pslist import PS_HEADERS, ps_row, ps_table
from compose.engine import runstate
from compose.engine.context import Context
from compose.engine.observe import observe
from compose.planning.health import STARTING, health_config


async def ps(ctx: Context, project_name: str, *, services: Sequence[str] = (),
             all_containers: bool = False, fmt: str = "table", quiet: bool = False,
             list_services: bool = False) -> int:
    await ctx.supervisors.adopt(project_name)
    observed = await observe(ctx.layout, project_name, ctx.containers)
    statuses = [
        s for s in observed.containers
        if (all_containers or s.running) and (not services or s.record.service in services)
    ]
    statuses.sort(key=lambda s: (s.record.service, s.record.number))
    if quiet:
        for status in statuses:
            ctx.output.text(status.record.id)
        return 0
    if list_services:
        for name in sorted({s.record.service for s in statuses}):
            ctx.output.text(name)
        return 0
    now = time.time()
    rows = [ps_row(s, now, health_of(ctx, s)) for s in statuses]
    if is_template(fmt):
        ctx.output.text(render(fmt, rows, PS_HEADERS))
    elif fmt == "json":
        for row in rows:
            ctx.output.text(json.dumps(row))
    else:
        ctx.output.text(ps_table(rows))
    return 0


def health_of(ctx: Context, status: ContainerStatus) -> str:
    """What the supervisor last found, or ``starting`` before its first probe."""
    if not status.running:
        return ""
    directory = ctx.layout.container_dir(status.record.id)
    found = runstate.read_health(directory)
    if found is not None:
        return found.status
    service = runstate.read_supervision(directory)
    return "" if health_config(service, ctx.image_config(status.record)) is None \
        else STARTING


def register(verbs: Verbs) -> None:
    parser = project_verb(verbs, "ps", "list containers",
                          lambda ctx, project, services, args: ps(
                              ctx, project, services=services, all_containers=args.all,
                              fmt=args.format, quiet=args.quiet,
                              list_services=args.services),
                          dest="services_filter")
    parser.add_argument("-a", "--all", action="store_true", help="include stopped containers")
    parser.add_argument("-q", "--quiet", action="store_true", help="only IDs")
    parser.add_argument("--services", action="store_true", help="only service names")
    parser.add_argument("--format", default="table", help=FORMAT_HELP)
