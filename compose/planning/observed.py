"""What is there now, read once by ``observe`` and then only looked at (pure data)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network

from common.records import ContainerRecord, NetworkRecord, VolumeRecord
from common.status import ContainerStatus
from network.ipam import AddressPool


@dataclass(frozen=True)
class Surroundings:
    """What the state root's other projects hold, and its address pools: read so a
    project can join their networks (``external``), avoid their subnets, addresses
    and ports, and never remove a network another project still uses."""

    networks: Mapping[str, NetworkRecord] = field(default_factory=dict)
    """Other projects' networks, by name."""
    containers: tuple[ContainerRecord, ...] = ()
    """Other projects' containers."""
    address_pools: tuple[AddressPool, ...] = ()
    """Where new subnets come from (``<root>/networks.json``); empty: the defaults."""


@dataclass(frozen=True)
class ObservedState:
    project: str
    networks: Mapping[str, NetworkRecord] = field(default_factory=dict)
    containers: tuple[ContainerStatus, ...] = ()
    taken_subnets: tuple[IPv4Network | IPv6Network, ...] = ()
    """Subnets in use elsewhere: host routes and other projects' networks."""
    absent_networks: frozenset[str] = frozenset()
    """Keys of recorded networks whose bridge is gone (after a reboot): made again."""
    surroundings: Surroundings = field(default_factory=Surroundings)
    volumes: Mapping[str, VolumeRecord] = field(default_factory=dict)
    """Every volume in the store, by name (volumes are not a project's alone:
    ``external`` ones belong to others)."""

    def of_service(self, service: str) -> list[ContainerStatus]:
        return sorted(
            (c for c in self.containers if c.record.service == service),
            key=lambda c: c.record.number,
        )
