"""``pycompose watch``: bring the services up (unless ``--no-up``), then act on
their ``develop.watch`` rules as files change, until Ctrl-C; the containers keep
running afterwards."""

from __future__ import annotations

import signal

import trio

from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.engine.context import Context
from compose.engine.converge import UpOptions, converge, select
from compose.engine.watching import WatchOptions, prepare_watch, watch
from compose.spec.model import Project


async def watch_project(ctx: Context, project: Project, options: WatchOptions, *,
                        up: bool) -> int:
    setup = await prepare_watch(ctx, project, options)
    if up:
        rebuilt = setup.services({"rebuild"})
        await converge(ctx, select(project, options.services),
                       UpOptions(detach=True, services=options.services,
                                 build=True if rebuilt else None),
                       known_services=list(project.services))
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(watch, ctx, project, setup, options)
            async for _ in signals:
                break
            nursery.cancel_scope.cancel()
    return 0


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("watch", help="watch the build context of services and "
                              "rebuild, sync or restart them as files change")
    parser.add_argument("--no-up", action="store_true",
                        help="do not build and start the services first")
    parser.add_argument("--prune", action="store_true",
                        help="remove the image a rebuild replaced")
    parser.add_argument("--quiet", action="store_true", help="hide build output")
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.set_defaults(prepare=prepare)


def prepare(inv: Invocation) -> Prepared:
    args = inv.args
    inv.check_services(args.services)
    project = inv.load().project
    options = WatchOptions(services=tuple(args.services), prune=args.prune, quiet=args.quiet)
    return lambda ctx: watch_project(ctx, project, options, up=not args.no_up)
