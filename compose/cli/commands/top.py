"""``pycompose top``: the processes of each running container, as ``ps -ef``."""

from __future__ import annotations

from compose.cli.invocation import Verbs, project_verb
from compose.cli.views.texttable import text_table
from compose.engine.context import Context
from compose.engine.targets import project_records

TOP_HEADERS = ("UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD")
"""``ps -ef``'s columns, docker top's default."""


async def top(ctx: Context, project: str, services: list[str]) -> int:
    records = await project_records(ctx.layout, project, services, oneoff=True)
    first = True
    for record in records:
        if not (await ctx.containers.status(record)).running:
            continue
        rows = await ctx.containers.top(record)
        if not first:
            ctx.output.raw("\n")
        first = False
        ctx.output.raw(f"{record.name}\n{text_table(TOP_HEADERS, rows)}\n")
    return 0


def register(verbs: Verbs) -> None:
    project_verb(verbs, "top", "display the running processes",
                 lambda ctx, project, services, args: top(ctx, project, services))
