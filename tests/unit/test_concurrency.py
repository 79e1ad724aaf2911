"""common.concurrency.Coalesced: every caller is served by a run that began after
its call, and a burst of calls shares runs."""

from __future__ import annotations

from collections import defaultdict

import pytest
import trio
import trio.testing

from common.concurrency import Coalesced


class Work:
    """Runs that record when they began, each waiting until it is let go (or, with
    ``gate`` set, all of them)."""

    def __init__(self) -> None:
        self.began: list[int] = []
        self.gate = trio.Event()
        self.let_go: dict[int, trio.Event] = defaultdict(trio.Event)
        self.failing: set[int] = set()

    async def __call__(self) -> None:
        run = len(self.began) + 1
        self.began.append(run)
        if self.gate.is_set():
            await trio.lowlevel.checkpoint()
        else:
            await self.let_go[run].wait()
        if run in self.failing:
            raise RuntimeError("run failed")

    def release_all(self) -> None:
        self.gate.set()
        for event in self.let_go.values():
            event.set()


async def test_a_lone_call_runs_once() -> None:
    work = Work()
    work.gate.set()
    rebuild = Coalesced(work)
    await rebuild()
    await rebuild()
    assert work.began == [1, 2]  # sequential calls: each its own run


async def test_calls_during_a_run_share_the_next_one() -> None:
    work = Work()
    rebuild = Coalesced(work)
    returned: list[int] = []

    async def call(tag: int) -> None:
        await rebuild()
        returned.append(tag)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(call, 0)
        await trio.testing.wait_all_tasks_blocked()
        assert work.began == [1]
        for tag in range(1, 20):
            nursery.start_soon(call, tag)
        await trio.testing.wait_all_tasks_blocked()
        assert work.began == [1] and returned == []  # the 19 wait: run 1 began before them
        work.release_all()
    assert work.began == [1, 2]  # twenty calls, two runs
    assert sorted(returned) == list(range(20))


async def test_a_caller_never_returns_on_a_run_that_began_before_it() -> None:
    work = Work()
    rebuild = Coalesced(work)
    done = trio.Event()

    async def late() -> None:
        await rebuild()
        done.set()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(rebuild)
        await trio.testing.wait_all_tasks_blocked()
        nursery.start_soon(late)
        await trio.testing.wait_all_tasks_blocked()
        work.let_go[1].set()  # run 1, under way at the late call, ends
        await trio.testing.wait_all_tasks_blocked()
        assert work.began == [1, 2] and not done.is_set()
        work.let_go[2].set()
    assert done.is_set()


async def test_a_failed_run_raises_in_its_runner_and_the_others_run_again() -> None:
    work = Work()
    rebuild = Coalesced(work)
    outcomes: list[str] = []

    async def call() -> None:
        try:
            await rebuild()
        except RuntimeError:
            outcomes.append("raised")
        else:
            outcomes.append("served")

    async with trio.open_nursery() as nursery:
        nursery.start_soon(call)
        await trio.testing.wait_all_tasks_blocked()
        nursery.start_soon(call)
        nursery.start_soon(call)
        await trio.testing.wait_all_tasks_blocked()
        work.failing.add(1)
        work.release_all()
    assert sorted(outcomes) == ["raised", "served", "served"]
    assert work.began == [1, 2]  # the two waiting callers shared run 2


async def test_a_cancelled_runner_leaves_the_others_to_run() -> None:
    work = Work()
    rebuild = Coalesced(work)
    served = trio.Event()

    async def waiter() -> None:
        await rebuild()
        served.set()

    runner_scope = trio.CancelScope()

    async def runner() -> None:
        with runner_scope:
            await rebuild()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(runner)
        await trio.testing.wait_all_tasks_blocked()
        nursery.start_soon(waiter)
        await trio.testing.wait_all_tasks_blocked()
        runner_scope.cancel()
        await trio.testing.wait_all_tasks_blocked()
        assert work.began == [1, 2]  # the waiter runs it itself
        work.let_go[2].set()
    assert served.is_set()


@pytest.mark.parametrize("callers", [1, 3, 50])
async def test_every_caller_returns(callers: int) -> None:
    work = Work()
    work.gate.set()
    rebuild = Coalesced(work)
    async with trio.open_nursery() as nursery:
        for _ in range(callers):
            nursery.start_soon(rebuild)
    assert 1 <= len(work.began) <= min(callers, 2)
