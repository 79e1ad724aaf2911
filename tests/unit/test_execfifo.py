"""``runc start`` done without runc, against a process playing runc's init: it
blocks opening ``exec.fifo`` for writing, writes one byte, then execs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from common.errors import RuntimeFailure
from runtime.oci.execfifo import start_created
from runtime.oci.runcstate import parse_stat

INIT = """
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)  # blocks until the start opens the fifo
os.write(fd, b"0")
os.execvp("sleep", ["sleep", "30"])  # the write end closes with the exec
"""
DYING = "import time; time.sleep(0.3)"


def _created(root: Path, script: str) -> subprocess.Popen[bytes]:
    """A container directory as runc leaves it after ``create``, its init running."""
    directory = root / "c1"
    directory.mkdir(parents=True)
    os.mkfifo(directory / "exec.fifo")
    init = subprocess.Popen([sys.executable, "-c", script, str(directory / "exec.fifo")])
    fields = parse_stat(Path(f"/proc/{init.pid}/stat").read_text())
    assert fields is not None
    (directory / "state.json").write_text(json.dumps(
        {"init_process_pid": init.pid, "init_process_start": fields[1], "cgroup_paths": {}}))
    return init


def test_the_init_is_let_go_and_the_container_counts_as_running(tmp_path: Path) -> None:
    init = _created(tmp_path, INIT)
    try:
        assert start_created(tmp_path, "c1", "web")
        assert not (tmp_path / "c1" / "exec.fifo").exists()  # runc's "running"
        assert Path(f"/proc/{init.pid}/cmdline").read_bytes().startswith(b"sleep")
    finally:
        init.kill()
        init.wait()


def test_an_init_that_dies_before_writing_fails_the_start(tmp_path: Path) -> None:
    init = _created(tmp_path, DYING)
    try:
        with pytest.raises(RuntimeFailure, match="cannot start web"):
            start_created(tmp_path, "c1", "web")
    finally:
        init.wait()


def test_without_runc_s_fifo_the_runtime_is_asked(tmp_path: Path) -> None:
    assert not start_created(tmp_path, "c1", "web")
