"""runtime/oci/runcstate.py on hand-made state directories: created, stopped, a
reused pid, /proc/<pid>/stat with spaces in the command name."""

from __future__ import annotations

import json
import os
from pathlib import Path

from runtime.oci.runcstate import parse_stat, read_state


def _own_start() -> int:
    fields = parse_stat(Path("/proc/self/stat").read_text())
    assert fields is not None
    return fields[1]


def write(root: Path, pid: int, start: int, *, fifo: bool) -> None:
    directory = root / "c1"
    directory.mkdir(parents=True)
    (directory / "state.json").write_text(json.dumps(
        {"id": "c1", "init_process_pid": pid, "init_process_start": start,
         "cgroup_paths": {}}))
    if fifo:
        (directory / "exec.fifo").write_text("")


def test_a_live_init_waiting_on_its_fifo_is_created(tmp_path: Path) -> None:
    write(tmp_path, os.getpid(), _own_start(), fifo=True)
    assert read_state(tmp_path, "c1") == {"id": "c1", "pid": os.getpid(), "status": "created"}


def test_a_live_init_without_the_fifo_is_running(tmp_path: Path) -> None:
    write(tmp_path, os.getpid(), _own_start(), fifo=False)
    assert read_state(tmp_path, "c1") == {"id": "c1", "pid": os.getpid(), "status": "running"}


def test_a_pid_now_used_by_another_process_is_stopped(tmp_path: Path) -> None:
    write(tmp_path, os.getpid(), _own_start() + 1, fifo=False)
    assert read_state(tmp_path, "c1") == {"id": "c1", "pid": 0, "status": "stopped"}


def test_unknown_containers_and_torn_files_are_none(tmp_path: Path) -> None:
    assert read_state(tmp_path, "nope") is None
    (tmp_path / "c2").mkdir()
    (tmp_path / "c2" / "state.json").write_text("{not json")
    assert read_state(tmp_path, "c2") is None


def test_stat_with_a_command_name_holding_spaces_and_parentheses() -> None:
    line = "42 (my (odd) prog) S 1 42 42 0 -1 4194560 " + " ".join(["0"] * 12) + " 98765 0 0"
    assert parse_stat(line) == ("S", 98765)


def test_a_state_file_replaced_by_runc_is_read_again(tmp_path: Path) -> None:
    """Decoded files are kept by inode, change time and size: runc renames a new
    file over the old at each change, and the new one is what counts."""
    write(tmp_path, os.getpid(), _own_start(), fifo=False)
    assert read_state(tmp_path, "c1")["status"] == "running"  # type: ignore[index]
    assert read_state(tmp_path, "c1")["status"] == "running"  # type: ignore[index]
    state = tmp_path / "c1" / "state.json"
    replacement = state.with_name("state.json.new")
    replacement.write_text(json.dumps({"id": "c1", "init_process_pid": os.getpid(),
                                       "init_process_start": _own_start() + 1}))
    replacement.rename(state)
    assert read_state(tmp_path, "c1") == {"id": "c1", "pid": 0, "status": "stopped"}
