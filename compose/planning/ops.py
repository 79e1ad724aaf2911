"""The operations a plan is made of, and the plan itself (pure data).

A plan is a sequence of stages; the operations inside one stage are independent
and run concurrently, stages run one after the other.  Each operation renders as
one line of text, so plans are compared as text in the tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from common.records import ContainerRecord, NetworkRecord, VolumeRecord
from compose.planning.rollout import UpdateConfig
from compose.spec.model import Service


@dataclass(frozen=True)
class CreateNetwork:
    network: NetworkRecord

    def render(self) -> str:
        n = self.network
        text = f"create network {n.name} bridge={n.bridge} subnet={n.subnet}"
        if n.subnet6:
            text += f" subnet6={n.subnet6}"
        return text + (" internal" if n.internal else "")


@dataclass(frozen=True)
class RemoveNetwork:
    network: NetworkRecord

    def render(self) -> str:
        return f"remove network {self.network.name} bridge={self.network.bridge}"


@dataclass(frozen=True)
class CreateVolume:
    volume: VolumeRecord

    def render(self) -> str:
        kind = " anonymous" if self.volume.anonymous else ""
        return f"create{kind} volume {self.volume.name}"


@dataclass(frozen=True)
class RemoveVolume:
    volume: VolumeRecord

    def render(self) -> str:
        return f"remove volume {self.volume.name}"


@dataclass(frozen=True)
class CreateContainer:
    record: ContainerRecord
    service: Service
    hosts: str

    def render(self) -> str:
        addresses = " ".join(x for a in self.record.attachments
                             for x in (a.address, a.address6) if x)
        mode = self.record.network.mode
        where = f"network_mode={mode}" if mode else addresses
        return f"create container {self.record.name} image={self.record.image} {where}"


@dataclass(frozen=True)
class StartContainer:
    record: ContainerRecord

    def render(self) -> str:
        return f"start container {self.record.name}"


@dataclass(frozen=True)
class StopContainer:
    record: ContainerRecord

    def render(self) -> str:
        return f"stop container {self.record.name}"


@dataclass(frozen=True)
class RemoveContainer:
    record: ContainerRecord
    bridges: tuple[str, ...] = ()
    """Bridges of networks this plan removes, deleted with the container's links:
    one wait on the kernel for both (their records go later, with the networks)."""

    def render(self) -> str:
        along = f" with bridge {', '.join(self.bridges)}" if self.bridges else ""
        return f"remove container {self.record.name}{along}"


@dataclass(frozen=True)
class WriteHosts:
    """Rewrite the ``/etc/hosts`` of existing containers whose peers changed."""

    hosts: tuple[tuple[ContainerRecord, str], ...]

    def render(self) -> str:
        return f"write hosts files ({len(self.hosts)})"


@dataclass(frozen=True)
class ReplaceContainers:
    """A rolling update: each running replica (old) replaced by a new container made
    from ``service``, batch by batch as ``config`` says (compose/planning/rollout.py)."""

    service: Service
    pairs: tuple[tuple[ContainerRecord, ContainerRecord], ...]
    hosts: tuple[str, ...]
    """The new containers' ``/etc/hosts``, pair by pair."""
    config: UpdateConfig

    def render(self) -> str:
        names = ", ".join(new.name for _, new in self.pairs)
        return f"roll {names} ({self.config.describe()})"


Op = (CreateNetwork | RemoveNetwork | CreateVolume | RemoveVolume | CreateContainer
      | StartContainer | StopContainer | RemoveContainer | WriteHosts | ReplaceContainers)


@dataclass(frozen=True)
class Plan:
    stages: tuple[tuple[Op, ...], ...] = ()
    warnings: tuple[str, ...] = ()
    kept: tuple[ContainerRecord, ...] = field(default=())
    """Containers left as they are (already running with the same configuration)."""

    def render(self) -> str:
        lines = []
        for number, stage in enumerate(self.stages, 1):
            for op in stage:
                lines.append(f"{number}. {op.render()}")
        return "\n".join(lines)

    @property
    def ops(self) -> list[Op]:
        return [op for stage in self.stages for op in stage]

    def starting(self) -> list[ContainerRecord]:
        """The containers this plan starts."""
        return [op.record for op in self.ops if isinstance(op, StartContainer)]

    def removing(self) -> list[ContainerRecord]:
        """The containers this plan removes."""
        return [op.record for op in self.ops if isinstance(op, RemoveContainer)]

    def with_records(self, records: Iterable[ContainerRecord]) -> Plan:
        """The same plan with these records (by id) in every operation, e.g. once
        their random host ports are chosen."""
        by_id = {r.id: r for r in records}
        if not by_id:
            return self

        def swap(op: Op) -> Op:
            match op:
                case CreateContainer(record) | StartContainer(record) if record.id in by_id:
                    return replace(op, record=by_id[record.id])
                case WriteHosts(hosts):
                    return WriteHosts(tuple((by_id.get(r.id, r), text) for r, text in hosts))
            return op

        return replace(self, stages=tuple(tuple(swap(op) for op in stage)
                                          for stage in self.stages))

