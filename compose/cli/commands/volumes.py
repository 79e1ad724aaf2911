"""``pycompose volumes``: the project's volumes (those its services' containers
mount, when services are named), as ``volume ls`` shows them."""

from __future__ import annotations

import trio

from common import state
from compose.cli.commands.volume import show
from compose.cli.invocation import Verbs, project_verb
from compose.engine.context import Context


async def project_volumes(ctx: Context, project: str, services: list[str], quiet: bool,
                          fmt: str) -> int:
    """``pycompose volumes``: the project's volumes (those its services' containers
    mount, when services are named)."""
    volumes = await ctx.volumes.volumes()
    if not services:
        return show(ctx, [v for v in volumes.values() if v.project == project], quiet, fmt)
    records = await trio.to_thread.run_sync(state.container_records, ctx.layout, project)
    wanted = {n for r in records if r.service in services for n in r.volumes.values()}
    return show(ctx, [v for name, v in volumes.items() if name in wanted], quiet, fmt)


def register(verbs: Verbs) -> None:
    parser = project_verb(verbs, "volumes", "list the project's volumes",
                          lambda ctx, project, services, args: project_volumes(
                              ctx, project, services, args.quiet, args.format))
    parser.add_argument("-q", "--quiet", action="store_true", help="only names")
    parser.add_argument("--format", default="table",
                        help="table, json, or a Go template ('{{.Name}}')")
