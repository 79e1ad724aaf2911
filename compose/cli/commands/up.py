"""``pycompose up``: converge the project, then (attached) stream logs until the
containers exit or the user stops them."""

from __future__ import annotations

import math
import secrets
import signal
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import trio

from common import state
from common.errors import ImageError, UsageError
from common.records import ContainerRecord
from compose.cli.commands.attach import follow_all
from compose.cli.console import LogPrinter
from compose.cli.invocation import Invocation, Prepared, Verbs, timeout_arg
from compose.engine import depwait
from compose.engine.context import Context
from compose.engine.events import Progress
from compose.engine.executor import Dependencies, Executor, run_concurrently, stop_by_user
from compose.engine.observe import observe
from compose.planning.plan import RECREATE_DIVERGED, RECREATE_FORCE, RECREATE_NEVER, plan_up
from compose.spec import graph
from compose.spec.model import Project
from compose.supervisor.daemon import ensure_supervisor
from compose.supervisor.dnshost import resolves_here, wait_ready
from runtime.ocispec.spec import SpecError, process_args


@dataclass(frozen=True)
class UpOptions:
    detach: bool = False
    services: tuple[str, ...] = ()
    remove_orphans: bool = False
    timeout: float | None = None
    log_prefix: bool = True
    timestamps: bool = False
    attach_dependencies: bool = False
    recreate: str = RECREATE_DIVERGED
    """For the named services (all when none is named): diverged, force or never."""
    recreate_dependencies: str = RECREATE_DIVERGED
    start: bool = True
    no_deps: bool = False
    wait: bool = False
    wait_timeout: float | None = None
    abort_on_exit: bool = False
    abort_on_failure: bool = False
    exit_code_from: str | None = None
    attach: tuple[str, ...] = ()
    no_attach: tuple[str, ...] = ()
    scale: Mapping[str, int] = field(default_factory=dict)
    build: bool | None = None
    """``--build`` (True), ``--no-build`` (False), or build only missing images."""
    renew_anon_volumes: bool = False


def select(project: Project, services: Sequence[str], *, no_deps: bool = False) -> Project:
    """The named services and (unless ``no_deps``) their dependencies; all services
    when none is named."""
    if not project.services:
        raise UsageError("no service selected")
    if not services:
        return project
    unknown = [s for s in services if s not in project.services]
    if unknown:
        raise UsageError(f"no such service: {unknown[0]}")
    if no_deps:
        return project.with_selected_services(services)
    return project.with_selected_services(
        graph.with_dependencies(graph.dependencies(project), services))


@dataclass(frozen=True)
class Image:
    """A service's image as resolved in the store."""

    id: str
    runtime_config: Mapping[str, Any]


async def resolve_images(ctx: Context, project: Project,
                         build: bool | None = None) -> dict[str, Image]:
    """Build and pull what ``--build`` and each service's ``pull_policy`` ask for,
    then check every service's image and process before anything is created."""
    from compose.engine.building import ensure_built  # here: the image work's seams in up.py
    from compose.engine.pulling import pull_services

    await ensure_built(ctx, project, build)
    await pull_services(ctx, project, ctx.environ)
    images: dict[str, Image] = {}
    for name, service in project.services.items():
        try:
            images[name] = Image(*await ctx.images.resolve(service.image))
        except ImageError as exc:
            never = service.canonical.get("pull_policy") in ("never", "build")
            hint = f" (pull_policy: {service.canonical['pull_policy']})" if never else ""
            raise ImageError(f"service {name}: {exc}{hint}") from None
        try:
            process_args(service.entrypoint, service.command, images[name].runtime_config)
        except SpecError as exc:
            raise UsageError(f"service {name}: {exc}") from None
    return images


def start_dependencies(ctx: Context, project: str) -> Dependencies:
    """What starting a container needs first: its ``depends_on`` conditions met (the
    supervisor watches the dependencies) and its DNS server up."""

    async def dns_ready(record: ContainerRecord) -> None:
        if not resolves_here(record):
            return
        await ensure_supervisor(ctx.layout, project, ctx.environ)
        if not await wait_ready(ctx.layout, record):
            ctx.output.warn(f"{record.name}: the embedded DNS server did not start; "
                            "service names may not resolve")

    return Dependencies(
        watch=lambda: ensure_supervisor(ctx.layout, project, ctx.environ),
        image_config=ctx.image_config, warn=ctx.output.warn, ready=dns_ready)


async def converge(ctx: Context, project: Project, options: UpOptions,
                   known_services: Sequence[str] | None = None) -> list[ContainerRecord]:
    images = await resolve_images(ctx, project, options.build)
    async with state.project_lock(ctx.layout, project.name):
        observed = await observe(ctx.layout, project.name, ctx.containers, ctx.networks)
        plan = plan_up(
            project,
            {name: image.id for name, image in images.items()},
            observed,
            root_tag=ctx.layout.tag,
            new_id=lambda: secrets.token_hex(32),
            now=time.time(),
            runtime=ctx.runtime,
            remove_orphans=options.remove_orphans,
            recreate={name: options.recreate if not options.services
                      or name in options.services else options.recreate_dependencies
                      for name in project.services},
            start=options.start,
            known_services=known_services,
            scale=options.scale,
            renew_anonymous=options.renew_anon_volumes,
            image_volumes={name: tuple(image.runtime_config.get("Volumes") or ())
                           for name, image in images.items()},
        )
        for warning in plan.warnings:
            ctx.output.warn(warning)
        dependencies = start_dependencies(ctx, project.name)
        if options.no_deps:
            dependencies = replace(dependencies, ignore=frozenset(
                s for s in graph.dependencies(project) if s not in options.services))
        await Executor(ctx.layout, ctx.containers, ctx.networks, ctx.output.progress,
                       options.timeout, dependencies, volumes=ctx.volumes).run(plan)
        if options.start:
            await ensure_supervisor(ctx.layout, project.name, ctx.environ)
    records = await trio.to_thread.run_sync(state.container_records, ctx.layout, project.name)
    return [r for r in records if r.service in project.services]


async def up(ctx: Context, project: Project, options: UpOptions) -> int:
    known = list(project.services)
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
    watched = [r for r in watched if r.service not in options.no_attach]
    return await attached(ctx, project, records, watched, options)


async def wait_for_services(ctx: Context, records: Sequence[ContainerRecord],
                            completes: Collection[str], timeout: float | None) -> int:
    """``up --wait``: every container running, or healthy when it has a health
    check; one-shots done.  1 with the reason when one fails or time runs out."""

    async def one(record: ContainerRecord) -> None:
        await depwait.wait_running_or_healthy(ctx.layout, ctx.containers, record,
                                              ctx.image_config,
                                              completes=record.service in completes)
        ctx.output.progress(Progress("Container", record.name,
                                     "Exited" if record.service in completes else "Healthy",
                                     done=True))

    with trio.move_on_after(math.inf if timeout is None else timeout) as scope:
        try:
            await run_concurrently([partial(one, r) for r in records])
        except depwait.DependencyFailed as exc:
            ctx.output.err.print(f"error: {exc}", markup=False)
            return 1
    if scope.cancelled_caught:
        ctx.output.err.print(f"error: application not healthy after {timeout:g}s",
                             markup=False)
        return 1
    return 0


async def attached(ctx: Context, project: Project, records: list[ContainerRecord],
                   watched: list[ContainerRecord], options: UpOptions) -> int:
    """Stream the logs of ``watched`` until they have all exited, as docker compose
    does.  The first Ctrl-C stops all ``records`` gracefully (dependents first), a
    second one kills them."""
    printer = LogPrinter(ctx.output, watched, prefix=options.log_prefix,
                         timestamps=options.timestamps)
    order = graph.levels(graph.dependencies(project))

    async def stop_all(timeout: float | None) -> None:
        for level in reversed(order):
            await run_concurrently([
                partial(stop_by_user, ctx.layout, ctx.containers, r, timeout)
                for r in records if r.service in level
            ])

    abort = Abort(options)
    async with trio.open_nursery() as nursery:

        async def watch_signals() -> None:
            with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                count = 0
                async for _ in signals:
                    count += 1
                    abort.interrupted = True
                    if count == 1:
                        ctx.output.err.print("Gracefully stopping... (press Ctrl+C again to force)")
                        nursery.start_soon(stop_all, options.timeout)
                    else:
                        nursery.start_soon(stop_all, 0.0)

        def exited(record: ContainerRecord, code: int | None) -> None:
            if abort.exited(record, code):
                ctx.output.text("Aborting on container exit...")
                nursery.start_soon(stop_all, options.timeout)

        nursery.start_soon(watch_signals)
        await follow_all(ctx, watched, printer, on_exit=exited)
        nursery.cancel_scope.cancel()
    return abort.exit_code


class Abort:
    """``--abort-on-container-exit`` / ``-failure`` and ``--exit-code-from``: when the
    first exit stops everything, and what ``up`` then returns (docker compose's: the
    named service's code, else the code of the exit that aborted)."""

    def __init__(self, options: UpOptions) -> None:
        self.options = options
        self.aborting = False
        self.interrupted = False
        self.exit_code = 0

    def exited(self, record: ContainerRecord, code: int | None) -> bool:
        """Note an exit for good; True when it should stop every container."""
        options = self.options
        if self.interrupted:
            return False  # Ctrl-C: docker compose returns 0
        if options.exit_code_from is not None:
            if record.service == options.exit_code_from:
                self.exit_code = code if code is not None else 1
        elif not self.aborting and (options.abort_on_exit or
                                    (options.abort_on_failure and code != 0)):
            self.exit_code = code if code is not None else 1
        wants = options.abort_on_exit or options.exit_code_from is not None or \
            (options.abort_on_failure and code != 0)
        if self.aborting or not wants:
            return False
        self.aborting = True
        return True


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
        renew_anon_volumes=args.renew_anon_volumes,
    )
    return lambda ctx: up(ctx, loaded.project, options)
