"""What ``up`` and ``create`` tell the project's supervisor, over in-memory
backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from common.paths import Layout
from compose.engine.context import Context
from compose.engine.converge import UpOptions, converge
from compose.spec.loader import LoadOptions, load_project
from compose.spec.model import Project
from tests.fakes import FakeImages, FakeNetworks, FakeSupervisors, RecordingOutput
from tests.trio.test_executor import RecordingContainers


def _project(tmp_path: Path, command: str) -> Project:
    (tmp_path / "compose.yaml").write_text(
        f"name: p\nservices:\n  web:\n    image: busybox\n    command: [{command}]\n")
    return load_project(LoadOptions(cwd=str(tmp_path), environ={})).project


async def test_create_tells_the_supervisor_about_the_containers_it_recreated(
        tmp_path: Path) -> None:
    """``create`` (``up --no-start``) asks no supervisor to watch what it made, but
    the containers it recreated are gone: the supervisor is told to rescan, or it
    would hold their DNS sockets, and through them their namespaces.  A ``create``
    that removes nothing tells it nothing."""
    layout = Layout(tmp_path / "root", tmp_path / "run")
    supervisors = FakeSupervisors()
    ctx = Context(layout=layout, containers=cast(Any, RecordingContainers(layout)),
                  networks=cast(Any, FakeNetworks()), volumes=cast(Any, None),
                  images=FakeImages(local={"busybox": {}}),
                  supervisors=cast(Any, supervisors), output=RecordingOutput(),
                  environ={}, runtime="/usr/sbin/runc")
    await converge(ctx, _project(tmp_path, "a"), UpOptions(start=False))
    assert supervisors.log == []  # made, nothing removed
    await converge(ctx, _project(tmp_path, "a"), UpOptions(start=False))
    assert supervisors.log == []  # up to date
    await converge(ctx, _project(tmp_path, "b"), UpOptions(start=False))  # recreated
    assert supervisors.log == ["rescan p"]
