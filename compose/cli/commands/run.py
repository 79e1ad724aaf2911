"""``pycompose run``: a one-off container of a service, attached to our terminal;
its exit status becomes ours.

Dependencies are brought up first (unless ``--no-deps``); the one-off container
is planned like any other (``runplan``), started under conmon with our stdio on
its attach socket, and removed afterwards with ``--rm``.
"""

from __future__ import annotations

import argparse
import secrets
import signal
import time

import trio

from common import state
from common.errors import UsageError
from common.records import ContainerRecord, VolumeRecord
from compose.cli.commands.up import UpOptions, converge, resolve_images, select
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.engine import runstate
from compose.engine.context import Context
from compose.engine.executor import Executor
from compose.engine.observe import observe
from compose.planning.runplan import RunOverrides, plan_run
from compose.spec import graph
from compose.spec.model import Project
from compose.spec.syntax.shellwords import split
from runtime.oci.attach import Attachment, flush_stdio, is_terminal, raw_terminal
from runtime.oci.exec import parse_env

_FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
              signal.SIGUSR2)


async def create_one_off(ctx: Context, project: Project, service: str,
                         overrides: RunOverrides) -> ContainerRecord:
    images = await resolve_images(ctx, project.with_selected_services([service]))
    async with state.project_lock(ctx.layout, project.name):
        observed = await observe(ctx.layout, project.name, ctx.containers, ctx.networks)
        plan, record, _ = plan_run(
            project, service, overrides, images[service].id, observed,
            slug=secrets.token_hex(32), root_tag=ctx.layout.tag,
            new_id=lambda: secrets.token_hex(32), now=time.time(),
            runtime=ctx.runtime,
            image_volumes=images[service].runtime_config.get("Volumes") or ())
        await Executor(ctx.layout, ctx.containers, ctx.networks, ctx.output.progress,
                       volumes=ctx.volumes).run(plan)
    return record


async def attached(ctx: Context, record: ContainerRecord, *, tty: bool,
                   interactive: bool) -> int | None:
    """Start the container with our stdio on conmon's attach socket; its exit code."""
    directory = ctx.containers.directory(record)
    connection: list[Attachment] = []

    async def attach() -> None:
        socket = ctx.containers.runtime_for(record).attach_socket(record.id)
        connection.append(await Attachment.connect(socket, directory))

    flush_stdio()
    with raw_terminal(tty):
        await ctx.containers.start(record, stdin=interactive, before_start=attach)
        attachment = connection[0]
        try:
            async with trio.open_nursery() as nursery:
                if interactive:
                    nursery.start_soon(attachment.pump_input)
                if tty:
                    nursery.start_soon(attachment.follow_resizes)
                else:
                    nursery.start_soon(_forward_signals, ctx, record)
                await attachment.pump_output()  # until conmon closes it: the container ended
                nursery.cancel_scope.cancel()
        finally:
            attachment.close()
    return await ctx.containers.wait(record)


async def _forward_signals(ctx: Context, record: ContainerRecord) -> None:
    with trio.open_signal_receiver(*_FORWARDED) as signals:
        async for number in signals:
            await ctx.containers.kill(record, signal.Signals(number).name)


async def run(ctx: Context, project: Project, service: str, overrides: RunOverrides, *,
              detach: bool = False, remove: bool = False, no_deps: bool = False) -> int:
    if not no_deps:
        deps = [d for d in graph.with_dependencies(graph.dependencies(project), [service])
                if d != service]
        if deps:
            await converge(ctx, select(project, deps), UpOptions(detach=True))
    ctx.containers.warn = ctx.output.warn
    record = await create_one_off(ctx, project, service, overrides)
    try:
        runstate.mark_started_by_user(ctx.layout.container_dir(record.id))
        await ctx.networks.connect(record)
        if detach:
            await ctx.containers.start(record, stdin=False)
            ctx.output.text(record.name)
            return 0
        code = await attached(ctx, record, tty=overrides.tty, interactive=overrides.interactive)
        if await trio.to_thread.run_sync(ctx.containers.oom_killed, record):
            ctx.output.warn(f"container {record.name} was killed: out of memory "
                            "(its memory limit was reached)")
        return 1 if code is None else code
    finally:
        if remove:
            with trio.CancelScope(shield=True):
                await ctx.containers.remove(record)
                await ctx.networks.disconnect(record)
                for name in record.anonymous_volumes:  # as docker run --rm does
                    await ctx.volumes.remove_volume(VolumeRecord(name))


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("run", help="run a one-off command on a service")
    parser.add_argument("-d", "--detach", action="store_true",
                        help="run in the background and print the container name")
    parser.add_argument("--rm", action="store_true", help="remove the container when it exits")
    parser.add_argument("-e", "--env", action="append", default=[], metavar="KEY=VAL",
                        help="set an environment variable (repeatable)")
    parser.add_argument("-l", "--label", action="append", default=[], metavar="KEY=VAL",
                        help="add or override a label (repeatable)")
    parser.add_argument("--entrypoint", help="override the image's entrypoint")
    parser.add_argument("-u", "--user", help="run as this user (name, uid, name:group)")
    parser.add_argument("-w", "--workdir", help="working directory inside the container")
    parser.add_argument("-T", "--no-TTY", "--no-tty", dest="no_tty", action="store_true",
                        help="do not allocate a pseudo-terminal")
    parser.add_argument("-i", "--interactive", action="store_true", default=True,
                        help="keep stdin open (the default)")
    parser.add_argument("--name", help="name of the container")
    parser.add_argument("--no-deps", action="store_true", help="do not start linked services")
    parser.add_argument("service", metavar="SERVICE")
    parser.add_argument("command", nargs=argparse.REMAINDER, metavar="COMMAND")
    parser.set_defaults(prepare=prepare, named_services="run_services")


def prepare(inv: Invocation) -> Prepared:
    args = inv.args
    args.run_services = [args.service]
    if args.detach and args.rm:
        raise UsageError("--rm and -d cannot be combined")
    project = inv.load().project
    if args.service not in project.services:
        raise UsageError(f"no such service: {args.service}")
    labels = {}
    for entry in args.label:
        key, _, value = entry.partition("=")
        labels[key] = value
    overrides = RunOverrides(
        command=tuple(args.command) if args.command else None,
        entrypoint=tuple(split(args.entrypoint)) if args.entrypoint is not None else None,
        environment=parse_env(args.env, inv.environ),
        user=args.user, workdir=args.workdir, name=args.name, labels=labels,
        tty=not args.no_tty and not args.detach and is_terminal(),
        interactive=args.interactive and not args.detach,
    )
    return lambda ctx: run(ctx, project, args.service, overrides, detach=args.detach,
                           remove=args.rm, no_deps=args.no_deps)
