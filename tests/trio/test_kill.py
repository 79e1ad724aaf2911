"""``kill``'s engine over the fakes: SIGKILL returns once the container has exited
(Docker's kill waits for it; a ``ps`` or ``runc state`` right after must not
find it running), any other signal as soon as it is sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import trio
import trio.testing

from common import state
from common.paths import Layout
from common.records import ContainerRecord
from common.status import RUNNING
from compose.cli.commands.kill import kill
from compose.engine.context import Context
from tests.fakes import FakeContainers, FakeImages, RecordingOutput

WEB = ContainerRecord(id="c1", name="p-web-1", project="p", service="web", number=1,
                      image="busybox", image_id="sha256:b", config_hash="h", created=0.0,
                      command=("sleep", "300"), hostname="web", runtime="/usr/bin/runc")


class SlowToDie(FakeContainers):
    """A signal is sent at once; the process exits a second later."""

    def __init__(self, nursery: trio.Nursery) -> None:
        super().__init__()
        self.nursery = nursery

    async def kill(self, record: ContainerRecord, signal: str | int = "KILL") -> bool:
        self.log.append(f"kill {record.name} {signal}")

        async def die() -> None:
            await trio.sleep(1)
            await self.stop(record)

        self.nursery.start_soon(die)
        return True


def context(tmp_path: Path, containers: FakeContainers) -> Context:
    layout = Layout(tmp_path / "root", tmp_path / "run")
    state.give_birth(layout, WEB.id, "container.json", WEB.to_json())
    containers.state[WEB.id] = RUNNING
    return Context(layout=layout, containers=containers, networks=cast(Any, None),
                   volumes=cast(Any, None), images=FakeImages(),
                   supervisors=cast(Any, None), output=RecordingOutput(), environ={},
                   runtime="/usr/bin/runc")


async def test_sigkill_returns_once_the_container_has_exited(
        tmp_path: Path, autojump_clock: trio.testing.MockClock) -> None:
    async with trio.open_nursery() as nursery:
        containers = SlowToDie(nursery)
        ctx = context(tmp_path, containers)
        begun = trio.current_time()
        assert await kill(ctx, "p", [], "SIGKILL") == 0
        assert containers.state[WEB.id] != RUNNING
        assert trio.current_time() - begun >= 1


async def test_another_signal_returns_once_sent(
        tmp_path: Path, autojump_clock: trio.testing.MockClock) -> None:
    async with trio.open_nursery() as nursery:
        containers = SlowToDie(nursery)
        ctx = context(tmp_path, containers)
        assert await kill(ctx, "p", [], "SIGTERM") == 0
        assert containers.state[WEB.id] == RUNNING
        assert containers.log == ["kill p-web-1 SIGTERM"]
