"""runtime/oci/runcstate.py on hand-made state directories: created, stopped, a
reused pid, /proc/<pid>/stat with spaces in the command name."""

from __future__ import annotations

import json
import os
from pathlib import Path

from runtime.oci.runcstate import _Essentials, _skimmed, parse_stat, read_state


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


def _as_runc_writes(config: dict[str, object]) -> bytes:
    """A state file in runc's field order (Go's encoder keeps a struct's order)."""
    state = {"id": "c1", "init_process_pid": 4242, "init_process_start": 777,
             "created": "2026-12-07T14:32:54.311384212Z", "config": config,
             "rootless": False,
             "cgroup_paths": {"": "/sys/fs/cgroup/unified/p/c1", "freezer": "/f/p/c1"},
             "namespace_paths": {"NEWNET": "/proc/4242/ns/net"},
             "external_descriptors": ["/dev/null"], "intel_rdt_path": ""}
    return json.dumps(state, separators=(",", ":")).encode()


def test_a_state_is_skimmed_to_what_decoding_it_whole_gives() -> None:
    tricky = {"labels": ['cgroup_paths={"a":1}', ',"cgroup_paths":{}', ',"created":'],
              "env": ['X=,"namespace_paths":{"NEWNET":"/x"}'], "cgroup_paths": "in config"}
    for config in ({}, {"rootfs": "/r", "mounts": [{"destination": "/proc"}]}, tricky):
        raw = _as_runc_writes(config)
        whole = json.loads(raw)
        skimmed = _skimmed(raw)
        assert skimmed == _Essentials(whole["init_process_pid"], whole["init_process_start"],
                                      whole["cgroup_paths"])


def test_a_state_laid_out_otherwise_is_not_skimmed() -> None:
    assert _skimmed(b'{"id":"c1","init_process_pid":1,"cgroup_paths":{}}') is None
    assert _skimmed(b'{"init_process_pid":"x","created":"t","cgroup_paths":{},'
                    b'"namespace_paths":{}}') is None
