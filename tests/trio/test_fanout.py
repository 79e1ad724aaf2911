"""Fan-outs are bounded: a project of many containers never has more than
``parallel_limit()`` runtime operations in flight (COMPOSE_PARALLEL_LIMIT)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import trio

from common.concurrency import parallel_limit, run_concurrently
from common.paths import Layout
from common.records import ContainerRecord
from common.statefiles import write_json
from common.status import ContainerStatus
from compose.engine.executor import Executor
from compose.engine.observe import observe
from compose.planning.plan import plan_down
from tests.fakes import FakeContainers, FakeNetworks
from tests.trio.test_executor import RecordingContainers, _plan, _setup

RECORD = ContainerRecord(id="", name="", project="p", service="web", number=1,
                         image="busybox", image_id="sha256:" + "a" * 64, config_hash="h",
                         created=0.0, command=(), hostname="h", runtime="runc")


class Gauge:
    """How many operations run at once, at most."""

    def __init__(self) -> None:
        self.now = self.most = 0

    async def hold(self) -> None:
        self.now += 1
        self.most = max(self.most, self.now)
        await trio.sleep(0.1)
        self.now -= 1


class CountingContainers(FakeContainers):
    def __init__(self) -> None:
        super().__init__()
        self.gauge = Gauge()

    async def status(self, record: ContainerRecord) -> ContainerStatus:
        await self.gauge.hold()
        return await super().status(record)


def test_the_limit_comes_from_compose_parallel_limit() -> None:
    assert parallel_limit({"COMPOSE_PARALLEL_LIMIT": "3"}) == 3
    default = parallel_limit({})
    assert default >= 4
    assert parallel_limit({"COMPOSE_PARALLEL_LIMIT": "-1"}) == default  # Docker's "unlimited"
    assert parallel_limit({"COMPOSE_PARALLEL_LIMIT": "many"}) == default


async def test_observe_reads_at_most_the_limit_of_statuses_at_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, autojump_clock: object) -> None:
    monkeypatch.setenv("COMPOSE_PARALLEL_LIMIT", "3")
    layout = Layout(tmp_path / "root", tmp_path / "run")
    for number in range(1, 21):
        record = dataclasses.replace(RECORD, id=f"{number:064x}", name=f"p-web-{number}",
                                     number=number)
        write_json(layout.container_dir(record.id) / "container.json", record.to_json())
    containers = CountingContainers()
    observed = await observe(layout, "p", containers)  # type: ignore[arg-type]
    assert len(observed.containers) == 20
    assert containers.gauge.most == 3


@pytest.mark.parametrize(("limit", "most"), [(2, 2), (None, 10)])
async def test_run_concurrently_keeps_to_its_limit(limit: int | None, most: int,
                                                  autojump_clock: object) -> None:
    gauge = Gauge()
    await run_concurrently([partial(gauge.hold) for _ in range(10)], limit=limit)
    assert gauge.most == most


class GaugedContainers(RecordingContainers):
    def __init__(self, layout: Layout) -> None:
        super().__init__(layout)
        self.removing = Gauge()

    async def remove(self, record: ContainerRecord, **kwargs: Any) -> None:
        await self.removing.hold()
        await super().remove(record, **kwargs)


class GaugedNetworks(FakeNetworks):
    def __init__(self) -> None:
        super().__init__()
        self.disconnecting = Gauge()

    async def disconnect(self, record: ContainerRecord, bridges: Sequence[str] = (), *,
                         links_with_namespace: bool = False) -> None:
        await self.disconnecting.hold()
        await super().disconnect(record, bridges)


async def test_down_disconnects_every_container_at_once_and_removes_within_the_limit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, autojump_clock: object) -> None:
    """Deleting links waits on the kernel once per batch (network/deletions.py): the
    more containers ask at once, the fewer waits; their removal holds the limit."""
    monkeypatch.setenv("COMPOSE_PARALLEL_LIMIT", "2")
    layout, _, _ = _setup(tmp_path)
    containers, networks = GaugedContainers(layout), GaugedNetworks()
    observed = await observe(layout, "proj", containers, networks)
    await Executor(layout, containers, networks, lambda event: None).run(
        _plan(layout, observed, tmp_path))
    observed = await observe(layout, "proj", containers, networks)
    await Executor(layout, containers, networks, lambda event: None).run(plan_down(observed))
    assert networks.disconnecting.most == 4
    assert containers.removing.most == 2
