"""Reconcile what the project asks for with what is there, into a plan (pure).

A plan is a sequence of stages; the operations inside one stage are independent
and run concurrently, stages run one after the other.  Nothing here awaits or
touches the system, so plans are tested as rendered text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from ipaddress import IPv4Address, IPv4Interface

from compose import graph, names
from compose.model import Project, Service
from compose.observed import RUNNING, ContainerStatus, ObservedState
from compose.records import Attachment, ContainerRecord, NetworkRecord
from network import ipam
from network import names as ifnames
from network.hosts import render_hosts

# Keys that do not change the container itself (docker compose's hash.go).
_NOT_HASHED = {"depends_on"}


@dataclass(frozen=True)
class CreateNetwork:
    network: NetworkRecord

    def render(self) -> str:
        n = self.network
        return f"create network {n.name} bridge={n.bridge} subnet={n.subnet}"


@dataclass(frozen=True)
class RemoveNetwork:
    network: NetworkRecord

    def render(self) -> str:
        return f"remove network {self.network.name} bridge={self.network.bridge}"


@dataclass(frozen=True)
class CreateContainer:
    record: ContainerRecord
    service: Service
    hosts: str

    def render(self) -> str:
        addresses = " ".join(a.address for a in self.record.attachments)
        return f"create container {self.record.name} image={self.record.image} {addresses}"


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

    def render(self) -> str:
        return f"remove container {self.record.name}"


@dataclass(frozen=True)
class WriteHosts:
    """Rewrite the ``/etc/hosts`` of existing containers whose peers changed."""

    hosts: tuple[tuple[ContainerRecord, str], ...]

    def render(self) -> str:
        return f"write hosts files ({len(self.hosts)})"


Op = (CreateNetwork | RemoveNetwork | CreateContainer | StartContainer | StopContainer
      | RemoveContainer | WriteHosts)


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


def config_hash(service: Service, image_id: str) -> str:
    """Changes when the container would be made differently: recreate it then."""
    data = {f.name: getattr(service, f.name) for f in fields(service) if f.name not in _NOT_HASHED}
    data["image_id"] = image_id
    text = json.dumps(data, sort_keys=True, default=_jsonable)
    return hashlib.sha256(text.encode()).hexdigest()


def _jsonable(value: object) -> object:
    if isinstance(value, Mapping):
        return dict(value)
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in fields(value)}
    raise TypeError(f"cannot hash {type(value).__name__}")


def _stages(*groups: Iterable[Op]) -> tuple[tuple[Op, ...], ...]:
    return tuple(stage for stage in (tuple(g) for g in groups) if stage)


def plan_networks(project: Project, observed: ObservedState,
                  root_tag: str) -> dict[str, NetworkRecord]:
    """The project's networks: the ones already made, plus fresh ones with free subnets."""
    result: dict[str, NetworkRecord] = {}
    taken = list(observed.taken_subnets)
    for key, network in project.networks.items():
        existing = observed.networks.get(key)
        if existing is not None:
            result[key] = existing
            continue
        subnet = ipam.choose_subnet(taken)
        taken.append(subnet)
        result[key] = NetworkRecord(
            key=key, name=network.name, project=project.name,
            bridge=ifnames.bridge_name(root_tag, network.name),
            subnet=str(subnet), gateway=str(ipam.gateway(subnet)),
        )
    return result


def plan_up(
    project: Project,
    image_ids: Mapping[str, str],
    observed: ObservedState,
    *,
    root_tag: str,
    new_id: Callable[[], str],
    now: float,
    runtime: str,
    remove_orphans: bool = False,
) -> Plan:
    """Create what is missing, recreate what changed, start what is stopped."""
    networks = plan_networks(project, observed, root_tag)
    deps = graph.dependencies(project)
    used: dict[str, set[IPv4Address]] = {key: set() for key in networks}
    for status in observed.containers:
        for attachment in status.record.attachments:
            used.setdefault(attachment.network, set()).add(
                IPv4Interface(attachment.address).ip)

    creates: list[tuple[ContainerRecord, Service]] = []
    removals: list[ContainerRecord] = []
    starts: dict[str, list[StartContainer]] = {}
    final: list[ContainerRecord] = []
    kept: list[ContainerRecord] = []
    for service_name in graph.start_order(deps):
        service = project.services[service_name]
        wanted_hash = config_hash(service, image_ids[service_name])
        existing = observed.of_service(service_name)
        current = existing[0] if existing else None
        for extra in existing[1:]:  # scale is 1 until replicas arrive
            removals.append(extra.record)
        if current is not None and current.record.config_hash == wanted_hash:
            final.append(current.record)
            if current.state == RUNNING:
                kept.append(current.record)
            else:
                starts.setdefault(service_name, []).append(StartContainer(current.record))
            continue
        if current is not None:
            removals.append(current.record)
        record = _new_record(
            project, service, networks, used, number=1, container_id=new_id(),
            config_hash=wanted_hash, image_id=image_ids[service_name], now=now, runtime=runtime,
        )
        final.append(record)
        creates.append((record, service))
        starts.setdefault(service_name, []).append(StartContainer(record))

    warnings: list[str] = []
    orphans = [c for c in observed.containers if c.record.service not in project.services]
    if orphans and remove_orphans:
        removals.extend(o.record for o in orphans)
    elif orphans:
        listed = ", ".join(sorted(o.record.name for o in orphans))
        warnings.append(
            f"Found orphan containers ({listed}) for this project. If you removed or renamed "
            "this service in your compose file, you can run this command with the "
            "--remove-orphans flag to clean it up."
        )

    stopping = [r for r in removals if _is_running(observed, r)]
    new_networks = [
        CreateNetwork(n) for k, n in networks.items()
        if k not in observed.networks or k in observed.absent_networks
    ]
    start_stages = [
        [op for name in level for op in starts.get(name, [])] for level in graph.levels(deps)
    ]
    hosts = hosts_files(final, networks)
    created_ids = {record.id for record, _ in creates}
    rewrites = tuple((r, hosts[r.id]) for r in final if r.id not in created_ids)
    return Plan(
        stages=_stages(
            (StopContainer(r) for r in stopping),
            (RemoveContainer(r) for r in removals),
            new_networks,
            (CreateContainer(r, s, hosts[r.id]) for r, s in creates),
            [WriteHosts(rewrites)] if creates and rewrites else [],
            *start_stages,
        ),
        warnings=tuple(warnings),
        kept=tuple(kept),
    )


def _is_running(observed: ObservedState, record: ContainerRecord) -> bool:
    return any(c.record.id == record.id and c.running for c in observed.containers)


def _new_record(
    project: Project,
    service: Service,
    networks: Mapping[str, NetworkRecord],
    used: dict[str, set[IPv4Address]],
    *,
    number: int,
    container_id: str,
    config_hash: str,
    image_id: str,
    now: float,
    runtime: str,
) -> ContainerRecord:
    attachments = []
    for key in service.networks:
        network = networks[key]
        subnet = ipam.parse_network(network.subnet)
        address = ipam.next_address(subnet, used.setdefault(key, set()))
        used[key].add(address)
        attachments.append(Attachment(
            network=key, bridge=network.bridge,
            address=f"{address}/{subnet.prefixlen}", gateway=network.gateway,
            veth=ifnames.veth_name(container_id, network.name),
            peer=ifnames.veth_peer_name(container_id, network.name),
        ))
    name = service.container_name or names.container_name(project.name, service.name, number)
    return ContainerRecord(
        id=container_id,
        name=name,
        project=project.name,
        service=service.name,
        number=number,
        image=service.image,
        image_id=image_id,
        config_hash=config_hash,
        created=now,
        command=tuple(service.command or ()),
        hostname=service.hostname or container_id[:12],
        runtime=runtime,
        stop_signal=service.stop_signal or "SIGTERM",
        stop_grace_period=service.stop_grace_period,
        attachments=tuple(attachments),
        labels={
            "com.docker.compose.project": project.name,
            "com.docker.compose.service": service.name,
            "com.docker.compose.container-number": str(number),
            "com.docker.compose.config-hash": config_hash,
            "com.docker.compose.project.working_dir": project.working_dir,
            "com.docker.compose.project.config_files": ",".join(project.config_files),
            "com.docker.compose.oneoff": "False",
            "com.docker.compose.depends_on": ",".join(
                f"{name}:{d.condition}:{str(d.restart).lower()}"
                for name, d in service.depends_on.items()),
            **service.labels,
        },
    )


def hosts_files(containers: Iterable[ContainerRecord],
                networks: Mapping[str, NetworkRecord]) -> dict[str, str]:
    """``/etc/hosts`` for each container: itself, then every other container that
    shares a network with it, by service name and container name."""
    containers = list(containers)
    result = {}
    for record in containers:
        mine = {a.network for a in record.attachments}
        own = [(str(IPv4Interface(a.address).ip), (record.hostname,))
               for a in record.attachments[:1]]
        peers = []
        for other in containers:
            if other.id == record.id:
                continue
            for attachment in other.attachments:
                if attachment.network in mine and attachment.network in networks:
                    peers.append((str(IPv4Interface(attachment.address).ip),
                                  (other.service, other.name)))
                    break
        result[record.id] = render_hosts(own, peers)
    return result


def recorded_dependencies(record: ContainerRecord) -> tuple[str, ...]:
    """The services a container's service depended on when it was created."""
    label = record.labels.get("com.docker.compose.depends_on", "")
    return tuple(entry.split(":", 1)[0] for entry in label.split(",") if entry)


def plan_down(observed: ObservedState) -> Plan:
    """Stop dependents before their dependencies, remove every container, then networks.

    The order comes from the containers' own records, so ``down`` needs no Compose file.
    """
    by_service: dict[str, list[ContainerStatus]] = {}
    for status in observed.containers:
        by_service.setdefault(status.record.service, []).append(status)
    deps = {
        service: tuple(d for c in statuses for d in recorded_dependencies(c.record)
                       if d in by_service)
        for service, statuses in by_service.items()
    }
    stop_stages = [
        [StopContainer(c.record) for name in level for c in by_service[name] if c.running]
        for level in reversed(graph.levels(deps))
    ]
    return Plan(stages=_stages(
        *stop_stages,
        (RemoveContainer(c.record) for c in observed.containers),
        (RemoveNetwork(n) for n in observed.networks.values()),
    ))
