"""``pycompose dashboard`` in a real terminal (tmux): a crash-looping service's
restarts grow on screen, an unhealthy one shows its health and its probe's output,
and the keys restart a service and quit."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import Stack
from tests.integration.test_skeleton import write_compose

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


class Pane:
    """One tmux session on a private server (its socket in the test's directory),
    running one command."""

    def __init__(self, command: list[str], cwd: Path, socket: Path) -> None:
        self.server = str(socket)
        self._tmux("new-session", "-d", "-x", "150", "-y", "40", "-s", "dash", "-c", str(cwd),
                   shlex.join(command))

    def _tmux(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-S", self.server, *args], capture_output=True,
                              text=True, timeout=10)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "dash").stdout

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "dash", *keys)

    def alive(self) -> bool:
        return self._tmux("has-session", "-t", "dash").returncode == 0

    def wait_for(self, predicate: Callable[[str], object], timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if predicate(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"not on screen in time:\n{screen}")
            time.sleep(0.2)

    def close(self) -> None:
        self._tmux("kill-server")
        Path(self.server).unlink(missing_ok=True)


@pytest.fixture
def pane_factory(tmp_path: Path) -> Iterator[Callable[[list[str], Path], Pane]]:
    panes: list[Pane] = []

    def make(command: list[str], cwd: Path) -> Pane:
        panes.append(Pane(command, cwd, tmp_path / f"tmux-{len(panes)}.sock"))
        return panes[-1]

    yield make
    for pane in panes:
        pane.close()


def row(screen: str, service: str) -> list[str]:
    """The cells of a service's row (split on runs of two spaces or more)."""
    for line in screen.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if cells and cells[0] == service:
            return cells
    return []


def restarts(screen: str) -> int:
    cells = row(screen, "crash")
    return int(cells[4]) if len(cells) > 4 and cells[4].isdigit() else -1


def test_the_dashboard_shows_restarts_and_health_and_acts_on_keys(
        busybox_stack: Stack, tmp_path: Path,
        pane_factory: Callable[[list[str], Path], Pane]) -> None:
    project = write_compose(tmp_path / "dash", """
        services:
          crash:
            image: busybox
            restart: always
            command: ["sh", "-c", "echo crashing now; exit 1"]
          sick:
            image: busybox
            command: ["sh", "-c", "echo sick is up; exec sleep 300"]
            healthcheck:
              test: ["CMD-SHELL", "echo no database here; exit 1"]
              interval: 1s
              retries: 1
    """).parent
    stack = busybox_stack
    stack.run("up", "-d", cwd=project)
    env = [f"{k}={v}" for k, v in stack.env.items()
           if k in ("PYCOMPOSE_ROOT", "PYTHONPATH", "PATH")]
    pane = pane_factory(["env", *env, "TERM=xterm-256color", *stack.argv("dashboard")],
                        project)

    first = pane.wait_for(lambda s: restarts(s) >= 1)
    # the crash-looper's restarts grow as the supervisor restarts it
    grown = pane.wait_for(lambda s: restarts(s) > restarts(first) + 1)
    assert row(grown, "crash")[1] == "dash-crash-1"
    # between two runs it is shown backing off, with the delay and the time left
    backing_off = pane.wait_for(lambda s: row(s, "crash")[2:3] == ["restarting"])
    assert re.fullmatch(r"[\d.]+s \(in [\d.]+s\)", row(backing_off, "crash")[5])
    # the unhealthy one within a probe interval or two, with its probe's output
    pane.keys("j")  # select sick
    sick = pane.wait_for(lambda s: "unhealthy" in row(s, "sick"), timeout=5)
    assert "running" in row(sick, "sick")
    sick = pane.wait_for(lambda s: "no database here" in s, timeout=5)
    assert "last probe: failed, exit 1" in sick
    assert "sick is up" in sick  # its log lines under the table
    started = stack.run("inspect", "sick", cwd=project).stdout
    pane.keys("r")
    pane.wait_for(lambda s: "restarting sick: done" in s, timeout=30)
    assert stack.run("inspect", "sick", cwd=project).stdout != started
    # l follows sick's logs on the normal screen; Ctrl-C comes back
    pane.keys("l")
    pane.wait_for(lambda s: "following the logs of sick" in s and "sick is up" in s)
    pane.keys("C-c")
    pane.wait_for(lambda s: "pycompose dashboard: dash" in s)
    # e opens a shell in it; exit comes back
    pane.keys("e")
    pane.wait_for(lambda s: "sh in dash-sick-1" in s)
    pane.keys("echo from-$((40+2))-inside", "Enter")
    pane.wait_for(lambda s: "from-42-inside" in s)
    pane.keys("exit", "Enter")
    pane.wait_for(lambda s: "pycompose dashboard: dash" in s)
    pane.keys("q")
    deadline = time.monotonic() + 10
    while pane.alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not pane.alive()
    stack.run("down", "-t", "1", cwd=project)
