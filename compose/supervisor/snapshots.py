"""The supervisor's answer to ``{"op": "snapshot"}``: each container it knows, as
``compose/engine/snapshot.py`` describes it.

State and CPU/memory come from the runtime and the container's cgroup (what
``stats`` reads); restarts, back-off and health from the files the supervisor
itself writes (``runstate.py``), so a snapshot says the same as ``ps`` and
``inspect``.  The container's phase in the watcher (in back-off, and until when)
only the supervisor knows: it is passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from common.errors import PycomposeError
from common.records import ContainerRecord
from common.status import RUNNING, CgroupStats, ContainerStatus, Usage
from compose.engine import runstate
from compose.engine.backends import ContainerBackend
from compose.engine.snapshot import RESTARTING, ContainerView, ProbeView, port_text
from compose.planning.health import STARTING
from compose.planning.supervision import Supervision


async def _usage(containers: ContainerBackend, record: ContainerRecord,
                 status: ContainerStatus) -> Usage:
    if not status.running:
        return Usage(CgroupStats())
    try:
        return await containers.stats(record)
    except (PycomposeError, OSError):  # it exited meanwhile: its cgroup is gone
        return Usage(CgroupStats())


def _health(directory: Any, status: ContainerStatus,
            image_config: Mapping[str, Any]) -> tuple[str, int, ProbeView | None]:
    """The health status, failing streak and last probe; ``starting`` before the
    first probe of a container that has a check."""
    found = runstate.read_health(directory)
    probe = None
    if found is not None and found.log:
        last = found.log[-1]
        probe = ProbeView(last.exit_code, last.output, last.end)
    if status.state != RUNNING:
        return "", 0, probe
    if found is not None:
        return found.status, found.failing_streak, probe
    service = runstate.read_supervision(directory)
    configured = Supervision.of(service, image_config).health is not None
    return (STARTING if configured else ""), 0, probe


async def container_view(containers: ContainerBackend, directory: Any,
                         record: ContainerRecord, image_config: Callable[
                             [ContainerRecord], Mapping[str, Any]], *,
                         restart_at: float | None, watched: bool) -> ContainerView:
    """One container as the dashboard shows it; ``restart_at``: when the watcher
    in back-off restarts it (None when it is not backing off)."""
    status = await containers.status(record)
    usage = await _usage(containers, record, status)
    restart = runstate.read_restart(directory)
    health, streak, probe = _health(directory, status, image_config(record))
    state = RESTARTING if restart_at is not None and not status.running else status.state
    return ContainerView(
        id=record.id, name=record.name, service=record.service, number=record.number,
        state=state, exit_code=status.exit_code, started_at=status.started_at,
        finished_at=status.finished_at, health=health, failing_streak=streak,
        last_probe=probe, restarts=restart.restarts, backoff=restart.delay,
        restart_at=restart_at, stopped_by_user=restart.manually_stopped, watched=watched,
        cpu_ns=usage.cgroup.cpu_ns, system_cpu_ns=usage.system_cpu_ns,
        memory=usage.cgroup.memory, memory_limit=usage.cgroup.memory_limit,
        pids=usage.cgroup.pids, ports=tuple(port_text(p) for p in record.network.ports))
