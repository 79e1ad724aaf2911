"""``pycompose up``: converge the project, then (attached) stream logs until the
containers exit or the user stops them."""

from __future__ import annotations

import secrets
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import trio

from compose import graph, state
from compose.commands.attach import follow_all
from compose.console import LogPrinter
from compose.context import Context
from compose.daemon import ensure_supervisor
from compose.dnshost import resolves_here, wait_ready
from compose.errors import ImageError, UsageError
from compose.executor import Dependencies, Executor, run_concurrently, stop_by_user
from compose.invocation import Invocation, Prepared, Verbs, timeout_arg
from compose.model import Project
from compose.observe import observe
from compose.plan import plan_up
from compose.records import ContainerRecord
from runtime.spec import SpecError, process_args
from runtime.store import Image


@dataclass(frozen=True)
class UpOptions:
    detach: bool = False
    services: tuple[str, ...] = ()
    remove_orphans: bool = False
    timeout: float | None = None
    log_prefix: bool = True
    timestamps: bool = False
    attach_dependencies: bool = False
    build: bool | None = None
    """``--build`` (True), ``--no-build`` (False), or build only missing images."""


def select(project: Project, services: Sequence[str]) -> Project:
    """The named services and their dependencies; all services when none is named."""
    if not project.services:
        raise UsageError("no service selected")
    if not services:
        return project
    unknown = [s for s in services if s not in project.services]
    if unknown:
        raise UsageError(f"no such service: {unknown[0]}")
    return project.with_selected_services(
        graph.with_dependencies(graph.dependencies(project), services))


async def resolve_images(ctx: Context, project: Project,
                         build: bool | None = None) -> dict[str, Image]:
    """Build and pull what ``--build`` and each service's ``pull_policy`` ask for,
    then check every service's image and process before anything is created."""
    from compose.building import ensure_built  # here: the image work's seams in up.py
    from compose.pulling import pull_services

    await ensure_built(ctx, project, build)
    await pull_services(ctx, project, ctx.environ)
    images: dict[str, Image] = {}
    for name, service in project.services.items():
        try:
            images[name] = await trio.to_thread.run_sync(ctx.store.resolve, service.image)
        except ImageError as exc:
            never = service.canonical.get("pull_policy") in ("never", "build")
            hint = f" (pull_policy: {service.canonical['pull_policy']})" if never else ""
            raise ImageError(f"service {name}: {exc}{hint}") from None
        try:
            process_args(service.entrypoint, service.command, images[name].runtime_config)
        except SpecError as exc:
            raise UsageError(f"service {name}: {exc}") from None
    return images


async def converge(ctx: Context, project: Project, options: UpOptions) -> list[ContainerRecord]:
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
            runtime=ctx.oci.runtime.path,
            remove_orphans=options.remove_orphans,
        )
        for warning in plan.warnings:
            ctx.output.warn(warning)
        async def dns_ready(record: ContainerRecord) -> None:
            if not resolves_here(record):
                return
            await ensure_supervisor(ctx.layout, project.name, ctx.environ)
            if not await wait_ready(ctx.layout, record):
                ctx.output.warn(f"{record.name}: the embedded DNS server did not start; "
                                "service names may not resolve")

        dependencies = Dependencies(
            watch=lambda: ensure_supervisor(ctx.layout, project.name, ctx.environ),
            image_config=ctx.image_config, warn=ctx.output.warn, ready=dns_ready)
        await Executor(ctx.layout, ctx.containers, ctx.networks, ctx.output.progress,
                       options.timeout, dependencies).run(plan)
        await ensure_supervisor(ctx.layout, project.name, ctx.environ)
    records = await trio.to_thread.run_sync(state.container_records, ctx.layout, project.name)
    return [r for r in records if r.service in project.services]


async def up(ctx: Context, project: Project, options: UpOptions) -> int:
    project = select(project, options.services)
    records = await converge(ctx, project, options)
    if options.detach:
        return 0
    if options.services and not options.attach_dependencies:
        watched = [r for r in records if r.service in options.services]
    else:
        watched = records
    return await attached(ctx, project, records, watched, options)


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

    async with trio.open_nursery() as nursery:

        async def watch_signals() -> None:
            with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                count = 0
                async for _ in signals:
                    count += 1
                    if count == 1:
                        ctx.output.err.print("Gracefully stopping... (press Ctrl+C again to force)")
                        nursery.start_soon(stop_all, options.timeout)
                    else:
                        nursery.start_soon(stop_all, 0.0)

        nursery.start_soon(watch_signals)
        await follow_all(ctx, watched, printer)
        nursery.cancel_scope.cancel()
    return 0


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
    builds = up.add_mutually_exclusive_group()
    builds.add_argument("--build", action="store_const", const=True, dest="build",
                        help="build images before starting containers")
    builds.add_argument("--no-build", action="store_const", const=False, dest="build",
                        help="do not build an image, even if it is missing")
    up.add_argument("services", nargs="*", metavar="SERVICE")
    up.set_defaults(prepare=prepare)


def prepare(inv: Invocation) -> Prepared:
    args = inv.args
    loaded = inv.load()
    for name in args.services:
        if name not in loaded.project.services:
            raise UsageError(f"no such service: {name}")
    options = UpOptions(
        detach=args.detach, services=tuple(args.services),
        remove_orphans=args.remove_orphans, timeout=args.timeout,
        log_prefix=not args.no_log_prefix, timestamps=args.timestamps,
        attach_dependencies=args.attach_dependencies, build=args.build,
    )
    return lambda ctx: up(ctx, loaded.project, options)
