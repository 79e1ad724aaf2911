"""Lifecycle hooks in the executor, over in-memory backends: ``post_start`` right
after each start and before its dependents start, ``pre_stop`` before each stop
signal, in order; the first failing ``post_start`` fails the run with its exit
status, a failing ``pre_stop`` is warned about and the stop goes on."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import HookFailed, RuntimeFailure
from common.paths import Layout
from common.records import ContainerRecord
from compose.engine.executor import Executor
from compose.engine.observe import observe
from compose.planning.plan import plan_down
from compose.spec.model import Hook
from runtime.oci.hookrun import run_hook_process
from runtime.oci.logs import LogReader
from tests.fakes import FakeNetworks
from tests.trio.test_executor import RecordingContainers, _plan, _setup

HOOKED = """
services:
  db:
    image: busybox
    post_start: [{command: [db-ready]}]
    pre_stop: [{command: [db-flush]}, {command: [db-bye]}]
  web:
    image: busybox
    depends_on: [db]
    post_start: [{command: [warm, cache]}, {command: [announce]}]
"""


def _hooked(tmp_path: Path, **kwargs: object,
            ) -> tuple[Layout, RecordingContainers, FakeNetworks]:
    layout, containers, networks = _setup(tmp_path, **kwargs)
    (tmp_path / "proj" / "compose.yaml").write_text(HOOKED)
    return layout, containers, networks


def _order(containers: RecordingContainers, *lines: str) -> None:
    positions = [containers.log.index(line) for line in lines]
    assert positions == sorted(positions), containers.log


async def test_post_start_after_each_start_and_pre_stop_before_each_stop(
        tmp_path: Path, autojump_clock: object) -> None:
    layout, containers, networks = _hooked(tmp_path)
    observed = await observe(layout, "proj", containers, networks)
    await Executor(layout, containers, networks, lambda e: None).run(
        _plan(layout, observed, tmp_path))
    _order(containers, "start proj-db-1", "hook proj-db-1 db-ready", "start proj-web-1",
           "hook proj-web-1 warm cache", "hook proj-web-1 announce")

    containers.log.clear()
    warnings: list[str] = []
    observed = await observe(layout, "proj", containers, networks)
    await Executor(layout, containers, networks, lambda e: None, warn=warnings.append).run(
        plan_down(observed))
    _order(containers, "stop proj-web-1", "hook proj-db-1 db-flush", "hook proj-db-1 db-bye",
           "stop proj-db-1")
    assert warnings == []


async def test_a_failing_post_start_fails_with_its_exit_status(
        tmp_path: Path, autojump_clock: object) -> None:
    layout, containers, networks = _hooked(tmp_path)
    containers.hook_codes[("warm", "cache")] = 4
    observed = await observe(layout, "proj", containers, networks)
    with pytest.raises(HookFailed) as failed:
        await Executor(layout, containers, networks, lambda e: None).run(
            _plan(layout, observed, tmp_path))
    assert str(failed.value) == "service web: post_start hook 1 (warm cache) exited with status 4"
    assert failed.value.exit_status == 4
    assert "hook proj-web-1 announce" not in containers.log  # the first failure ends them


async def test_a_failing_pre_stop_is_warned_about_and_the_stop_goes_on(
        tmp_path: Path, autojump_clock: object) -> None:
    layout, containers, networks = _hooked(tmp_path)
    observed = await observe(layout, "proj", containers, networks)
    await Executor(layout, containers, networks, lambda e: None).run(
        _plan(layout, observed, tmp_path))
    containers.hook_codes[("db-flush",)] = 2
    warnings: list[str] = []
    observed = await observe(layout, "proj", containers, networks)
    await Executor(layout, containers, networks, lambda e: None, warn=warnings.append).run(
        plan_down(observed))
    assert warnings == ["service db: pre_stop hook 1 (db-flush) exited with status 2; "
                        "stopping anyway"]
    assert "hook proj-db-1 db-bye" not in containers.log
    assert "stop proj-db-1" in containers.log


async def test_a_hook_that_cannot_run_is_named(tmp_path: Path, autojump_clock: object) -> None:
    layout, containers, networks = _hooked(tmp_path)

    async def refuse(record: ContainerRecord, hook: Hook) -> int:
        raise RuntimeFailure(f"container {record.name}: no such user: nobody")

    containers.run_hook = refuse  # type: ignore[method-assign]
    observed = await observe(layout, "proj", containers, networks)
    with pytest.raises(RuntimeFailure) as failed:
        await Executor(layout, containers, networks, lambda e: None).run(
            _plan(layout, observed, tmp_path))
    assert str(failed.value) == ("service db: post_start hook 1 (db-ready) could not run: "
                                 "container proj-db-1: no such user: nobody")


def test_an_exit_status_out_of_range_fails_with_one() -> None:
    assert HookFailed("x", 300).exit_status == 1 and HookFailed("x", -1).exit_status == 1


async def test_a_hooks_output_goes_to_the_log_line_by_line(tmp_path: Path) -> None:
    """runtime/oci/hookrun.py on a plain process: both streams, a last line without
    its newline, and the exit status."""
    log = tmp_path / "ctr.log"
    code = await run_hook_process(
        ["sh", "-c", "echo one; echo two >&2; printf 'three\\r\\nfour'; exit 7"], log)
    assert code == 7
    lines = LogReader(log).read()
    assert sorted((line.stream, line.text) for line in lines) == [
        ("stderr", "two"), ("stdout", "four"), ("stdout", "one"), ("stdout", "three")]
    assert await run_hook_process(["sh", "-c", "kill -9 $$"], log) == 137
