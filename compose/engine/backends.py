"""The seams between planning and the system: what the executor needs from the
container runtime and the network layer.  ``runtime/`` and ``network/`` implement
these; the CLI wires the real ones together."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from ipaddress import IPv4Network, IPv6Network
from typing import Protocol

from common.records import ContainerRecord, NetworkRecord, VolumeRecord
from common.status import ContainerStatus
from compose.spec.model import Service


class ContainerBackend(Protocol):
    async def create(self, record: ContainerRecord, service: Service, hosts: str) -> None:
        """Prepare the container (root filesystem, config, files) without running it."""

    async def write_hosts(self, record: ContainerRecord, hosts: str) -> None: ...

    async def start(self, record: ContainerRecord) -> None:
        """Run the container's process under conmon (again, if it ran before)."""

    async def stop(self, record: ContainerRecord, timeout: float | None = None) -> None:
        """Stop signal, then SIGKILL after the grace period; returns once it has exited."""

    async def remove(self, record: ContainerRecord) -> None:
        """Delete the container, its writable layer and its files."""

    async def status(self, record: ContainerRecord) -> ContainerStatus: ...

    async def wait(self, record: ContainerRecord) -> int | None:
        """Wait until the container has exited; its exit code."""

    def oom_killed(self, record: ContainerRecord) -> bool:
        """Whether the kernel's OOM killer ended a process of the container."""


class NetworkBackend(Protocol):
    async def create_network(self, network: NetworkRecord) -> None: ...

    async def remove_network(self, network: NetworkRecord) -> None: ...

    async def connect(self, record: ContainerRecord) -> None:
        """Give the container its namespace and an interface on each of its networks."""

    async def disconnect(self, record: ContainerRecord) -> None: ...

    async def reserve_ports(self, records: Sequence[ContainerRecord],
                            leaving: Collection[str]) -> list[ContainerRecord]:
        """``records`` with their published host ports checked free and random ones
        chosen (a clear error when one is taken); ``leaving`` are ids of containers
        about to be removed, whose ports are free."""

    async def routed_networks(self) -> list[IPv4Network | IPv6Network]:
        """Subnets already routed on this host, which new networks must avoid."""

    async def link_names(self) -> set[str]:
        """Names of the network interfaces on this host."""


class VolumeBackend(Protocol):
    async def create_volume(self, volume: VolumeRecord) -> None:
        """Make the volume (its record, then its empty data directory) unless it exists."""

    async def remove_volume(self, volume: VolumeRecord) -> None:
        """Delete the volume and its data."""
