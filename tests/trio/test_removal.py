"""A container's removal: its links go while the runtime deletes it and its files,
and its record only once both are done (a removal cut short is then found and
finished by the next)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import pytest
import trio

from common.errors import NetworkFailure
from common.records import ContainerRecord
from compose.engine.containersteps import remove_container
from tests.fakes import FakeContainers, FakeNetworks

WEB = ContainerRecord(id="c1", name="p-web-1", project="p", service="web", number=1,
                      image="busybox", image_id="sha256:b", config_hash="h", created=0.0,
                      command=("sleep", "300"), hostname="web", runtime="/usr/bin/runc")


class Steps(FakeContainers):
    """The runtime's part of a removal, its record forgotten last."""

    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.steps = log
        self.deleting = trio.Event()

    async def remove(self, record: ContainerRecord, *,
                     forget_after: Callable[[], Awaitable[object]] | None = None) -> None:
        self.steps.append("runtime deletes it")
        self.deleting.set()
        if forget_after is not None:
            await forget_after()
        self.steps.append("record forgotten")


class SlowLinks(FakeNetworks):
    """Deleting links waits for the kernel (here: until the runtime is at work)."""

    def __init__(self, runtime: Steps, fail: bool = False) -> None:
        super().__init__()
        self.steps = runtime.steps
        self.runtime = runtime
        self.fail = fail

    async def disconnect(self, record: ContainerRecord, bridges: Sequence[str] = (), *,
                         links_with_namespace: bool = False) -> None:
        self.steps.append("links deleting")
        await self.runtime.deleting.wait()
        if self.fail:
            raise NetworkFailure("cannot delete pv1")
        self.steps.append("links gone")


async def test_links_go_while_the_runtime_deletes_and_the_record_goes_last() -> None:
    log: list[str] = []
    runtime = Steps(log)
    with trio.fail_after(5):  # one after the other, the links would wait forever
        await remove_container(runtime, SlowLinks(runtime), WEB)
    assert log.index("links gone") < log.index("record forgotten")
    assert log[-1] == "record forgotten"


async def test_links_that_fail_to_go_keep_the_record() -> None:
    log: list[str] = []
    runtime = Steps(log)
    with pytest.raises(NetworkFailure), trio.fail_after(5):
        await remove_container(runtime, SlowLinks(runtime, fail=True), WEB)
    assert "record forgotten" not in log
