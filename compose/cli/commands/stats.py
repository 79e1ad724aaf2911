"""``pycompose stats``: CPU, memory, pids, network and block I/O of the running
containers, read from their cgroups; a live table until Ctrl-C, one table with
``--no-stream``, or JSON lines with ``--format json``."""

from __future__ import annotations

import json
import signal
from contextlib import nullcontext
from os import cpu_count
from pathlib import Path

import trio

from compose.cli.console import Output
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.cli.views.statsview import HEADERS, Sample, render_live, row, table_rows
from compose.cli.views.texttable import text_table
from compose.engine.context import Context
from compose.engine.targets import project_records

INTERVAL = 1.0


def host_memory() -> int:
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return 0


async def _samples(ctx: Context, project: str, services: list[str],
                   all_containers: bool) -> list[Sample]:
    records = await project_records(ctx.layout, project, services, oneoff=True)
    samples = []
    for record in records:
        status = await ctx.containers.status(record)
        if not status.running and not all_containers:
            continue
        usage = await ctx.containers.stats(record)
        samples.append(Sample(record.id, record.name, usage.cgroup, usage.system_cpu_ns,
                              usage.net))
    return samples


async def stats(ctx: Context, output: Output, project: str, services: list[str], *,
                stream: bool, fmt: str, all_containers: bool) -> int:
    """``output``: the console itself, for the live table."""
    cpus, memory = cpu_count() or 1, host_memory()
    previous: dict[str, Sample] = {
        s.id: s for s in await _samples(ctx, project, services, all_containers)}
    if not stream:
        await trio.sleep(0.5)  # two samples make a CPU percentage
        rows = [row(previous.get(s.id), s, cpus=cpus, host_memory=memory)
                for s in await _samples(ctx, project, services, all_containers)]
        if fmt == "json":
            for item in rows:
                ctx.output.text(json.dumps(item))
        else:
            ctx.output.raw(text_table(HEADERS, table_rows(rows)) + "\n")
        return 0
    from rich.live import Live  # the live view only: rich is slow to import

    live = Live(render_live([]), console=output.out, auto_refresh=False) \
        if fmt != "json" else nullcontext()
    with live, trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with trio.open_nursery() as nursery:

            async def stop_on_signal() -> None:
                async for _ in signals:
                    nursery.cancel_scope.cancel()

            nursery.start_soon(stop_on_signal)
            while True:
                await trio.sleep(INTERVAL)
                current = await _samples(ctx, project, services, all_containers)
                rows = [row(previous.get(s.id), s, cpus=cpus, host_memory=memory)
                        for s in current]
                if isinstance(live, Live):
                    live.update(render_live(rows), refresh=True)
                else:
                    for item in rows:
                        ctx.output.text(json.dumps(item))
                previous = {s.id: s for s in current}
    return 0


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("stats", help="live resource usage of containers")
    parser.add_argument("-a", "--all", action="store_true", help="include stopped containers")
    parser.add_argument("--no-stream", action="store_true", help="print once and exit")
    parser.add_argument("--format", choices=["table", "json"], default="table")
    parser.add_argument("--no-trunc", action="store_true", help="accepted for compatibility")
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.set_defaults(prepare=prepare)


def prepare(inv: Invocation) -> Prepared:
    args = inv.args
    name, services = inv.project_and_services()
    return lambda ctx: stats(ctx, inv.output, name, services, stream=not args.no_stream,
                             fmt=args.format, all_containers=args.all)
