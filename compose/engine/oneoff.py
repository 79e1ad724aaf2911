"""``run``'s work: a one-off container of a service, its dependencies brought up
first, planned like any other container (``runplan``), run with our stdio on its
terminal, and removed afterwards with ``--rm``."""

from __future__ import annotations

import secrets
import time
from functools import partial

import trio

from common import state
from common.concurrency import meanwhile, open_nursery
from common.records import ContainerRecord, VolumeRecord
from compose.engine import runstate
from compose.engine.containersteps import remove_container, start_connecting
from compose.engine.context import Context
from compose.engine.converge import UpOptions, converge, resolve_images, select
from compose.engine.executor import Executor
from compose.engine.observe import observe
from compose.planning.runplan import RunOverrides, plan_run
from compose.spec import graph
from compose.spec.model import Project


async def create_one_off(ctx: Context, project: Project, service: str,
                         overrides: RunOverrides) -> ContainerRecord:
    images = await resolve_images(ctx, project.with_selected_services([service]))
    async with state.project_lock(ctx.layout, project.name):
        observed = await observe(ctx.layout, project.name, ctx.containers, ctx.networks,
                                 ctx.volumes)
        plan, record, _ = plan_run(
            project, service, overrides, images[service].id, observed,
            slug=secrets.token_hex(32), root_tag=ctx.layout.tag,
            new_id=lambda: secrets.token_hex(32), now=time.time(),
            runtime=ctx.runtime, image_volumes=images[service].volumes)
        await Executor(ctx.layout, ctx.containers, ctx.networks, ctx.output.progress,
                       volumes=ctx.volumes, warn=ctx.output.warn).run(plan)
    return record


async def serve_names(ctx: Context, record: ContainerRecord) -> None:
    """The supervisor answers the one-off's DNS questions before it starts, as for
    the service's own containers (a migration job names the db)."""
    if not await ctx.supervisors.dns_ready(record):
        ctx.output.warn(f"{record.name}: the embedded DNS server did not start; "
                        "service names may not resolve")


async def run(ctx: Context, project: Project, service: str, overrides: RunOverrides, *,
              detach: bool = False, remove: bool = False, no_deps: bool = False) -> int:
    """The one-off container's exit status (0 with ``detach``, once it runs)."""
    if not no_deps:
        deps = [d for d in graph.with_dependencies(graph.dependencies(project), [service])
                if d != service]
        if deps:
            # every service of the file is known: the others' containers are no orphans
            await converge(ctx, select(project, deps), UpOptions(detach=True),
                           known_services=list(project.services))
    ctx.containers.warn_to(ctx.output.warn)
    record = await create_one_off(ctx, project, service, overrides)
    try:
        runstate.mark_started_by_user(ctx.layout.container_dir(record.id))
        async with open_nursery() as nursery:
            connected = await start_connecting(nursery, ctx.networks, record)

            async def names() -> None:
                await connected.wait()
                await serve_names(ctx, record)

            if detach:
                await meanwhile(names, partial(ctx.containers.start, record, stdin=False))
                ctx.output.text(record.name)
                return 0
            code = await meanwhile(names, partial(ctx.containers.run_attached, record,
                                                  tty=overrides.tty,
                                                  interactive=overrides.interactive))
        if await trio.to_thread.run_sync(ctx.containers.oom_killed, record):
            ctx.output.warn(f"container {record.name} was killed: out of memory "
                            "(its memory limit was reached)")
        return 1 if code is None else code
    finally:
        if remove:
            with trio.CancelScope(shield=True):
                # its links go with its namespace, which the rescan lets go
                await remove_container(ctx.containers, ctx.networks, record,
                                       links_with_namespace=True)
                for name in record.anonymous_volumes:  # as docker run --rm does
                    await ctx.volumes.remove_volume(VolumeRecord(name))
                await ctx.supervisors.rescan(record.project)  # it stops answering for it
