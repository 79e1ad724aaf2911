"""Rolling updates over in-memory backends: replicas replaced one batch at a time in
the order update_config asks, and given back on failure."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
import trio

from common.errors import RuntimeFailure
from common.paths import Layout
from common.records import ContainerRecord
from compose.engine.executor import Executor, UpdateFailed
from compose.engine.observe import observe
from compose.planning.ops import Plan, ReplaceContainers
from compose.planning.plan import plan_up
from compose.planning.rollout import UpdateConfig, batches
from compose.spec.loader import LoadOptions, load_project
from tests.fakes import FakeNetworks
from tests.trio.test_executor import RecordingContainers

COMPOSE = """
services:
  web:
    image: busybox
    command: {command}
    deploy:
      replicas: 3
      update_config: {update}
"""


class Versioned(RecordingContainers):
    """Logs each action with the container's version (its command), and refuses to
    start the versions in ``broken``."""

    def __init__(self, layout: Layout, broken: set[str]) -> None:
        super().__init__(layout)
        self.broken = broken
        self.actions: list[str] = []

    def _note(self, action: str, record: ContainerRecord) -> None:
        self.actions.append(f"{action} {record.number}{record.command[-1]}")

    async def create(self, record: ContainerRecord, service: object, hosts: str,
                     files: object = None) -> None:
        self._note("create", record)
        await super().create(record, service, hosts, files)

    async def start(self, record: ContainerRecord) -> None:
        if record.command[-1] in self.broken:
            raise RuntimeFailure(f"cannot start {record.name}: broken")
        self._note("start", record)
        await super().start(record)

    async def stop(self, record: ContainerRecord, timeout: float | None = None) -> None:
        self._note("stop", record)
        await super().stop(record, timeout)

    async def remove(self, record: ContainerRecord, **kwargs: Any) -> None:
        self._note("remove", record)
        await super().remove(record, **kwargs)


async def converge(tmp_path: Path, layout: Layout, containers: Versioned,
                   command: str, update: str) -> Plan:
    (tmp_path / "proj").mkdir(exist_ok=True)
    (tmp_path / "proj" / "compose.yaml").write_text(
        COMPOSE.format(command=f"[sleep, '{command}']", update=update))
    project = load_project(LoadOptions(cwd=str(tmp_path / "proj"), environ={})).project
    networks = FakeNetworks()
    observed = await observe(layout, "proj", containers, networks)
    counter = itertools.count(len(containers.state) + 1)
    plan = plan_up(project, {"web": "sha256:" + "a" * 64}, observed, root_tag="t",
                   new_id=lambda: f"{next(counter):064x}", now=0.0, runtime="/usr/sbin/runc")
    containers.actions.clear()
    await Executor(layout, containers, networks, lambda event: None).run(plan)
    return plan


async def test_stop_first_one_at_a_time(tmp_path: Path, autojump_clock: object) -> None:
    layout = Layout(tmp_path / "root", tmp_path / "run")
    containers = Versioned(layout, set())
    await converge(tmp_path, layout, containers, "a", "{}")
    started = trio.current_time()
    plan = await converge(tmp_path, layout, containers, "b", "{delay: 2s}")
    roll = next(op for op in plan.ops if isinstance(op, ReplaceContainers))
    assert roll.render() == "roll proj-web-1, proj-web-2, proj-web-3 (1 at a time, stop-first)"
    assert containers.actions[:9] == [
        "stop 1a", "create 1b", "start 1b",
        "stop 2a", "create 2b", "start 2b",
        "stop 3a", "create 3b", "start 3b",
    ]
    assert sorted(containers.actions[9:]) == ["remove 1a", "remove 2a", "remove 3a"]
    assert trio.current_time() - started == pytest.approx(4.0)  # two delays between batches


async def test_start_first_two_at_a_time(tmp_path: Path, autojump_clock: object) -> None:
    layout = Layout(tmp_path / "root", tmp_path / "run")
    containers = Versioned(layout, set())
    await converge(tmp_path, layout, containers, "a", "{}")
    await converge(tmp_path, layout, containers, "b", "{parallelism: 2, order: start-first}")
    first_batch = containers.actions[:6]
    assert sorted(first_batch) == ["create 1b", "create 2b", "start 1b", "start 2b",
                                   "stop 1a", "stop 2a"]
    for n in "12":  # each old replica stops only once its replacement runs
        assert first_batch.index(f"start {n}b") < first_batch.index(f"stop {n}a")
    assert containers.actions[6:9] == ["create 3b", "start 3b", "stop 3a"]


async def test_rollback_gives_every_replaced_replica_back(tmp_path: Path,
                                                          autojump_clock: object) -> None:
    layout = Layout(tmp_path / "root", tmp_path / "run")
    containers = Versioned(layout, set())
    await converge(tmp_path, layout, containers, "a", "{}")
    containers.broken = {"b"}
    with pytest.raises(UpdateFailed, match="rolled back to the previous configuration"):
        await converge(tmp_path, layout, containers, "b", "{failure_action: rollback}")
    assert containers.actions == ["stop 1a", "create 1b", "remove 1b", "start 1a"]
    running = sorted(c for c in containers.state.values())
    assert running == ["running", "running", "running"]


async def test_pause_keeps_what_was_updated(tmp_path: Path, autojump_clock: object) -> None:
    layout = Layout(tmp_path / "root", tmp_path / "run")
    containers = Versioned(layout, set())
    await converge(tmp_path, layout, containers, "a", "{}")
    real_start = Versioned.start
    starts = 0

    async def second_fails(self: Versioned, record: ContainerRecord) -> None:
        nonlocal starts
        if record.command[-1] == "b":
            starts += 1
            if starts == 2:
                raise RuntimeFailure("refused")
        await real_start(self, record)

    containers.start = second_fails.__get__(containers)  # type: ignore[method-assign]
    with pytest.raises(UpdateFailed, match=r"paused after a failure .*1 of 3 replicas updated"):
        await converge(tmp_path, layout, containers, "b", "{}")
    assert containers.actions == [
        "stop 1a", "create 1b", "start 1b",
        "stop 2a", "create 2b", "remove 2b", "start 2a",
        "remove 1a",
    ]


def test_update_config_defaults_and_batches() -> None:
    assert UpdateConfig.of({}) == UpdateConfig(1, 0.0, "stop-first", "pause", 0.0)
    config = UpdateConfig.of({"deploy": {"update_config": {
        "parallelism": 0, "delay": "1m30s", "order": "start-first",
        "failure_action": "rollback", "monitor": "5s"}}})
    assert config == UpdateConfig(0, 90.0, "start-first", "rollback", 5.0)
    assert batches([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert batches([1, 2, 3], 0) == [[1, 2, 3]]
    assert batches([], 1) == []
