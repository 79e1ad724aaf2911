"""Link deletions batched while one batch is in the kernel (network/deletions.py)."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from common.errors import NetworkFailure
from network.deletions import LinkDeletions


class Kernel:
    """Takes a while per batch, as the kernel's RCU waits do; notes each batch."""

    def __init__(self, fail: bool = False) -> None:
        self.batches: list[list[str]] = []
        self.fail = fail

    async def delete(self, names: list[str]) -> None:
        self.batches.append(names)
        await trio.sleep(0.02)
        if self.fail:
            raise NetworkFailure("cannot delete " + ", ".join(names))


async def test_callers_arriving_during_a_batch_share_the_next_one(
        autojump_clock: trio.testing.MockClock) -> None:
    kernel = Kernel()
    deletions = LinkDeletions(kernel.delete)
    done: list[str] = []

    async def remove(name: str) -> None:
        await deletions.delete([name])
        done.append(name)

    async with trio.open_nursery() as nursery:
        for index in range(6):
            nursery.start_soon(remove, f"v{index}")
            await trio.sleep(0.001)  # in order, within the first batch's 20 ms
    assert kernel.batches == [["v0"], ["v1", "v2", "v3", "v4", "v5"]]
    assert sorted(done) == [f"v{index}" for index in range(6)]
    await deletions.delete([])  # nothing: no batch
    assert len(kernel.batches) == 2


async def test_every_caller_of_a_failed_batch_gets_its_error(
        autojump_clock: trio.testing.MockClock) -> None:
    kernel = Kernel(fail=True)
    deletions = LinkDeletions(kernel.delete)
    errors: list[str] = []

    async def remove(name: str) -> None:
        with pytest.raises(NetworkFailure) as raised:
            await deletions.delete([name])
        errors.append(str(raised.value))

    async with trio.open_nursery() as nursery:
        for index in range(3):
            nursery.start_soon(remove, f"v{index}")
            await trio.sleep(0.001)
    assert sorted(errors) == ["cannot delete v0", "cannot delete v1, v2",
                              "cannot delete v1, v2"]
