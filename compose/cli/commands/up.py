"""``pycompose up``: converge the project, then (attached) stream logs until the
containers exit or the user stops them."""

from __future__ import annotations

import math
import sys
from collections.abc import Collection, Sequence
from functools import partial

import trio

from common.errors import UsageError
from common.records import ContainerRecord
from compose.cli.console import LogPrinter, Output
from compose.cli.invocation import Invocation, Prepared, Verbs, timeout_arg
from compose.engine import depwait
from compose.engine.context import Context
from compose.engine.converge import UpOptions, converge, select, wait_for_services
from compose.engine.foreground import attached
from compose.engine.watching import WatchOptions, prepare_watch, watch
from compose.planning.plan import RECREATE_DIVERGED, RECREATE_FORCE, RECREATE_NEVER
from compose.planning.watchrules import WatchSetup
from compose.spec.model import Project


async def up(ctx: Context, output: Output, project: Project, options: UpOptions) -> int:
    """``output``: the console, which prints the followed logs."""
    known = list(project.services)
    full = project
    setup = await prepare_watch(ctx, project, WatchOptions(
        services=options.services, build=options.build is not False)) if options.watch else None
    completes = {c.service for s in project.services.values()
                 for c in depwait.conditions(s.canonical) if c.condition == depwait.COMPLETED}
    project = select(project, options.services, no_deps=options.no_deps)
    records = await converge(ctx, project, options, known)
    if not options.start:
        return 0
    if options.wait:
        return await wait_for_services(ctx, records, completes, options.wait_timeout)
    if options.detach:
        return 0
    if options.services and not options.attach_dependencies:
        watched = [r for r in records if r.service in options.services]
    else:
        watched = records
    if options.attach:
        watched = [r for r in records if r.service in options.attach]
    else:  # `attach: false` in the file: not streamed unless --attach names it
        quiet = {name for name, s in project.services.items()
                 if s.canonical.get("attach") is False}
        watched = [r for r in watched if r.service not in quiet]
    watched = [r for r in watched if r.service not in options.no_attach]
    printer = LogPrinter(output, watched, prefix=options.log_prefix,
                         timestamps=options.timestamps)
    if setup is None:
        return await attached(ctx, project, records, watched, printer, options,
                              options.timeout)
    return await _attached_watching(ctx, full, project, setup, records, watched, printer,
                                    options)


async def _attached_watching(ctx: Context, full: Project, project: Project,
                             setup: WatchSetup, records: list[ContainerRecord],
                             watched: list[ContainerRecord], printer: LogPrinter,
                             options: UpOptions) -> int:
    """``up --watch``: attached, with the watch beside it; the containers a rebuild
    makes are followed too."""
    send, receive = trio.open_memory_channel[Sequence[ContainerRecord]](math.inf)

    async def recreated(made: Sequence[ContainerRecord]) -> None:
        made = [r for r in made if r.service in {w.service for w in watched}]
        printer.add(made)
        await send.send(made)

    async with trio.open_nursery() as nursery:
        await nursery.start(partial(watch, ctx, full, setup, WatchOptions(
            services=options.services, build=options.build is not False), recreated))
        code = await attached(ctx, project, records, watched, printer, options,
                              options.timeout, more=receive)
        nursery.cancel_scope.cancel()
    return code


def register(verbs: Verbs) -> None:
    up = verbs.add_parser("up", help="create and start containers")
    up.add_argument("-d", "--detach", action="store_true", help="run in the background")
    up.add_argument("--remove-orphans", action="store_true",
                    help="remove containers of services no longer in the file")
    up.add_argument("-t", "--timeout", type=timeout_arg, help="stop timeout in seconds")
    up.add_argument("--no-log-prefix", action="store_true", help="no service prefix in logs")
    up.add_argument("--timestamps", action="store_true", help="show timestamps")
    up.add_argument("--no-color", action="store_true", help="monochrome output")
    up.add_argument("--attach-dependencies", action="store_true",
                    help="also show the logs of the services the named ones depend on")
    up.add_argument("--force-recreate", action="store_true",
                    help="recreate containers even if nothing changed")
    up.add_argument("--no-recreate", action="store_true",
                    help="keep existing containers even if their configuration changed")
    up.add_argument("--always-recreate-deps", action="store_true",
                    help="recreate the dependencies' containers too")
    up.add_argument("--no-deps", action="store_true", help="do not start linked services")
    up.add_argument("--no-start", action="store_true", help="create without starting")
    up.add_argument("--wait", action="store_true",
                    help="wait for services to be running or healthy (implies -d)")
    up.add_argument("--wait-timeout", type=timeout_arg,
                    help="give up waiting after this many seconds")
    up.add_argument("--abort-on-container-exit", action="store_true",
                    help="stop all containers if any container stops")
    up.add_argument("--abort-on-container-failure", action="store_true",
                    help="stop all containers if any container exits with an error")
    up.add_argument("--exit-code-from", metavar="SERVICE",
                    help="return this service's exit code (implies "
                         "--abort-on-container-exit)")
    up.add_argument("--attach", action="append", default=[], metavar="SERVICE",
                    help="show only these services' output")
    up.add_argument("--no-attach", action="append", default=[], metavar="SERVICE",
                    help="do not show these services' output")
    up.add_argument("--scale", action="append", default=[], metavar="SERVICE=NUM",
                    help="run NUM containers of SERVICE (over scale/deploy.replicas)")
    builds = up.add_mutually_exclusive_group()
    builds.add_argument("--build", action="store_const", const=True, dest="build",
                        help="build images before starting containers")
    builds.add_argument("--no-build", action="store_const", const=False, dest="build",
                        help="do not build an image, even if it is missing")
    up.add_argument("-V", "--renew-anon-volumes", action="store_true",
                    help="recreate anonymous volumes instead of reusing those of the "
                    "previous containers")
    up.add_argument("-y", "--yes", action="store_true",
                    help="assume yes to prompts (a volume whose configuration changed is "
                    "made again)")
    up.add_argument("-w", "--watch", action="store_true",
                    help="watch source code and rebuild, sync or restart services as "
                    "files change (develop.watch)")
    up.add_argument("services", nargs="*", metavar="SERVICE")
    up.set_defaults(prepare=prepare)


def scale_arg(entries: Sequence[str], known: Collection[str]) -> dict[str, int]:
    """``--scale web=3`` (repeatable) as a mapping."""
    scale = {}
    for entry in entries:
        name, sep, count = entry.partition("=")
        if not sep or not count.isdigit():
            raise UsageError(f"invalid --scale {entry!r}: use SERVICE=NUM")
        if name not in known:
            raise UsageError(f"no such service: {name}")
        scale[name] = int(count)
    return scale


def ask(output: Output, question: str) -> bool:
    """A yes/no question on the terminal; no unless the answer is yes."""
    output.err.print(f"{question} [y/N] ", end="", markup=False)
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def prepare(inv: Invocation) -> Prepared:
    args = inv.args
    loaded = inv.load()
    for name in args.services:
        if name not in loaded.project.services:
            raise UsageError(f"no such service: {name}")
    aborting = args.abort_on_container_exit or args.abort_on_container_failure or \
        args.exit_code_from is not None
    if args.detach and aborting:
        raise UsageError("-d cannot be combined with --abort-on-container-exit, "
                         "--abort-on-container-failure or --exit-code-from")
    if args.abort_on_container_exit and args.abort_on_container_failure:
        raise UsageError("--abort-on-container-exit and --abort-on-container-failure "
                         "cannot be combined")
    if args.watch and (args.detach or args.wait):
        raise UsageError("--watch cannot be combined with -d or --wait")
    if args.force_recreate and args.no_recreate:
        raise UsageError("--force-recreate and --no-recreate are incompatible")
    if args.wait and aborting:
        raise UsageError("--wait cannot be combined with --abort-on-container-exit, "
                         "--abort-on-container-failure or --exit-code-from")
    for name in [*args.attach, *args.no_attach,
                 *([args.exit_code_from] if args.exit_code_from else [])]:
        if name not in loaded.project.services:
            raise UsageError(f"no such service: {name}")
    recreate = RECREATE_FORCE if args.force_recreate else \
        RECREATE_NEVER if args.no_recreate else RECREATE_DIVERGED
    options = UpOptions(
        detach=args.detach or args.wait, services=tuple(args.services),
        remove_orphans=args.remove_orphans, timeout=args.timeout,
        log_prefix=not args.no_log_prefix, timestamps=args.timestamps,
        attach_dependencies=args.attach_dependencies, build=args.build,
        recreate=recreate,
        recreate_dependencies=RECREATE_FORCE if args.always_recreate_deps else
        RECREATE_NEVER if args.no_recreate else RECREATE_DIVERGED,
        start=not args.no_start, no_deps=args.no_deps,
        wait=args.wait, wait_timeout=args.wait_timeout,
        abort_on_exit=args.abort_on_container_exit,
        abort_on_failure=args.abort_on_container_failure,
        exit_code_from=args.exit_code_from,
        attach=tuple(args.attach), no_attach=tuple(args.no_attach),
        scale=scale_arg(args.scale, loaded.project.services),
        renew_anon_volumes=args.renew_anon_volumes, watch=args.watch,
        confirm=None if args.yes or not sys.stdin.isatty() else partial(ask, inv.output),
    )
    return lambda ctx: up(ctx, inv.output, loaded.project, options)
