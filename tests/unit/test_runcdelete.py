"""runtime/oci/runcdelete.py: what a stopped container's deletion removes, and
which containers it leaves to runc (a state directory as runc leaves it, cgroups
played by plain directories)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from runtime.oci import runcdelete
from runtime.oci.runcdelete import delete_stopped, remove_cgroups
from runtime.oci.runcstate import parse_stat

DEAD_PID = 2**22 + 1  # above any pid_max


def _state(root: Path, *, pid: int = DEAD_PID, namespaces: Any = None, hooks: Any = None,
           rdt: str = "", cgroups: dict[str, str] | None = None) -> Path:
    directory = root / "c1"
    directory.mkdir(parents=True)
    start = 0
    if pid != DEAD_PID:
        fields = parse_stat(Path(f"/proc/{pid}/stat").read_text())
        assert fields is not None
        start = fields[1]
    config = {"namespaces": namespaces if namespaces is not None else
              [{"type": "NEWPID", "path": ""}, {"type": "NEWNET", "path": "/run/x"}],
              "Hooks": hooks}
    (directory / "state.json").write_text(json.dumps(
        {"init_process_pid": pid, "init_process_start": start, "config": config,
         "cgroup_paths": cgroups or {}, "intel_rdt_path": rdt}))
    return directory


def test_a_stopped_container_loses_its_cgroups_and_directory(tmp_path: Path) -> None:
    memory = tmp_path / "cg" / "memory" / "pycompose" / "c1"
    (memory / "child" / "grandchild").mkdir(parents=True)
    pids = tmp_path / "cg" / "pids" / "pycompose" / "c1"
    pids.mkdir(parents=True)
    directory = _state(tmp_path / "runc", cgroups={
        "memory": str(memory), "pids": str(pids), "cpu": str(tmp_path / "cg" / "gone")})
    assert delete_stopped(tmp_path / "runc", "c1")
    assert not directory.exists() and not memory.exists() and not pids.exists()
    assert (tmp_path / "cg" / "memory" / "pycompose").is_dir()  # only its own


@pytest.mark.parametrize("state", [
    {"pid": os.getpid()},  # running
    {"namespaces": [{"type": "NEWPID", "path": "/proc/1/ns/pid"}]},  # shares a pid namespace
    {"namespaces": []},  # the host's pid namespace
    {"hooks": {"poststop": [{"path": "/bin/true"}]}},
    {"rdt": "/sys/fs/resctrl/c1"},
])
def test_anything_else_is_left_to_runc(tmp_path: Path, state: dict[str, Any]) -> None:
    cgroup = tmp_path / "cg" / "c1"
    cgroup.mkdir(parents=True)
    directory = _state(tmp_path / "runc", cgroups={"pids": str(cgroup)}, **state)
    assert not delete_stopped(tmp_path / "runc", "c1")
    assert directory.is_dir() and cgroup.is_dir()


def test_no_state_file_is_left_to_runc(tmp_path: Path) -> None:
    assert not delete_stopped(tmp_path, "c1")
    (tmp_path / "c1").mkdir()
    (tmp_path / "c1" / "state.json").write_text("{torn")
    assert not delete_stopped(tmp_path, "c1")


def test_a_cgroup_that_stays_busy_is_passed_over_five_times(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As runc: it gives up on the cgroup after its passes (and deletes the rest)."""
    passes = []
    monkeypatch.setattr(runcdelete.time, "sleep", passes.append)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "tasks").write_text("1\n")  # a directory rmdir cannot remove
    free = tmp_path / "free"
    free.mkdir()
    assert not remove_cgroups({"pids": str(busy), "cpu": str(free)})
    assert passes == [0.01, 0.02, 0.04, 0.08] and busy.is_dir() and not free.exists()
