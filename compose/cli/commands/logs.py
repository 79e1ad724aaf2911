"""``pycompose logs``: what the containers printed, and with ``-f`` what they print."""

from __future__ import annotations

import time
from collections.abc import Sequence

import trio

from common.records import ContainerRecord
from common.status import LogLine, LogPosition
from compose.cli.console import LogPrinter, Output
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.engine import logselect
from compose.engine.context import Context
from compose.engine.follow import follow_all
from compose.engine.observe import observe


async def logs(ctx: Context, output: Output, project_name: str, *, services: Sequence[str] = (),
               follow: bool = False, timestamps: bool = False, prefix: bool = True,
               tail: int | None = None, since: str | None = None,
               until: str | None = None) -> int:
    now = time.time()
    start = None if since is None else logselect.parse_when(since, now)
    end = None if until is None else logselect.parse_when(until, now)
    await ctx.supervisors.adopt(project_name)
    observed = await observe(ctx.layout, project_name, ctx.containers)
    statuses = [s for s in observed.containers
                if not services or s.record.service in services]
    statuses.sort(key=lambda s: (s.record.service, s.record.number))
    records = [s.record for s in statuses]
    printer = LogPrinter(output, records, prefix=prefix, timestamps=timestamps)
    history: list[tuple[LogLine, int, ContainerRecord]] = []
    positions: dict[str, LogPosition] = {}
    for index, record in enumerate(records):
        lines, positions[record.id] = await trio.to_thread.run_sync(
            ctx.containers.log_history, record)
        chosen = logselect.select(lines, tail=tail, since=start, until=end)
        history += [(line, index, record) for line in chosen]
    history.sort(key=lambda item: (item[0].time, item[1]))
    for line, _, record in history:
        printer.line(record, line)
    if follow and (end is None or end > time.time()):
        running = [s.record for s in statuses if s.running]
        await follow_all(ctx, running, printer, positions, show_exits=False)
    return 0


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("logs", help="show container output")
    parser.add_argument("-f", "--follow", action="store_true", help="follow log output")
    parser.add_argument("-t", "--timestamps", action="store_true", help="show timestamps")
    parser.add_argument("--no-log-prefix", action="store_true", help="no service prefix")
    parser.add_argument("--no-color", action="store_true", help="monochrome output")
    parser.add_argument("-n", "--tail", default="all",
                        help="lines to show from the end of each container's log (all)")
    parser.add_argument("--since", help="show logs since a time (2024-01-02T13:23:37Z) "
                                        "or a duration ago (42m)")
    parser.add_argument("--until", help="show logs before a time or a duration ago")
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.set_defaults(prepare=prepare)


def prepare(inv: Invocation) -> Prepared:
    args = inv.args
    name, services = inv.project_and_services()
    tail = logselect.parse_tail(args.tail)
    for value in (args.since, args.until):
        if value is not None:
            logselect.parse_when(value, 0.0)  # a bad time is an error before anything runs
    return lambda ctx: logs(ctx, inv.output, name, services=services, follow=args.follow,
                            timestamps=args.timestamps, prefix=not args.no_log_prefix,
                            tail=tail, since=args.since, until=args.until)
