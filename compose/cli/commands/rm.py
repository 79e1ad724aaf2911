"""``pycompose rm``: remove stopped service containers (one-off ones too)."""

from __future__ import annotations

import sys
from functools import partial

from common.concurrency import parallel_limit, run_concurrently
from common.records import ContainerRecord, VolumeRecord
from compose.cli.invocation import Verbs, project_verb
from compose.engine.containersteps import remove_container, stop_by_user
from compose.engine.context import Context
from compose.engine.events import Progress
from compose.engine.targets import project_records


def confirm(question: str) -> bool:
    """docker compose's prompt: yes only if the user types y (no input is no)."""
    sys.stderr.write(f"{question} [yN] ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


async def rm(ctx: Context, project: str, services: list[str], *, force: bool,
             stop: bool, volumes: bool = False) -> int:
    records = await project_records(ctx.layout, project, services, oneoff=True)
    chosen: list[ContainerRecord] = []
    running: list[ContainerRecord] = []
    for record in records:
        if (await ctx.containers.status(record)).running:
            running.append(record)
        else:
            chosen.append(record)
    if stop:
        await run_concurrently([partial(stop_by_user, ctx.layout, ctx.containers, r)
                                for r in running])
        chosen += running
    if not chosen:
        ctx.output.error("No stopped containers")
        return 0
    names = ", ".join(r.name for r in chosen)
    if not force and not confirm(f"Going to remove {names}\nAre you sure?"):
        return 0

    async def one(record: ContainerRecord) -> None:
        ctx.output.progress(Progress("Container", record.name, "Removing"))
        await remove_container(ctx.containers, ctx.networks, record)
        if volumes:  # its anonymous volumes, as docker compose rm -v removes them
            for volume in record.anonymous_volumes:
                await ctx.volumes.remove_volume(VolumeRecord(volume))
        ctx.output.progress(Progress("Container", record.name, "Removed", done=True))

    await run_concurrently([partial(one, r) for r in chosen], limit=parallel_limit())
    # the supervisor forgets them (their DNS sockets held their namespaces), and
    # ends if none are left
    await ctx.supervisors.rescan(project)
    return 0


def register(verbs: Verbs) -> None:
    parser = project_verb(verbs, "rm", "remove stopped service containers",
                          lambda ctx, project, services, args: rm(
                              ctx, project, services, force=args.force, stop=args.stop,
                              volumes=args.volumes))
    parser.add_argument("-f", "--force", action="store_true", help="do not ask to confirm")
    parser.add_argument("-s", "--stop", action="store_true", help="stop them first if needed")
    parser.add_argument("-v", "--volumes", action="store_true",
                        help="also remove the containers' anonymous volumes")
