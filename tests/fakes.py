"""In-memory backends implementing the ``compose.engine.backends`` protocols, for tests of
the trio layer that need no kernel (run under ``autojump_clock``).
``tests/unit/test_fakes.py`` checks that they implement every member."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from ipaddress import IPv4Network
from typing import Any

import trio

from common.errors import RuntimeFailure, UsageError
from common.records import ContainerRecord, NetworkRecord, VolumeRecord
from common.status import (
    CREATED,
    EXITED,
    RUNNING,
    CgroupStats,
    ContainerStatus,
    LogLine,
    Probe,
    Usage,
)
from compose.spec.model import Service


class FakeContainers:
    def __init__(self, *, fail_start: set[str] | None = None, start_delay: float = 0.0) -> None:
        self.log: list[str] = []
        self.state: dict[str, str] = {}
        self.fail_start = fail_start or set()
        self.start_delay = start_delay
        self.exited: dict[str, trio.Event] = {}
        self.started: dict[str, trio.Event] = {}

    async def create(self, record: ContainerRecord, service: Service, hosts: str) -> None:
        self.log.append(f"create {record.name}")
        self.state[record.id] = CREATED
        self.exited[record.id] = trio.Event()

    async def write_hosts(self, record: ContainerRecord, hosts: str) -> None:
        self.log.append(f"hosts {record.name}")

    async def check(self, service: Service, image_config: Mapping[str, Any]) -> None:
        if service.command == ("refused",):
            raise UsageError(f"service {service.name}: no command")

    async def start(self, record: ContainerRecord, *, stdin: bool | None = None) -> None:
        await trio.sleep(self.start_delay)
        if record.service in self.fail_start:
            raise RuntimeFailure(f"cannot start {record.name}: refused")
        self.log.append(f"start {record.name}")
        self.state[record.id] = RUNNING
        self.started.setdefault(record.id, trio.Event()).set()

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

    async def run_attached(self, record: ContainerRecord, *, tty: bool,
                           interactive: bool) -> int | None:
        await self.start(record)
        return await self.wait(record)

    async def kill(self, record: ContainerRecord, signal: str | int = "KILL") -> bool:
        self.log.append(f"kill {record.name} {signal}")
        if self.state.get(record.id) != RUNNING:
            return False
        await self.stop(record)
        return True

    async def pause(self, record: ContainerRecord) -> None:
        self.log.append(f"pause {record.name}")
        self.state[record.id] = "paused"

    async def unpause(self, record: ContainerRecord) -> None:
        self.log.append(f"unpause {record.name}")
        self.state[record.id] = RUNNING

    async def paused(self, record: ContainerRecord) -> bool:
        return self.state.get(record.id) == "paused"

    def is_running(self, record: ContainerRecord) -> bool:
        return self.state.get(record.id) == RUNNING

    async def wait_running(self, record: ContainerRecord) -> None:
        if record.id in self.state and not self.is_running(record):
            await self.started.setdefault(record.id, trio.Event()).wait()

    async def exec(self, record: ContainerRecord, args: Sequence[str], *,
                   user: str | None = None, env: Mapping[str, str] | None = None,
                   cwd: str | None = None, tty: bool = False, detach: bool = False) -> int:
        self.log.append(f"exec {record.name} {' '.join(args)}")
        return 0

    async def probe(self, record: ContainerRecord, command: Sequence[str],
                    timeout: float) -> Probe:
        now = trio.current_time()
        return Probe(now, now, 0 if self.is_running(record) else 1)

    async def processes(self, record: ContainerRecord) -> list[int]:
        return [1] if self.is_running(record) else []

    async def stats(self, record: ContainerRecord) -> Usage:
        return Usage(CgroupStats(pids=len(await self.processes(record))))

    async def top(self, record: ContainerRecord) -> list[list[str]]:
        return [["root", str(p), "0", "0", "00:00", "?", "00:00:00", "sh"]
                for p in await self.processes(record)]

    async def copy(self, record: ContainerRecord, source: str, destination: str, *,
                   into: bool, archive: bool, follow: bool) -> None:
        self.log.append(f"copy {record.name} {source} {destination}")

    def log_history(self, record: ContainerRecord) -> tuple[list[LogLine], int]:
        return [], 0

    @contextmanager
    def open_log(self, record: ContainerRecord, offset: int = 0) -> Iterator[None]:
        yield None  # no log file: followers only wait for the exit

    async def keep_rotated_logs(self, record: ContainerRecord, files: int,
                                on_rotated: Callable[[], None]) -> None:
        await trio.sleep_forever()

    def warn_to(self, warn: Callable[[str], None]) -> None:
        self.warn = warn


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


class FakeVolumes:
    def __init__(self) -> None:
        self.log: list[str] = []
        self.store: dict[str, VolumeRecord] = {}

    async def create_volume(self, volume: VolumeRecord) -> None:
        self.log.append(f"volume {volume.name}")
        self.store.setdefault(volume.name, volume)

    async def remove_volume(self, volume: VolumeRecord) -> None:
        self.log.append(f"unvolume {volume.name}")
        self.store.pop(volume.name, None)

    async def volumes(self) -> dict[str, VolumeRecord]:
        return dict(self.store)

    def data_dir(self, name: str) -> str:
        return f"/volumes/{name}/_data"

    async def disk_usage(self, name: str) -> int:
        return 0


class FakeSupervisors:
    def __init__(self) -> None:
        self.log: list[str] = []

    async def ensure(self, project: str) -> None:
        self.log.append(f"ensure {project}")

    async def adopt(self, project: str) -> None:
        self.log.append(f"adopt {project}")

    async def stop(self, project: str) -> None:
        self.log.append(f"stop {project}")

    async def dns_ready(self, record: ContainerRecord) -> bool:
        return True
