"""``exec -T``'s short way: which container it targets and when it steps aside
(runc's state files here are written by the test; the running process is ours)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from common.errors import UsageError
from common.paths import Layout
from common.records import ContainerRecord
from runtime.oci import handover
from runtime.oci.runcstate import parse_stat


def record(number: int, service: str = "web", runtime: str = "/usr/sbin/runc") -> ContainerRecord:
    return ContainerRecord(id=f"{service}{number}".ljust(64, "0"), name=f"p-{service}-{number}",
                           project="p", service=service, number=number, image="busybox",
                           image_id="sha256:" + "a" * 64, config_hash="h", created=0.0,
                           command=(), hostname="h", runtime=runtime)


def layout_with(tmp_path: Path, *records: ContainerRecord) -> Layout:
    layout = Layout(tmp_path / "root", tmp_path / "run")
    for each in records:
        directory = layout.container_dir(each.id)
        directory.mkdir(parents=True)
        (directory / "container.json").write_text(json.dumps(each.to_json()))
    return layout


def runc_state(layout: Layout, container: ContainerRecord, status: str) -> None:
    """runc's state directory for a running (``running``), created or stopped one."""
    directory = layout.runc_root / container.id
    directory.mkdir(parents=True)
    stat = parse_stat(Path("/proc/self/stat").read_text())
    assert stat is not None
    pid, start = (os.getpid(), stat[1]) if status != "stopped" else (1 << 22, 0)
    (directory / "state.json").write_text(json.dumps(
        {"init_process_pid": pid, "init_process_start": start, "cgroup_paths": {}}))
    if status == "created":
        (directory / "exec.fifo").write_text("")


def test_the_numbered_container_of_the_service_is_the_target(tmp_path: Path) -> None:
    first, second = record(1), record(2)
    layout = layout_with(tmp_path, first, second, record(1, "db"))
    runc_state(layout, second, "running")
    assert handover.running_container(layout, "p", "web", 2) == second


@pytest.mark.parametrize(("status", "index", "message"), [
    ("stopped", 1, "service 'web' is not running"),
    ("created", 1, "service 'web' is not running"),
    (None, 1, "service 'web' is not running"),
    ("running", 3, "service 'web' has no container number 3"),
])
def test_a_container_that_does_not_run_is_refused_as_the_usual_way_refuses_it(
        tmp_path: Path, status: str | None, index: int, message: str) -> None:
    container = record(1)
    layout = layout_with(tmp_path, container)
    if status is not None:
        runc_state(layout, container, status)
    with pytest.raises(UsageError, match=f"^{message}$"):
        handover.running_container(layout, "p", "web", index)


def test_an_exit_recorded_by_conmon_means_not_running(tmp_path: Path) -> None:
    container = record(1)
    layout = layout_with(tmp_path, container)
    runc_state(layout, container, "running")
    layout.exits.mkdir(parents=True)
    (layout.exits / container.id).write_text("0")
    with pytest.raises(UsageError, match="not running"):
        handover.running_container(layout, "p", "web", 1)


def test_a_state_it_cannot_read_is_left_to_the_usual_way(tmp_path: Path) -> None:
    container = record(1)
    layout = layout_with(tmp_path, container)
    (layout.runc_root / container.id).mkdir(parents=True)  # crun's, say: no state.json
    with pytest.raises(handover.NotHere):
        handover.running_container(layout, "p", "web", 1)


def test_only_runc_takes_the_short_way(tmp_path: Path) -> None:
    layout = layout_with(tmp_path, record(1), record(2, runtime="/usr/bin/crun"))
    assert handover._runtime_path(layout, record(1)) == "/usr/sbin/runc"
    with pytest.raises(handover.NotHere):
        handover._runtime_path(layout, record(2, runtime="/usr/bin/crun"))
