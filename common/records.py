"""What pycompose remembers about what it made: containers and networks.

Records are written when an object is created (atomically, see ``statefiles``)
and are the link between a project and the kernel and runtime objects that
belong to it; ``observe`` joins them with the live status.  Pure data with
JSON (de)serialisation; no I/O here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


@dataclass(frozen=True)
class NetworkRecord:
    """A network as made on this host: its bridge, subnets and options, written when
    it is created so that later commands find it without the Compose file."""

    key: str
    name: str
    project: str
    bridge: str
    subnet: str
    gateway: str
    subnet6: str = ""  # with enable_ipv6
    gateway6: str = ""
    ip_range: str = ""  # where addresses that are not static come from
    reserved: tuple[str, ...] = ()  # ipam aux_addresses: never given to a container
    internal: bool = False
    masquerade: bool = True
    mtu: int = 0  # 0: the kernel's default
    labels: dict[str, str] = field(default_factory=dict)
    config_hash: str = ""
    """What the network was made from (``netplan.network_hash``); when the file now
    says otherwise, ``up`` makes it again.  Empty in records older than the hash."""
    netns: str = ""
    """The network namespace its bridge was made in (``net:[inode]``, as
    ``/proc/self/ns/net`` reads); empty in older records, and until it is made."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NetworkRecord:
        values = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        values["reserved"] = tuple(data.get("reserved", ()))
        return cls(**values)


@dataclass(frozen=True)
class Attachment:
    """A container's interface on one network."""

    network: str  # the network's key in the project
    bridge: str
    address: str  # 10.89.0.2/24
    gateway: str
    veth: str
    peer: str
    address6: str = ""  # fd89::2/64 on a network with IPv6
    gateway6: str = ""
    mac: str = ""  # "" lets the kernel choose
    ifname: str = "eth0"
    default_route: bool = True  # the container's default route goes through ``gateway``
    aliases: tuple[str, ...] = ()  # names other containers on the network find it by
    mtu: int = 0
    network_name: str = ""  # the network's name (``<project>_<key>`` when empty)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Attachment:
        values = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        values["aliases"] = tuple(data.get("aliases", ()))
        return cls(**values)


@dataclass(frozen=True)
class PortBinding:
    """A published port.  ``published`` 0 means "any free port" until one is
    reserved; with ``range_end``, any free port from ``published`` to it."""

    target: int
    protocol: str = "tcp"
    host_ip: str = ""  # "": every address of the host
    published: int = 0
    range_end: int = 0


@dataclass(frozen=True)
class NetworkSettings:
    """How a container is networked, beyond its attachments."""

    mode: str = ""  # "" (its attachments), "none", "host", or "container:<id>"
    ports: tuple[PortBinding, ...] = ()
    exposed: tuple[str, ...] = ()  # "80/tcp": exposed, not published
    dns: tuple[str, ...] = ()
    dns_search: tuple[str, ...] = ()
    dns_options: tuple[str, ...] = ()
    extra_hosts: tuple[tuple[str, str], ...] = ()  # (name, address), host-gateway resolved
    links: tuple[tuple[str, str], ...] = ()  # (container name, alias)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NetworkSettings:
        def strings(key: str) -> tuple[str, ...]:
            return tuple(str(v) for v in data.get(key, ()))

        def pairs(key: str) -> tuple[tuple[str, str], ...]:
            return tuple((str(a), str(b)) for a, b in data.get(key, ()))

        return cls(
            mode=str(data.get("mode", "")),
            ports=tuple(PortBinding(**p) for p in data.get("ports", ())),
            exposed=strings("exposed"), dns=strings("dns"), dns_search=strings("dns_search"),
            dns_options=strings("dns_options"), extra_hosts=pairs("extra_hosts"),
            links=pairs("links"),
        )


@dataclass(frozen=True)
class ContainerRecord:
    """A container as pycompose made it: what ``ps``, ``exec``, ``down`` and the
    supervisor need of it, written at its creation (the runtime's own state says
    only whether it runs)."""

    id: str
    name: str
    project: str
    service: str
    number: int
    image: str  # as written in the Compose file
    image_id: str  # config digest
    config_hash: str
    created: float
    command: tuple[str, ...]
    hostname: str
    runtime: str  # path of the OCI runtime binary that created it
    stop_signal: str = "SIGTERM"
    stop_grace_period: float = 10.0
    attachments: tuple[Attachment, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    network: NetworkSettings = field(default_factory=NetworkSettings)
    volumes: dict[str, str] = field(default_factory=dict)
    """Container path -> the name of the volume mounted there (named and anonymous)."""
    anonymous_volumes: tuple[str, ...] = ()
    """Names of the anonymous volumes made for this container (``down -v`` removes
    them; a recreated container of the same service inherits them)."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["command"] = list(self.command)
        data["attachments"] = [asdict(a) for a in self.attachments]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ContainerRecord:
        values = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        values["command"] = tuple(data.get("command", ()))
        values["attachments"] = tuple(Attachment.from_json(a)
                                      for a in data.get("attachments", ()))
        values["network"] = NetworkSettings.from_json(data.get("network", {}))
        values["anonymous_volumes"] = tuple(data.get("anonymous_volumes", ()))
        return cls(**values)

    @property
    def short_id(self) -> str:
        return self.id[:12]


ANONYMOUS_LABEL = "com.docker.volume.anonymous"


@dataclass(frozen=True)
class VolumeRecord:
    """A volume in the store (``volumes/<name>/volume.json``); its data is the
    directory ``_data`` beside it."""

    name: str
    driver: str = "local"
    labels: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    """The local driver's ``driver_opts`` (``type``, ``o``, ``device``)."""
    created: float = 0.0

    @property
    def project(self) -> str:
        return self.labels.get("com.docker.compose.project", "")

    @property
    def anonymous(self) -> bool:
        return ANONYMOUS_LABEL in self.labels

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VolumeRecord:
        values = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**values)


ONEOFF = "com.docker.compose.oneoff"


def is_oneoff(record: ContainerRecord) -> bool:
    """A container of ``run``, not one of the service's replicas."""
    return record.labels.get(ONEOFF) == "True"
