"""The executor reserves host ports before anything is made: random ones end up in
the records, and a taken port stops the run before the first operation."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

import pytest

from common.errors import NetworkFailure
from common.paths import Layout
from common.records import ContainerRecord
from compose.engine.executor import Executor
from compose.planning.observed import ObservedState
from compose.planning.ops import CreateContainer
from compose.planning.plan import plan_up
from compose.spec.loader import LoadOptions, load_project
from tests.fakes import FakeContainers, FakeNetworks

COMPOSE = """
services:
  web:
    image: busybox
    ports: ["8080:80", "81"]
  db:
    image: busybox
"""


class RecordingContainers(FakeContainers):
    def __init__(self) -> None:
        super().__init__()
        self.created: list[ContainerRecord] = []

    async def create(self, record: ContainerRecord, service: object, hosts: str,
                     files: object = None) -> None:
        self.created.append(record)
        await super().create(record, service, hosts, files)  # type: ignore[arg-type]


class BusyNetworks(FakeNetworks):
    async def reserve_ports(self, records: Sequence[ContainerRecord],
                            leaving: Collection[str]) -> list[ContainerRecord]:
        raise NetworkFailure("service web: host port 0.0.0.0:8080/tcp is already in use")


def _plan(tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "compose.yaml").write_text(COMPOSE)
    project = load_project(LoadOptions(cwd=str(tmp_path / "proj"), environ={})).project
    ids = iter(f"{n:064x}" for n in range(1, 10))
    return plan_up(project, dict.fromkeys(project.services, "sha256:i"), ObservedState("proj"),
                   root_tag="t", new_id=lambda: next(ids), now=0.0, runtime="runc")


async def test_random_ports_are_chosen_before_creation(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    web = next(op.record for op in plan.ops
               if isinstance(op, CreateContainer) and op.record.service == "web")
    assert [p.published for p in web.network.ports] == [8080, 0]
    containers, networks = RecordingContainers(), FakeNetworks()
    layout = Layout(tmp_path / "root", tmp_path / "run")
    await Executor(layout, containers, networks, lambda event: None).run(plan)
    created = {r.service: r for r in containers.created}
    assert [p.published for p in created["web"].network.ports] == [8080, 49154]
    assert networks.log[0] == "reserve proj-web-1"  # before the first bridge


async def test_a_taken_port_stops_the_run_before_anything_is_made(tmp_path: Path) -> None:
    containers, networks = RecordingContainers(), BusyNetworks()
    layout = Layout(tmp_path / "root", tmp_path / "run")
    with pytest.raises(NetworkFailure, match="already in use"):
        await Executor(layout, containers, networks, lambda event: None).run(_plan(tmp_path))
    assert containers.log == [] and networks.log == []
    assert not (layout.projects / "proj").exists()
