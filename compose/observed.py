"""What is there now, read once by ``observe`` and then only looked at (pure data)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Network

from compose.records import ContainerRecord, NetworkRecord

CREATED, RUNNING, EXITED, DEAD = "created", "running", "exited", "dead"


@dataclass(frozen=True)
class ContainerStatus:
    record: ContainerRecord
    state: str  # created | running | exited | dead (the runtime lost it, e.g. after a reboot)
    exit_code: int | None = None
    pid: int | None = None
    started_at: float | None = None
    finished_at: float | None = None

    @property
    def running(self) -> bool:
        return self.state == RUNNING


@dataclass(frozen=True)
class ObservedState:
    project: str
    networks: Mapping[str, NetworkRecord] = field(default_factory=dict)
    containers: tuple[ContainerStatus, ...] = ()
    taken_subnets: tuple[IPv4Network, ...] = ()
    """Subnets in use elsewhere: host routes and other projects' networks."""
    absent_networks: frozenset[str] = frozenset()
    """Keys of recorded networks whose bridge is gone (after a reboot): made again."""

    def of_service(self, service: str) -> list[ContainerStatus]:
        return sorted(
            (c for c in self.containers if c.record.service == service),
            key=lambda c: c.record.number,
        )
