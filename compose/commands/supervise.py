"""``pycompose supervise`` (internal): the project's supervisor process.

Started by ``up``; runs until ``down`` or SIGTERM.  Its log is JSON lines in the
project's state directory (``supervisor.log``).
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Mapping
from functools import cache
from typing import Any

import structlog

from compose.context import Context
from compose.daemon import hold_lock, signal_ready
from compose.errors import ImageError, UsageError
from compose.health import HealthConfig, Probe
from compose.invocation import Invocation, Prepared, Verbs
from compose.records import ContainerRecord
from compose.supervisor import Supervisor
from runtime.probe import run_probe


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
        signal_ready(environ)

        @cache
        def image_config(image_id: str) -> Mapping[str, Any]:
            try:
                config = json.loads(ctx.store.read_blob(image_id))
            except (ImageError, ValueError):
                return {}
            section = config.get("config") if isinstance(config, dict) else None
            return section if isinstance(section, dict) else {}

        async def prober(record: ContainerRecord, config: HealthConfig) -> Probe:
            return await run_probe(ctx.layout, record.runtime or ctx.oci.runtime.path,
                                   record.id, config.command, config.timeout)

        supervisor = Supervisor(ctx.layout, project, ctx.containers, ctx.networks, prober,
                                lambda record: image_config(record.image_id))
        await supervisor.run()
    return 0
