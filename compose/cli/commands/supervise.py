"""``pycompose supervise`` (internal): the project's supervisor process.

Started by ``up``; runs until ``down`` or SIGTERM.  Its log is JSON lines in the
project's state directory (``supervisor.log``).
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Mapping

import structlog
import trio

from common.errors import UsageError
from common.records import ContainerRecord
from common.status import Probe
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.engine.context import Context
from compose.planning.health import HealthConfig
from compose.supervisor import control
from compose.supervisor.daemon import hold_lock, signal_ready
from compose.supervisor.dnshost import DnsHost
from compose.supervisor.watch import Supervisor
from runtime.oci.probe import run_probe


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("supervise", help=argparse.SUPPRESS)
    parser.set_defaults(prepare=prepare)
    verbs._choices_actions.pop()  # internal: not listed in --help


def prepare(inv: Invocation) -> Prepared:
    project = inv.args.project_name
    if not project:
        raise UsageError("supervise needs -p PROJECT")
    return lambda ctx: supervise(ctx, str(project), inv.environ)


def _configure_json_logs() -> None:
    structlog.configure(
        processors=[structlog.processors.add_log_level,
                    structlog.processors.TimeStamper(fmt="iso", utc=True),
                    structlog.processors.JSONRenderer()],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=structlog.PrintLoggerFactory(),
    )


async def supervise(ctx: Context, project: str, environ: Mapping[str, str]) -> int:
    _configure_json_logs()
    with hold_lock(ctx.layout, project) as mine:
        if not mine:
            return 0  # another supervisor has the project

        async def prober(record: ContainerRecord, config: HealthConfig) -> Probe:
            return await run_probe(ctx.layout, record.runtime or ctx.runtime,
                                   record.id, config.command, config.timeout)

        supervisor = Supervisor(ctx.layout, project, ctx.containers, ctx.networks, prober,
                                ctx.image_config, dns=DnsHost(ctx.layout),
                                control=control.socket_path(ctx.layout, project))
        async with trio.open_nursery() as nursery:
            # ready once it watches every container and answers on its socket
            await nursery.start(supervisor.run)
            signal_ready(environ)
    return 0
