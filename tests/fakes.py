"""In-memory backends implementing the ``compose.engine.backends`` protocols, for tests of
the trio layer that need no kernel (run under ``autojump_clock``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from ipaddress import IPv4Network

import trio

from common.errors import RuntimeFailure
from common.records import ContainerRecord, NetworkRecord
from common.status import CREATED, EXITED, RUNNING, ContainerStatus
from compose.spec.model import Service


class FakeContainers:
    def __init__(self, *, fail_start: set[str] | None = None, start_delay: float = 0.0) -> None:
        self.log: list[str] = []
        self.state: dict[str, str] = {}
        self.fail_start = fail_start or set()
        self.start_delay = start_delay
        self.exited: dict[str, trio.Event] = {}

    async def create(self, record: ContainerRecord, service: Service, hosts: str) -> None:
        self.log.append(f"create {record.name}")
        self.state[record.id] = CREATED
        self.exited[record.id] = trio.Event()

    async def write_hosts(self, record: ContainerRecord, hosts: str) -> None:
        self.log.append(f"hosts {record.name}")

    async def start(self, record: ContainerRecord) -> None:
        await trio.sleep(self.start_delay)
        if record.service in self.fail_start:
            raise RuntimeFailure(f"cannot start {record.name}: refused")
        self.log.append(f"start {record.name}")
        self.state[record.id] = RUNNING

    async def stop(self, record: ContainerRecord, timeout: float | None = None) -> None:
        self.log.append(f"stop {record.name}")
        self.state[record.id] = EXITED
        self.exited.setdefault(record.id, trio.Event()).set()

    async def remove(self, record: ContainerRecord) -> None:
        self.log.append(f"remove {record.name}")
        self.state.pop(record.id, None)

    async def status(self, record: ContainerRecord) -> ContainerStatus:
        return ContainerStatus(record, self.state.get(record.id, "dead"))

    async def wait(self, record: ContainerRecord) -> int | None:
        await self.exited.setdefault(record.id, trio.Event()).wait()
        return 0

    def oom_killed(self, record: ContainerRecord) -> bool:
        return False


class FakeNetworks:
    def __init__(self) -> None:
        self.log: list[str] = []
        self.links: set[str] = set()

    async def create_network(self, network: NetworkRecord) -> None:
        self.log.append(f"bridge {network.bridge}")
        self.links.add(network.bridge)

    async def remove_network(self, network: NetworkRecord) -> None:
        self.log.append(f"unbridge {network.bridge}")
        self.links.discard(network.bridge)

    async def connect(self, record: ContainerRecord) -> None:
        self.log.append(f"connect {record.name}")

    async def disconnect(self, record: ContainerRecord) -> None:
        self.log.append(f"disconnect {record.name}")

    async def reserve_ports(self, records: Sequence[ContainerRecord],
                            leaving: Collection[str]) -> list[ContainerRecord]:
        """Random host ports count up from 49153."""
        result = []
        for record in records:
            self.log.append(f"reserve {record.name}")
            chosen = tuple(replace(p, published=p.published or 49153 + i, range_end=0)
                           for i, p in enumerate(record.network.ports))
            result.append(replace(record, network=replace(record.network, ports=chosen)))
        return result

    async def routed_networks(self) -> list[IPv4Network]:
        return [IPv4Network("10.89.0.0/24")]

    async def link_names(self) -> set[str]:
        return set(self.links)
