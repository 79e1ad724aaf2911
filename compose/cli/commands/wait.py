"""``pycompose wait``: block until the services' containers stop; the exit status
is the code of the last one to stop (``--down-project``: the first, and the
project is then taken down), as docker compose does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

import trio

from common.concurrency import run_concurrently
from common.records import ContainerRecord
from compose.cli.invocation import Verbs, project_verb
from compose.engine.context import Context
from compose.engine.down import down
from compose.engine.targets import project_records


async def wait(ctx: Context, project: str, services: list[str], *, down_project: bool) -> int:
    await ctx.supervisors.adopt(project)  # exits are seen, restarts happen
    records = await project_records(ctx.layout, project, services)
    codes: list[int] = []
    first = trio.Event()

    async def one(record: ContainerRecord) -> None:
        code = await ctx.containers.wait(record)
        if code is None:
            code = (await ctx.containers.status(record)).exit_code
        ctx.output.text(f'container "{record.name}" exited with status code {code}')
        codes.append(-1 if code is None else code)
        first.set()

    async with trio.open_nursery() as nursery:
        jobs: list[Callable[[], Awaitable[None]]] = [partial(one, r) for r in records]
        nursery.start_soon(run_concurrently, jobs)
        if down_project:
            await first.wait()
            nursery.cancel_scope.cancel()
    if down_project and records:
        await down(ctx, project)
    return codes[-1] if codes else 0


def register(verbs: Verbs) -> None:
    parser = project_verb(verbs, "wait", "block until the services' containers stop",
                          lambda ctx, project, services, args: wait(
                              ctx, project, services, down_project=args.down_project),
                          at_least_one=True)
    parser.add_argument("--down-project", action="store_true",
                        help="take the project down when the first container stops")
