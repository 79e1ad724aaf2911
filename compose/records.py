"""What pycompose remembers about what it made: containers and networks.

Records are written when an object is created (atomically, see ``statefiles``)
and are the link between a project and the kernel and runtime objects that
belong to it; ``observe`` joins them with the live status.  Pure data with
JSON (de)serialisation; no I/O here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class NetworkRecord:
    key: str
    name: str
    project: str
    bridge: str
    subnet: str
    gateway: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NetworkRecord:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Attachment:
    """A container's interface on one network."""

    network: str  # the network's key in the project
    bridge: str
    address: str  # 10.89.0.2/24
    gateway: str
    veth: str
    peer: str


@dataclass(frozen=True)
class ContainerRecord:
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

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["command"] = list(self.command)
        data["attachments"] = [asdict(a) for a in self.attachments]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ContainerRecord:
        values = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        values["command"] = tuple(data.get("command", ()))
        values["attachments"] = tuple(Attachment(**a) for a in data.get("attachments", ()))
        return cls(**values)

    @property
    def short_id(self) -> str:
        return self.id[:12]
