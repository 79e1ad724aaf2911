"""``pycompose top``: the processes of each running container, as ``ps -ef``."""

from __future__ import annotations

import time

import trio

from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.engine.context import Context
from compose.engine.targets import project_records
from runtime.oci.procs import TOP_HEADERS, boot_time, read_process, table, top_rows


async def top(ctx: Context, project: str, services: list[str]) -> int:
    records = await project_records(ctx.layout, project, services, oneoff=True)
    booted = await trio.to_thread.run_sync(boot_time)
    first = True
    for record in records:
        if not (await ctx.containers.status(record)).running:
            continue
        pids = await ctx.containers.processes(record)
        found = [p for p in (read_process(pid) for pid in pids) if p is not None]
        rows = top_rows(found, boot_time=booted, now=time.time())
        if not first:
            ctx.output.raw("\n")
        first = False
        ctx.output.raw(f"{record.name}\n{table(TOP_HEADERS, rows)}\n")
    return 0


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("top", help="display the running processes")
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.set_defaults(prepare=prepare)


def prepare(inv: Invocation) -> Prepared:
    args = inv.args
    name = inv.project_name()
    inv.check_services(args.services)
    return lambda ctx: top(ctx, name, list(args.services))
