"""What a project's supervisor knows of its containers at one moment, as plain data:
the answer to the control socket's ``{"op": "snapshot"}`` (``pycompose dashboard``).

The supervisor is the one process that watches every container (their restarts,
back-off, health probes), so the dashboard asks it rather than polling the runtime.
Each snapshot carries a ``generation`` that grows with every change the supervisor
sees; asked with ``since`` and ``wait``, it answers as soon as the generation moves
past ``since`` (a change is pushed at once) or when ``wait`` runs out (so CPU and
memory still refresh).  Converting to and from JSON is here, beside the types.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from common.records import PortBinding

RESTARTING = "restarting"
"""The state shown while the supervisor backs off before a restart (as docker shows it)."""


@dataclass(frozen=True)
class ProbeView:
    """The last health probe: its exit code (-1: it could not run or timed out)
    and what it printed."""

    exit_code: int
    output: str
    end: float


@dataclass(frozen=True)
class ContainerView:
    id: str
    name: str
    service: str
    number: int
    state: str
    """created | running | exited | dead, or ``restarting`` while in back-off."""
    exit_code: int | None = None
    started_at: float | None = None
    finished_at: float | None = None
    health: str = ""
    """starting | healthy | unhealthy, or "" without a health check (or not running)."""
    failing_streak: int = 0
    last_probe: ProbeView | None = None
    restarts: int = 0
    backoff: float = 0.0
    """The last back-off delay the supervisor used (0 before the first restart)."""
    restart_at: float | None = None
    """While in back-off: when the restart is due."""
    stopped_by_user: bool = False
    watched: bool = True
    """False once the supervisor let it rest (its policy does not restart it)."""
    cpu_ns: int = 0
    system_cpu_ns: int = 0
    memory: int = 0
    memory_limit: int | None = None
    pids: int = 0
    ports: tuple[str, ...] = ()
    """Published ports as ``ps`` shows them: ``0.0.0.0:8080->80/tcp``."""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ContainerView:
        values = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        probe = values.get("last_probe")
        values["last_probe"] = ProbeView(**probe) if isinstance(probe, dict) else None
        values["ports"] = tuple(values.get("ports", ()))
        return cls(**values)


@dataclass(frozen=True)
class Snapshot:
    project: str
    time: float
    """The supervisor's clock when it was taken: uptimes and back-offs count from it."""
    generation: int = 0
    containers: tuple[ContainerView, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Snapshot:
        return cls(str(data.get("project", "")), float(data.get("time", 0.0)),
                   int(data.get("generation", 0)),
                   tuple(ContainerView.from_json(c) for c in data.get("containers", ())
                         if isinstance(c, dict)))


def port_text(binding: PortBinding) -> str:
    """One published port, as ``ps`` writes it."""
    host = binding.host_ip or "0.0.0.0"
    published = f"{binding.published}-{binding.range_end}" if binding.range_end \
        else str(binding.published)
    return f"{host}:{published}->{binding.target}/{binding.protocol}"
