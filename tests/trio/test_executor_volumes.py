"""The executor with the real volume store (files only, no root) and in-memory
containers and networks: up makes volumes once, down keeps them, down -v removes
exactly the project's."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from common.paths import Layout
from common.records import VolumeRecord
from compose.engine.executor import Executor
from compose.engine.observe import observe
from compose.planning.ops import Plan
from compose.planning.plan import plan_down, plan_up
from compose.spec.loader import LoadOptions, load_project
from tests.fakes import FakeNetworks
from tests.trio.test_executor import RecordingContainers
from volumes import store
from volumes.driver import LocalVolumes

COMPOSE = """
services:
  db:
    image: busybox
    volumes: [data:/data, /scratch, shared:/shared]
volumes:
  data: {}
  shared: {external: true, name: everyone}
"""


def _plan(layout: Layout, observed: object, directory: Path) -> Plan:
    project = load_project(LoadOptions(cwd=str(directory), environ={})).project
    counter = itertools.count(1)
    return plan_up(project, dict.fromkeys(project.services, "sha256:" + "a" * 64),
                   observed,  # type: ignore[arg-type]
                   root_tag="t", new_id=lambda: f"{next(counter):064x}", now=0.0,
                   runtime="/usr/sbin/runc")


async def test_volumes_up_down_and_down_v(tmp_path: Path, autojump_clock: object) -> None:
    directory = tmp_path / "proj"
    directory.mkdir()
    (directory / "compose.yaml").write_text(COMPOSE)
    layout = Layout(tmp_path / "root", tmp_path / "run")
    containers, networks, volumes = RecordingContainers(layout), FakeNetworks(), \
        LocalVolumes(layout)
    store.create(layout, VolumeRecord("everyone"))
    (store.data_dir(layout, "everyone") / "keep").write_text("x")

    observed = await observe(layout, "proj", containers, networks, volumes)
    await Executor(layout, containers, networks, lambda e: None, volumes=volumes).run(
        _plan(layout, observed, directory))
    assert sorted(store.list_volumes(layout)) == [f"{2:064x}", "everyone", "proj_data"]
    assert store.data_dir(layout, "proj_data").is_dir()

    observed = await observe(layout, "proj", containers, networks, volumes)
    assert not _plan(layout, observed, directory).ops
    await Executor(layout, containers, networks, lambda e: None, volumes=volumes).run(
        plan_down(observed))
    assert len(store.list_volumes(layout)) == 3  # down keeps every volume

    await Executor(layout, containers, networks, lambda e: None, volumes=volumes).run(
        _plan(layout, await observe(layout, "proj", containers, networks, volumes), directory))
    observed = await observe(layout, "proj", containers, networks, volumes)
    await Executor(layout, containers, networks, lambda e: None, volumes=volumes).run(
        plan_down(observed, remove_volumes=True))
    assert sorted(store.list_volumes(layout)) == ["everyone"]
    assert sorted(p.name for p in layout.volumes.iterdir()) == ["everyone"]
    assert (store.data_dir(layout, "everyone") / "keep").read_text() == "x"


async def test_a_plan_with_volumes_needs_a_backend(tmp_path: Path,
                                                   autojump_clock: object) -> None:
    directory = tmp_path / "proj"
    directory.mkdir()
    (directory / "compose.yaml").write_text(COMPOSE.replace(", /scratch", ""))
    layout = Layout(tmp_path / "root", tmp_path / "run")
    store.create(layout, VolumeRecord("everyone"))
    containers, networks = RecordingContainers(layout), FakeNetworks()
    observed = await observe(layout, "proj", containers, networks, LocalVolumes(layout))
    with pytest.raises(TypeError, match="needs a volume backend"):  # volumes come first
        await Executor(layout, containers, networks, lambda e: None).run(
            _plan(layout, observed, directory))
