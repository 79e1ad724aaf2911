"""The supervisor process (``pycompose -p NAME supervise``, started by
``daemon.ensure_supervisor``): JSON logs, the project's lock, then the
``Supervisor`` until it is told to end."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext

import structlog
import trio

from common.progress import TransferReporter
from common.records import ContainerRecord
from common.status import Probe
from compose.engine.context import BuildSink, Context
from compose.engine.events import Progress
from compose.planning.health import HealthConfig
from compose.supervisor import control
from compose.supervisor import standby as standby_module
from compose.supervisor.daemon import READY_FD, hold_lock, signal_ready
from compose.supervisor.dnshost import DnsHost
from compose.supervisor.watch import Supervisor


class LogReporter:
    """The supervisor's ``Reporter``: plain lines in its log (it draws nothing)."""

    def progress(self, event: Progress) -> None:
        if event.done:
            print(f"{event.kind} {event.name} {event.status}", flush=True)

    def warn(self, message: str) -> None:
        print(f"WARN {message}", flush=True)

    def text(self, message: str) -> None:
        print(message, flush=True)

    def raw(self, text: str) -> None:
        print(text, end="", flush=True)

    def error(self, message: str) -> None:
        print(message, flush=True)

    def transfers(self, verb: str, quiet: bool) -> AbstractContextManager[TransferReporter]:
        return nullcontext(_ignore)

    def builds(self, quiet: bool) -> AbstractContextManager[BuildSink]:
        raise RuntimeError("the supervisor builds no image")


def _ignore(_: object) -> None:
    """Transfer progress the supervisor does not show."""


def _configure_json_logs() -> None:
    structlog.configure(
        processors=[structlog.processors.add_log_level,
                    structlog.processors.TimeStamper(fmt="iso", utc=True),
                    structlog.processors.JSONRenderer()],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=structlog.PrintLoggerFactory(),
    )


async def supervise(ctx: Context, project: str, environ: Mapping[str, str]) -> int:
    """The supervisor process's life: its lock held, its containers watched until
    SIGTERM; 0 at once when another supervisor has the project."""
    _configure_json_logs()
    with hold_lock(ctx.layout, project) as mine:
        if not mine:
            return 0  # another supervisor has the project

        async def prober(record: ContainerRecord, config: HealthConfig) -> Probe:
            return await ctx.containers.probe(record, config.command, config.timeout)

        dns = DnsHost(ctx.layout, ctx.containers.is_running)
        supervisor = Supervisor(ctx.layout, project, ctx.containers, ctx.networks, prober,
                                ctx.image_config, dns=dns,
                                control=control.socket_path(ctx.layout, project))
        async with trio.open_nursery() as nursery:
            # ready once it watches every container and answers on its socket
            await nursery.start(supervisor.run)
            signal_ready(environ)
    return 0


async def standby(ctx: Context, go: int, ready: int, environ: Mapping[str, str]) -> int:
    """A standby (``standby.py``): connected and imported, wait for a project, then
    be its supervisor; 0 at once when the command that started it did not need it."""
    handed = await standby_module.wait_for_project(go)
    if handed is None:
        return 0
    project, log = handed
    standby_module.log_to(log)
    return await supervise(ctx, project, {**environ, READY_FD: str(ready)})
