"""A standby ends while it imports when the command lets it go
(compose/supervisor/dismissal.py), and the command starts or lets go of one by
whether the project's supervisor runs (LocalHost.project_known)."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from common.paths import Layout
from compose.wiring import LocalHost

REPO = Path(__file__).resolve().parents[2]

GUARDED = """
import os, sys, time
from compose.supervisor.dismissal import end_if_dismissed
go = int(sys.argv[1])
with end_if_dismissed(go):
    print("guarded", flush=True)
    time.sleep(float(sys.argv[2]))  # the imports
print("past", flush=True)
print(os.read(go, 100).decode() or "<eof>", flush=True)
"""


def _guarded(seconds: float) -> tuple[subprocess.Popen[str], int]:
    read, write = os.pipe()
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(GUARDED), str(read), str(seconds)],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, pass_fds=(read,),
        stdout=subprocess.PIPE, text=True)
    os.close(read)
    assert process.stdout is not None
    assert process.stdout.readline() == "guarded\n"
    return process, write


def test_a_standby_let_go_while_importing_ends_at_once() -> None:
    process, go = _guarded(30)
    started = time.monotonic()
    os.close(go)
    out, _ = process.communicate(timeout=10)
    assert (process.returncode, out) == (0, "")
    assert time.monotonic() - started < 5  # not the 30 s its imports would take


def test_a_project_handed_while_importing_is_read_after_the_imports() -> None:
    process, go = _guarded(0.3)
    os.write(go, b"project\n")
    os.close(go)
    out, _ = process.communicate(timeout=10)
    assert (process.returncode, out) == (0, "past\nproject\n\n")


def test_after_the_imports_the_reader_tells_what_a_closed_pipe_means() -> None:
    process, go = _guarded(0.1)
    time.sleep(0.5)  # past the guarded block: the process waits on the pipe
    os.close(go)
    out, _ = process.communicate(timeout=10)
    assert (process.returncode, out) == (0, "past\n<eof>\n")


class Recorded(LocalHost):
    def __init__(self) -> None:
        super().__init__()
        self.started = 0

    def start_standby_supervisor(self, environ: object) -> None:
        self.started += 1
        self._standby = object()  # type: ignore[assignment]


@pytest.fixture
def supervised(tmp_path: Path) -> Iterator[dict[str, str]]:
    """An environment whose root has a running supervisor of project ``p`` (the
    lock held, the pid written, as the supervisor does)."""
    environ = {"PYCOMPOSE_ROOT": str(tmp_path / "root")}
    run = Layout.from_environ(environ).run  # under /run: not removed with tmp_path
    directory = run / "supervisors"
    directory.mkdir(parents=True)
    (directory / "p.pid").write_text(f"{os.getpid()}\n")
    fd = os.open(directory / "p.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield environ
    finally:
        os.close(fd)
        shutil.rmtree(run, ignore_errors=True)


def test_a_supervised_project_needs_no_standby(supervised: dict[str, str]) -> None:
    host = Recorded()
    host.project_known(supervised, "p")
    assert host.started == 0
    host.project_known(supervised, "other")  # nothing runs for this one
    assert host.started == 1
    host.project_known(supervised, None)
    assert host.started == 1  # one is enough


def test_a_standby_started_ahead_is_let_go_for_a_supervised_project(
        supervised: dict[str, str]) -> None:
    read, write = os.pipe()
    host = LocalHost()

    class Ahead:
        go = write

        def dismiss(self) -> None:
            os.close(self.go)
            self.go = -1

    host._standby = Ahead()  # type: ignore[assignment]
    host.project_known(supervised, "p")
    assert os.read(read, 10) == b""  # closed: the standby sees its end
    os.close(read)
