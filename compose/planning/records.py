"""The records of the containers a plan creates (pure).

``plan_up`` chooses which containers to create (``NewContainer``); ``RecordMaker``
turns each into the ``ContainerRecord`` it is made from: its name, addresses,
network settings, labels and volumes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from common.records import ContainerRecord, NetworkRecord
from compose.planning import netplan
from compose.planning.netconfig import service_networking
from compose.planning.observed import ObservedState
from compose.spec import names
from compose.spec.model import Project, Service
from network import ipam
from volumes.mounts import anonymous_targets, volume_names


@dataclass(frozen=True)
class NewContainer:
    """A container ``up`` will create: what it is made from, before its record."""

    service: Service
    container_id: str
    config_hash: str
    image_id: str
    namespace: str
    """``container:<id>`` when it joins another container's network namespace."""
    previous: ContainerRecord | None = None
    """The container it replaces (its anonymous volumes are inherited)."""
    number: int = 1
    """Its replica number: ``<project>-<service>-<number>``."""


def name_of(project: Project, service: Service, number: int = 1) -> str:
    """The container's name: its ``container_name``, else ``<project>-<service>-<number>``."""
    return service.container_name or names.container_name(project.name, service.name, number)


@dataclass(frozen=True)
class RecordMaker:
    """Turns the containers ``up`` creates into their records, given the networks,
    the address leases and the containers chosen so far."""

    project: Project
    networks: Mapping[str, NetworkRecord]
    leases: netplan.Leases
    now: float
    runtime: str
    observed: ObservedState
    final: Mapping[str, ContainerRecord | NewContainer]
    image_volumes: Mapping[str, Iterable[str]]
    new_id: Callable[[], str]

    def anonymous(self, create: NewContainer) -> dict[str, str]:
        """Container path -> anonymous volume: the replaced container's, else new."""
        inherited: dict[str, str] = {}
        if create.previous is not None:
            mine = set(create.previous.anonymous_volumes)
            inherited = {t: n for t, n in create.previous.volumes.items() if n in mine}
        targets = anonymous_targets(create.service,
                                    self.image_volumes.get(create.service.name, ()))
        return {t: inherited.get(t) or self.new_id() for t in targets}

    def container_name(self, service: str) -> str:
        target = self.final.get(service)
        if isinstance(target, ContainerRecord):
            return target.name
        for status in self.observed.of_service(service):
            return status.record.name
        if service in self.project.services:
            return name_of(self.project, self.project.services[service])
        return names.container_name(self.project.name, service, 1)

    def record(self, create: NewContainer, static: Mapping[tuple[str, int], ipam.IPAddress],
               made: Mapping[str, ContainerRecord]) -> ContainerRecord:
        project, service = self.project, create.service
        name = name_of(project, service, create.number)
        attachments = netplan.attachments(create.container_id, name, service, self.networks,
                                          self.leases, static)
        gateway_of: ContainerRecord | None = None
        if create.namespace.startswith("container:"):
            target = create.namespace[len("container:"):]
            gateway_of = next((r for r in (*made.values(), *self._known()) if r.id == target),
                              None)
        networking = service_networking(service.canonical)
        links = {target: self.container_name(target) for target, _ in networking.links}
        gateway = netplan.first_gateway(gateway_of.attachments if gateway_of else attachments)
        anonymous = self.anonymous(create)
        return ContainerRecord(
            id=create.container_id,
            name=name,
            project=project.name,
            service=service.name,
            number=create.number,
            image=service.image,
            image_id=create.image_id,
            config_hash=create.config_hash,
            created=self.now,
            command=tuple(service.command or ()),
            hostname=service.hostname or create.container_id[:12],
            runtime=self.runtime,
            stop_signal=service.stop_signal or "SIGTERM",
            stop_grace_period=service.stop_grace_period,
            attachments=attachments,
            labels={
                "com.docker.compose.project": project.name,
                "com.docker.compose.service": service.name,
                "com.docker.compose.container-number": str(create.number),
                "com.docker.compose.config-hash": create.config_hash,
                "com.docker.compose.project.working_dir": project.working_dir,
                "com.docker.compose.project.config_files": ",".join(project.config_files),
                "com.docker.compose.oneoff": "False",
                "com.docker.compose.depends_on": ",".join(
                    f"{dep}:{d.condition}:{str(d.restart).lower()}"
                    for dep, d in service.depends_on.items()),
                **service.labels,
            },
            network=netplan.settings(networking, create.namespace, gateway, links),
            volumes=volume_names(service, anonymous),
            anonymous_volumes=tuple(anonymous.values()),
        )

    def _known(self) -> list[ContainerRecord]:
        return [*(c.record for c in self.observed.containers),
                *self.observed.surroundings.containers]
