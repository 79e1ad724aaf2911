"""A running container's health check: probed when it is due, its state written
where ``ps``, ``inspect`` and a later supervisor read it, and acted on when it turns
unhealthy (autoheal: ``x-pycompose: {on_unhealthy: restart | stop | kill}``).

Apart from the watcher (``container.py``), it gets only what it uses: the clock,
the prober, the runtime to stop the container, and three ways to tell of a change
(a snapshot's, an event, DNS).  When it stops a container, the watcher sees the
exit and reads ``Run.autoheal`` to decide what follows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trio

from common.records import ContainerRecord
from common.status import Probe
from compose.engine import runstate
from compose.engine.backends import ContainerBackend
from compose.planning import health as health_rules
from compose.planning.health import UNHEALTHY, HealthConfig
from compose.planning.supervision import Supervision
from compose.supervisor.steps import Run

Prober = Callable[[ContainerRecord, HealthConfig], Awaitable[Probe]]


async def until_probe(clock: Callable[[], float], directory: Path, config: HealthConfig,
                      run: Run) -> None:
    """Sleep until the next probe is due; while the container is ``starting``,
    look every ``start_interval`` whether a dependent now waits for it (then the
    probe is due sooner)."""
    since = clock()
    while True:
        starting = run.health.status == health_rules.STARTING
        awaited = starting and runstate.is_awaited(directory)
        due = since + health_rules.next_probe_in(
            config, run.health, run.started_at, clock(), awaited=awaited)
        remaining = due - clock()
        if remaining <= 0:
            return
        if not starting or awaited:
            await trio.sleep(remaining)
            return
        await trio.sleep(min(remaining, config.start_interval))


@dataclass(frozen=True)
class HealthProbes:
    """What the probe loop needs, and nothing more; a container's watcher makes one
    for each run of its container (``event`` appends to that container's events)."""

    containers: ContainerBackend
    prober: Prober
    clock: Callable[[], float]
    changed: Callable[[], None]
    """A probe's result is in: whoever waits for a snapshot is woken."""
    event: Callable[[str], None]
    """Append an event of the container probed (``health_status: ...``)."""
    refresh_dns: Callable[[str], Awaitable[None]]
    """The health status changed: so may who answers to the container's names."""

    async def loop(self, record: ContainerRecord, directory: Path, supervision: Supervision,
                   run: Run, log: Any) -> None:
        """Probe while the container runs (its watcher cancels this at the exit);
        return once autoheal has stopped it."""
        config = supervision.health
        assert config is not None
        previous = runstate.read_health(directory)
        if previous is not None:
            run.health = previous  # re-adopted: carry the state on
        while True:
            await until_probe(self.clock, directory, config, run)
            probe = await self.prober(record, config)
            before = run.health.status
            run.health = health_rules.record(config, run.health, probe, run.started_at)
            runstate.write_health(directory, run.health)
            self.changed()
            if run.health.status != before:
                log.info("health_status", status=run.health.status)
                self.event(f"health_status: {run.health.status}")
                await self.refresh_dns(record.id)
            if run.health.status == UNHEALTHY and supervision.on_unhealthy != "none":
                run.autoheal = supervision.on_unhealthy
                log.info("autoheal", action=run.autoheal)
                if run.autoheal == "kill":
                    await self.containers.stop(record, 0.0)
                else:
                    await self.containers.stop(record)
                return
