"""``runcstate.wait_started``: a container runc has created but not started is
waited past (inotify on runc's state directory), not asked for again and again."""

from __future__ import annotations

import shutil
from pathlib import Path

import trio

from runtime.oci.runcstate import wait_made, wait_started
from runtime.oci.starting import _created_or_ended


def created(root: Path) -> Path:
    directory = root / "c1"
    directory.mkdir(parents=True)
    (directory / "state.json").write_text("{}")
    (directory / "exec.fifo").write_text("")
    return directory


async def test_it_returns_once_runc_start_removes_the_fifo(tmp_path: Path) -> None:
    directory = created(tmp_path)
    returned: list[float] = []

    async def waiter() -> None:
        await wait_started(tmp_path, "c1")
        returned.append(trio.current_time())

    async with trio.open_nursery() as nursery:
        nursery.start_soon(waiter)
        await trio.sleep(0.2)
        assert returned == []  # still created: it waits
        (directory / "state.json").write_text("{}")  # other changes do not end it
        await trio.sleep(0.05)
        assert returned == []
        started = trio.current_time()
        (directory / "exec.fifo").unlink()
    assert returned and returned[0] - started < 1


async def test_it_returns_when_the_container_goes_or_was_never_created(tmp_path: Path) -> None:
    directory = created(tmp_path)
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(wait_started, tmp_path, "c1")
            await trio.sleep(0.05)
            shutil.rmtree(directory)  # runc delete
        await wait_started(tmp_path, "none")
        (tmp_path / "c2").mkdir()
        await wait_started(tmp_path, "c2")  # started already: no fifo


async def test_wait_made_waits_for_runc_to_make_the_directory_then_its_state(
        tmp_path: Path) -> None:
    """Asked while conmon runs but before runc create has made anything (a restart,
    an ``up``), it waits: it used to return at once, and the status read then
    (exited, no code yet) was polled through the create."""
    root = tmp_path / "runc"
    returned: list[float] = []

    async def waiter() -> None:
        await wait_made(root, "c1")
        returned.append(trio.current_time())

    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(waiter)
            await trio.sleep(0.1)
            assert returned == [] and root.is_dir()  # nothing made yet: it waits
            (root / "c1").mkdir()
            (root / "c1" / "exec.fifo").write_text("")
            await trio.sleep(0.1)
            assert returned == []  # made, not yet created
            (root / "c1" / "state.json").write_text("{}")
    assert returned


async def test_created_or_ended_returns_when_conmon_ends_first(tmp_path: Path) -> None:
    """A create that fails makes nothing runc keeps: conmon's end ends the wait."""
    process = await trio.lowlevel.open_process(["sleep", "0.2"])
    try:
        with trio.fail_after(5):
            await _created_or_ended(tmp_path / "runc", "c1", process.pid)
    finally:
        await process.wait()
