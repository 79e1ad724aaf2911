"""down over in-memory backends: what exists is read while the project's supervisor
ends, and nothing is stopped before it has."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest
import trio

from common import state
from common.errors import UsageError
from common.paths import Layout
from common.records import ContainerRecord, NetworkRecord
from common.status import RUNNING
from compose.engine.context import Context
from compose.engine.down import down
from tests.fakes import FakeContainers, FakeImages, FakeNetworks, FakeSupervisors, RecordingOutput
from volumes.driver import LocalVolumes

WEB = ContainerRecord(id="c1", name="p-web-1", project="p", service="web", number=1,
                      image="busybox", image_id="sha256:b", config_hash="h", created=0.0,
                      command=("sleep", "300"), hostname="web", runtime="/usr/bin/runc")


class EndsOnceRead(FakeSupervisors):
    """The supervisor ends only once the containers are being read."""

    def __init__(self) -> None:
        super().__init__()
        self.reading = trio.Event()

    async def stop(self, project: str) -> None:
        await self.reading.wait()
        self.log.append(f"stopped {project}")


class Observed(FakeContainers):
    def __init__(self, supervisors: EndsOnceRead) -> None:
        super().__init__()
        self.supervisors = supervisors

    async def status(self, record: ContainerRecord) -> Any:
        self.supervisors.reading.set()
        return await super().status(record)

    async def stop(self, record: ContainerRecord, timeout: float | None = None) -> None:
        assert "stopped p" in self.supervisors.log  # nothing stops before it has ended
        await super().stop(record, timeout)


async def test_what_exists_is_read_while_the_supervisor_ends(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "root", tmp_path / "run")
    state.give_birth(layout, WEB.id, "container.json", WEB.to_json())
    supervisors = EndsOnceRead()
    containers = Observed(supervisors)
    containers.state[WEB.id] = RUNNING
    ctx = Context(layout=layout, containers=containers, networks=FakeNetworks(),
                  volumes=LocalVolumes(layout), images=FakeImages(),
                  supervisors=cast(Any, supervisors), output=RecordingOutput(), environ={},
                  runtime="/usr/bin/runc")
    with trio.fail_after(10):  # one after the other, the end would wait for the read
        assert await down(ctx, "p", timeout=0) == 0
    assert "stop p-web-1" in containers.log and "remove p-web-1" in containers.log


def _context(layout: Layout, containers: FakeContainers, networks: FakeNetworks,
             supervisors: FakeSupervisors) -> Context:
    return Context(layout=layout, containers=containers, networks=networks,
                   volumes=LocalVolumes(layout), images=FakeImages(),
                   supervisors=cast(Any, supervisors), output=RecordingOutput(), environ={},
                   runtime="/usr/bin/runc")


DEFAULT = NetworkRecord(key="default", name="p_default", project="p", bridge="pc-p",
                        subnet="10.89.0.0/24", gateway="10.89.0.1", netns="net:[7]")


async def test_a_project_of_another_live_network_namespace_is_left_as_it_is(
        tmp_path: Path) -> None:
    """Its bridge is not found from here: forgotten, it would live on where nobody
    looks.  Nothing is stopped or removed, its supervisor included."""
    layout = Layout(tmp_path / "root", tmp_path / "run")
    state.give_birth(layout, WEB.id, "container.json", WEB.to_json())
    state.save_network(layout, DEFAULT)
    containers, networks, supervisors = FakeContainers(), FakeNetworks(), FakeSupervisors()
    containers.state[WEB.id] = RUNNING
    networks.alive["net:[7]"] = "/run/netns/theirs"
    with pytest.raises(UsageError, match=r"network p_default .* /run/netns/theirs"):
        await down(_context(layout, containers, networks, supervisors), "p", timeout=0)
    assert (containers.log, networks.log, supervisors.log) == ([], [], [])
    assert state.project_networks(layout, "p") == {"default": DEFAULT}


async def test_a_project_whose_network_namespace_has_ended_goes_as_before(
        tmp_path: Path) -> None:
    """Its bridge ended with its namespace: the record goes."""
    layout = Layout(tmp_path / "root", tmp_path / "run")
    state.give_birth(layout, WEB.id, "container.json", WEB.to_json())
    state.save_network(layout, DEFAULT)
    containers, networks, supervisors = FakeContainers(), FakeNetworks(), FakeSupervisors()
    containers.state[WEB.id] = RUNNING
    assert await down(_context(layout, containers, networks, supervisors), "p",
                      timeout=0) == 0
    assert "remove p-web-1" in containers.log
    assert state.project_networks(layout, "p") == {}
