"""``pycompose logs``: what the containers printed, and with ``-f`` what they print."""

from __future__ import annotations

from collections.abc import Sequence

import trio

from compose.commands.attach import follow_all
from compose.console import LogPrinter
from compose.context import Context
from compose.daemon import adopt
from compose.invocation import Invocation, Prepared, Verbs
from compose.observe import observe
from compose.records import ContainerRecord
from runtime.logs import LogLine, LogReader


async def logs(ctx: Context, project_name: str, *, services: Sequence[str] = (),
               follow: bool = False, timestamps: bool = False, prefix: bool = True) -> int:
    await adopt(ctx.layout, project_name, ctx.environ)
    observed = await observe(ctx.layout, project_name, ctx.containers)
    statuses = [s for s in observed.containers
                if not services or s.record.service in services]
    statuses.sort(key=lambda s: (s.record.service, s.record.number))
    records = [s.record for s in statuses]
    printer = LogPrinter(ctx.output, records, prefix=prefix, timestamps=timestamps)
    history: list[tuple[LogLine, int, ContainerRecord]] = []
    offsets: dict[str, int] = {}
    for index, record in enumerate(records):
        reader = LogReader(ctx.containers.log_path(record))
        lines = await trio.to_thread.run_sync(reader.read)
        offsets[record.id] = reader.offset
        history += [(line, index, record) for line in lines]
    history.sort(key=lambda item: (item[0].time, item[1]))
    for line, _, record in history:
        printer.line(record, line)
    if follow:
        running = [s.record for s in statuses if s.running]
        await follow_all(ctx, running, printer, offsets, show_exits=False)
    return 0


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("logs", help="show container output")
    parser.add_argument("-f", "--follow", action="store_true", help="follow log output")
    parser.add_argument("-t", "--timestamps", action="store_true", help="show timestamps")
    parser.add_argument("--no-log-prefix", action="store_true", help="no service prefix")
    parser.add_argument("--no-color", action="store_true", help="monochrome output")
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.set_defaults(prepare=prepare)


def prepare(inv: Invocation) -> Prepared:
    args = inv.args
    name = inv.project_name()
    inv.check_services(args.services)
    return lambda ctx: logs(ctx, name, services=args.services, follow=args.follow,
                            timestamps=args.timestamps, prefix=not args.no_log_prefix)
