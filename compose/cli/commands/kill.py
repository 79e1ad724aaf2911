"""``pycompose kill``: send a signal (default SIGKILL) to running containers."""

from __future__ import annotations

import argparse
import signal
from functools import partial

import trio

from common.concurrency import parallel_limit, run_concurrently
from common.errors import UsageError
from common.records import ContainerRecord
from compose.cli.invocation import Verbs, project_verb
from compose.engine import runstate
from compose.engine.context import Context
from compose.engine.events import Progress
from compose.engine.targets import project_records

_KILLED_WITHIN = 10.0  # seconds Docker's kill waits for a SIGKILLed container to exit


def signal_name(text: str) -> str:
    """``9``, ``KILL`` or ``SIGKILL`` as ``SIGKILL``."""
    value = text.strip().upper()
    try:
        return signal.Signals(int(value)).name if value.isdigit() else \
            signal.Signals[value if value.startswith("SIG") else "SIG" + value].name
    except (KeyError, ValueError):
        raise UsageError(f"invalid signal: {text}") from None


async def kill(ctx: Context, project: str, services: list[str], sig: str) -> int:
    records = await project_records(ctx.layout, project, services)
    running = [r for r in records if (await ctx.containers.status(r)).running]

    async def one(record: ContainerRecord) -> None:
        ctx.output.progress(Progress("Container", record.name, "Killing"))
        if sig != "SIGKILL":
            await ctx.containers.kill(record, sig)
        else:  # left dead by its supervisor; waited for, as Docker's kill does
            runstate.mark_stopped_by_user(ctx.layout.container_dir(record.id))
            if await ctx.containers.kill(record, sig):
                with trio.move_on_after(_KILLED_WITHIN):
                    await ctx.containers.wait(record)
        ctx.output.progress(Progress("Container", record.name, "Killed", done=True))

    await run_concurrently([partial(one, r) for r in running], limit=parallel_limit())
    return 0


def _check(args: argparse.Namespace) -> None:
    signal_name(args.signal)  # a bad signal is an error before anything runs


def register(verbs: Verbs) -> None:
    parser = project_verb(verbs, "kill", "force stop service containers",
                          lambda ctx, project, services, args: kill(
                              ctx, project, services, signal_name(args.signal)),
                          check=_check)
    parser.add_argument("-s", "--signal", default="SIGKILL", help="signal to send (SIGKILL)")
    parser.add_argument("--remove-orphans", action="store_true",
                        help="accepted for compatibility")
