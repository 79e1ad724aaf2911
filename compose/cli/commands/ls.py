"""``pycompose ls``: the projects of this state root."""

from __future__ import annotations

import json

import trio

from common import state
from common.errors import UsageError
from common.status import ContainerStatus
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.cli.views.gotemplate import FORMAT_HELP, is_template, render
from compose.cli.views.projectlist import ls_table, project_rows
from compose.engine.context import Context
from compose.engine.observe import observe


async def ls(ctx: Context, *, all_projects: bool, quiet: bool, fmt: str,
             names: list[str]) -> int:
    projects: dict[str, tuple[ContainerStatus, ...]] = {}
    for name in await trio.to_thread.run_sync(state.project_names, ctx.layout):
        projects[name] = (await observe(ctx.layout, name, ctx.containers)).containers
    rows = project_rows(projects, all_projects=all_projects, names=names)
    if quiet:
        for row in rows:
            ctx.output.text(row.name)
    elif is_template(fmt):
        ctx.output.text(render(fmt, [row.to_json() for row in rows],
                               {"ConfigFiles": "CONFIG FILES"}))
    elif fmt == "json":
        ctx.output.text(json.dumps([row.to_json() for row in rows]))
    else:
        ctx.output.text(ls_table(rows))
    return 0


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("ls", help="list running projects")
    parser.add_argument("-a", "--all", action="store_true", help="include stopped projects")
    parser.add_argument("-q", "--quiet", action="store_true", help="only project names")
    parser.add_argument("--format", default="table", help=FORMAT_HELP)
    parser.add_argument("--filter", action="append", default=[], metavar="name=VALUE",
                        help="only projects with this name")
    parser.set_defaults(prepare=prepare)


def prepare(inv: Invocation) -> Prepared:
    args = inv.args
    names = []
    for entry in args.filter:
        key, _, value = entry.partition("=")
        if key != "name" or not value:
            raise UsageError(f"invalid filter {entry!r}: only name=VALUE is supported")
        names.append(value)
    return lambda ctx: ls(ctx, all_projects=args.all, quiet=args.quiet, fmt=args.format,
                          names=names)
