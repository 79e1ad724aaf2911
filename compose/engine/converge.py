"""``up``'s work: build and pull what is needed, check every service's image and
process, then (under the project lock) observe, plan and execute, and make sure
the supervisor watches the result.  ``run`` and ``start`` reuse its pieces."""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import trio

from common import state, trace
from common.concurrency import run_concurrently
from common.errors import ImageError, UsageError
from common.records import ContainerRecord
from compose.engine import depwait
from compose.engine.building import ensure_built
from compose.engine.context import Context
from compose.engine.events import Progress
from compose.engine.executor import Dependencies, Executor
from compose.engine.observe import observe
from compose.engine.pulling import pull_services
from compose.planning.observed import ObservedState
from compose.planning.ops import Plan, RemoveContainer
from compose.planning.plan import RECREATE_DIVERGED, diverged_volumes, plan_up
from compose.spec import graph
from compose.spec.model import Project


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
    pull: str | None = None
    """``--pull``: a pull policy for every service over its ``pull_policy``."""
    quiet_pull: bool = False
    watch: bool = False
    """``--watch``: act on the services' ``develop.watch`` rules while attached."""
    confirm: Callable[[str], bool] | None = None
    """Asks the user a yes/no question (a volume to make again, losing its data);
    None: yes (``-y``, or no terminal to ask on)."""


@dataclass(frozen=True)
class Image:
    """A service's image as resolved in the store."""

    id: str
    config: Mapping[str, Any]
    """Its ``config`` section (entrypoint, volumes, health check...)."""

    @property
    def volumes(self) -> tuple[str, ...]:
        return tuple(self.config.get("Volumes") or ())


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


async def resolve_images(ctx: Context, project: Project, build: bool | None = None, *,
                         pull: str | None = None, quiet_pull: bool = False,
                         ) -> dict[str, Image]:
    """Build and pull what ``--build`` and each service's ``pull_policy`` (or
    ``pull``, ``--pull``) ask for, then check every service's image and process
    before anything is created."""
    await ensure_built(ctx, project, True if build is None and pull == "build" else build)
    await pull_services(ctx, project, ctx.environ, policy=pull, quiet=quiet_pull)
    images: dict[str, Image] = {}
    resolved: dict[str, Image] = {}  # by reference: services sharing an image read it once
    for name, service in project.services.items():
        try:
            if service.image not in resolved:
                resolved[service.image] = Image(*await ctx.images.resolve(service.image))
            images[name] = resolved[service.image]
        except ImageError as exc:
            never = service.canonical.get("pull_policy") in ("never", "build")
            hint = f" (pull_policy: {service.canonical['pull_policy']})" if never else ""
            raise ImageError(f"service {name}: {exc}{hint}") from None
        trace.event("image", service=name, reference=service.image, id=images[name].id)
        await ctx.containers.check(service, images[name].config)
    return images


def start_dependencies(ctx: Context, project: str) -> Dependencies:
    """What starting a container needs first: its ``depends_on`` conditions met (the
    supervisor watches the dependencies) and its DNS server up."""

    async def dns_ready(record: ContainerRecord) -> None:
        if not await ctx.supervisors.dns_ready(record):
            ctx.output.warn(f"{record.name}: the embedded DNS server did not start; "
                            "service names may not resolve")

    return Dependencies(
        watch=lambda: ctx.supervisors.ensure(project),
        image_config=ctx.image_config, warn=ctx.output.warn, ready=dns_ready)


async def converge(ctx: Context, project: Project, options: UpOptions,
                   known_services: Sequence[str] | None = None) -> list[ContainerRecord]:
    """Make the project's containers match the file; their records afterwards."""
    images = await resolve_images(ctx, project, options.build, pull=options.pull,
                                  quiet_pull=options.quiet_pull)
    async with state.project_lock(ctx.layout, project.name):
        observed = await observe(ctx.layout, project.name, ctx.containers, ctx.networks,
                                 ctx.volumes)
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
            image_volumes={name: image.volumes for name, image in images.items()},
            recreate_volumes=_recreate_volumes(project, observed, options),
        )
        for warning in plan.warnings:
            ctx.output.warn(warning)
        for record in plan.kept:  # up to date and running: said, as Docker Compose does
            ctx.output.progress(Progress("Container", record.name, "Running", done=True))
        dependencies = start_dependencies(ctx, project.name)
        if options.no_deps:
            dependencies = replace(dependencies, ignore=frozenset(
                s for s in graph.dependencies(project) if s not in options.services))
        await Executor(ctx.layout, ctx.containers, ctx.networks, ctx.output.progress,
                       options.timeout, dependencies, volumes=ctx.volumes,
                       warn=ctx.output.warn).run(
            plan, partial(ctx.supervisors.ensure, project.name) if options.start else None)
        if not options.start and _removes_containers(plan):
            # ``create``, ``up --no-start``: nothing asks the supervisor to watch,
            # yet the containers recreated are gone (their DNS sockets held their
            # namespaces in it)
            await ctx.supervisors.rescan(project.name)
    records = await trio.to_thread.run_sync(state.container_records, ctx.layout, project.name)
    return [r for r in records if r.service in project.services]


def _removes_containers(plan: Plan) -> bool:
    return any(isinstance(op, RemoveContainer) for stage in plan.stages for op in stage)


def _recreate_volumes(project: Project, observed: ObservedState, options: UpOptions) -> bool:
    """Docker Compose's question for each volume whose configuration changed."""
    if options.confirm is None:
        return True
    return all(options.confirm(f"Volume \"{name}\" exists but doesn't match configuration in "
                               "compose file. Recreate (data will be lost)?")
               for name in diverged_volumes(project, observed))


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
            ctx.output.error(f"error: {exc}")
            return 1
    if scope.cancelled_caught:
        ctx.output.error(f"error: application not healthy after {timeout:g}s")
        return 1
    return 0
