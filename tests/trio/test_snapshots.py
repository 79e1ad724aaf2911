"""``commit``'s engine over the fakes: the container is paused for the commit and
resumed after it, even when the commit fails, and one paused by the user stays
paused."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import pytest

from common.errors import ImageError
from common.images import CommitRequest
from common.paths import Layout
from common.records import ContainerRecord
from common.status import RUNNING
from compose.engine import snapshots
from compose.engine.context import Context
from tests.fakes import FakeContainers, FakeImages, RecordingOutput

WEB = ContainerRecord(id="c1", name="p-web-1", project="p", service="web", number=1,
                      image="busybox", image_id="sha256:b", config_hash="h", created=0.0,
                      command=("sleep", "300"), hostname="web", runtime="/usr/bin/runc")


class FailingImages(FakeImages):
    async def commit(self, request: CommitRequest) -> str:
        raise ImageError("cannot commit: no space left")


def context(tmp_path: Path, images: FakeImages) -> tuple[Context, FakeContainers]:
    containers = FakeContainers()
    containers.state[WEB.id] = RUNNING
    ctx = Context(layout=Layout(tmp_path / "root", tmp_path / "run"),
                  containers=containers, networks=cast(Any, None), volumes=cast(Any, None),
                  images=images, supervisors=cast(Any, None), output=RecordingOutput(),
                  environ={}, runtime="/usr/bin/runc")
    return ctx, containers


async def test_commit_pauses_and_resumes(tmp_path: Path) -> None:
    images = FakeImages()
    ctx, containers = context(tmp_path, images)
    image_id = await snapshots.commit(ctx, WEB, "snap:1", changes=["CMD true"])
    assert containers.log == ["pause p-web-1", "unpause p-web-1"]
    assert images.log == ["commit /fake/c1/upper snap:1"] and image_id
    await snapshots.commit(ctx, WEB, None, pause=False)
    assert containers.log == ["pause p-web-1", "unpause p-web-1"]


async def test_a_failed_commit_resumes_and_a_paused_container_stays_paused(
        tmp_path: Path) -> None:
    ctx, containers = context(tmp_path, FailingImages())
    with pytest.raises(ImageError):
        await snapshots.commit(ctx, WEB, "snap:1")
    assert containers.log == ["pause p-web-1", "unpause p-web-1"]
    containers.state[WEB.id] = "paused"
    await snapshots.commit(replace(ctx, images=FakeImages()), WEB, None)
    assert containers.log == ["pause p-web-1", "unpause p-web-1"]
    assert containers.state[WEB.id] == "paused"
