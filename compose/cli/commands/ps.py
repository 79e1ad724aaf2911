"""``pycompose ps``: the project's containers, as a table or JSON lines."""

from __future__ import annotations

import argparse
import contextlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

from common.errors import UsageError
from common.status import ContainerStatus
from compose.cli.invocation import Invocation, Prepared, Verbs, project_verb
from compose.cli.views.gotemplate import FORMAT_HELP, is_template, render
from compose.cli.views.pslist import PS_HEADERS, ps_row, ps_table
from compose.engine import runstate
from compose.engine.context import Context
from compose.engine.observe import observe
from compose.planning.health import STARTING, health_config

STATES = ("paused", "restarting", "removing", "running", "dead", "created", "exited")


@dataclass(frozen=True)
class Listing:
    """Which containers ``ps`` shows and how."""

    all_containers: bool = False
    states: tuple[str, ...] = ()  # --status / --filter status=: implies --all
    orphans: bool = True
    known: frozenset[str] | None = None  # the file's services (orphans: the others)
    fmt: str = "table"
    quiet: bool = False
    list_services: bool = False
    truncate: bool = True

    def shows(self, status: ContainerStatus, services: Sequence[str]) -> bool:
        if services and status.record.service not in services:
            return False
        if not self.orphans and self.known is not None \
                and status.record.service not in self.known:
            return False
        if self.states:
            return status.state in self.states
        return self.all_containers or status.running


async def ps(ctx: Context, project_name: str, *, services: Sequence[str] = (),
             listing: Listing = Listing()) -> int:
    await ctx.supervisors.adopt(project_name)
    observed = await observe(ctx.layout, project_name, ctx.containers)
    statuses = [s for s in observed.containers if listing.shows(s, services)]
    fmt, quiet, list_services = listing.fmt, listing.quiet, listing.list_services
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
        ctx.output.text(ps_table(rows, truncate=listing.truncate))
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


def listing(args: argparse.Namespace, known: frozenset[str] | None) -> Listing:
    """The options as docker compose reads them: ``--filter status=X`` is one more
    ``--status``; any status shows stopped containers too."""
    states = tuple(args.status)
    if args.filter:
        key, equals, value = args.filter.partition("=")
        if not equals:
            raise UsageError("arguments to --filter should be in form KEY=VAL")
        if key == "source":
            raise UsageError("--filter source=...: not implemented")
        if key != "status":
            raise UsageError(f"unknown filter {key}")
        states += (value,)
    return Listing(all_containers=args.all, states=states, orphans=_boolean(args.orphans),
                   known=known, fmt=args.format, quiet=args.quiet,
                   list_services=args.services, truncate=not args.no_trunc)


def _boolean(text: str) -> bool:
    """Go's strconv.ParseBool, as ``--orphans=false`` is read."""
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if text in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise UsageError(f'invalid argument "{text}" for "--orphans" flag: parse error')


def register(verbs: Verbs) -> None:
    parser = project_verb(verbs, "ps", "list containers", None, dest="services_filter")

    def prepare(inv: Invocation) -> Prepared:
        project, services = inv.project_and_services()
        known = None
        if not _boolean(inv.args.orphans):  # orphans: services the file does not have
            with contextlib.suppress(UsageError):  # no file: none is an orphan
                known = frozenset(inv.load(warn=False).project.services)
        shown = listing(inv.args, known)
        return lambda ctx: ps(ctx, project, services=services, listing=shown)

    parser.set_defaults(prepare=prepare)
    parser.add_argument("-a", "--all", action="store_true", help="include stopped containers")
    parser.add_argument("-q", "--quiet", action="store_true", help="only IDs")
    parser.add_argument("--services", action="store_true", help="only service names")
    parser.add_argument("--format", default="table", help=FORMAT_HELP)
    parser.add_argument("--status", action="append", default=[], choices=STATES,
                        help="only containers in this state (repeatable; implies --all)")
    parser.add_argument("--filter", metavar="KEY=VAL",
                        help="filter by a property (supported: status)")
    parser.add_argument("--no-trunc", action="store_true", help="do not truncate output")
    parser.add_argument("--orphans", nargs="?", const="true", default="true",
                        metavar="BOOL",
                        help="include containers of services not in the file (default true)")
