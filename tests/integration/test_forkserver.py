"""The fork server with real commands: a served command runs in the command's
network namespace, directory and environment, and ends as it would have on its
own; signals reach it; a command killed takes its child along; a child killed
kills its command alike.  Each test has a server of its own (a ``PYTHON*``
variable of its own names another socket), stopped at its end."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from common import forkclient
from compose.forkserver import SPARE_NAME
from tests.integration.conftest import Stack
from tests.integration.test_containers import project

REPO = Path(__file__).parents[2]
SERVED = """
import sys
from common import forkclient
code = forkclient.run_served(["pycompose", *sys.argv[1:]])
print("not served" if code is None else f"served {code}", file=sys.stderr)
sys.exit(99 if code is None else code)
"""


@dataclass
class Server:
    stack: Stack
    env: dict[str, str]
    path: str
    supervisors: str
    """The supervisors' server's socket."""

    def argv(self, *args: str) -> list[str]:
        return ["nsenter", f"--net=/run/netns/{self.stack.netns}", "--", sys.executable,
                "-c", SERVED, *args]

    def run(self, *args: str, cwd: Path, env: dict[str, str] | None = None,
            ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.argv(*args), cwd=cwd, env=env or self.env, text=True,
                              capture_output=True, timeout=60)

    def popen(self, *args: str, cwd: Path) -> subprocess.Popen[str]:
        """The command in a process group of its own, as a shell runs a job.  In the
        test runner's group, Ctrl-Z's stop is dropped whenever that group is
        orphaned (a CI started in the background, under ``setsid``), as the kernel
        does for any program: the Ctrl-Z test failed so in half the CI runs."""
        return subprocess.Popen(self.argv(*args), cwd=cwd, env=self.env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                process_group=0)

    def pid(self, path: str | None = None) -> int | None:
        """The commands' server (or the one of ``path``)."""
        wanted = [b"-m", b"compose.forkserver", (path or self.path).encode()]
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
                except OSError:
                    continue
                if cmdline[1:4] == wanted:
                    return int(entry)
        return None

    def children(self) -> list[int]:
        """The commands' server's children running commands (not its spare)."""
        return [child for child in self._all_children() if not _spare(child)]

    def spares(self) -> list[int]:
        """Its children forked ahead, waiting for the next command."""
        return [child for child in self._all_children() if _spare(child)]

    def _all_children(self) -> list[int]:
        pid = self.pid()
        if pid is None:
            return []
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return [int(word) for word in text.split()]


def _spare(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == SPARE_NAME
    except OSError:
        return False


@contextlib.contextmanager
def own_server(stack: Stack, env: dict[str, str], cwd: Path) -> Iterator[Server]:
    """Servers of ``env``'s own (its key), started as a command starts them, and
    stopped at the end."""
    paths = subprocess.run([sys.executable, "-c", "from common import forkclient as f; "
                            "print(*f.socket_paths())"], env=env, cwd=cwd,
                           capture_output=True, text=True, check=True).stdout.split()
    started = Server(stack, env, *paths)
    try:
        subprocess.run(stack.argv("ls"), env=env, cwd=cwd, check=True,
                       capture_output=True, timeout=60)  # on its own: starts the servers
        stack.wait_for(lambda: all(os.path.exists(path) for path in paths), timeout=30)
        yield started
    finally:
        pids = [started.pid(path) for path in paths]
        for path in paths:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        for pid in pids:
            if pid is not None:
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def server(busybox_stack: Stack, tmp_path: Path) -> Iterator[Server]:
    """A server of this test's own (a ``PYTHON*`` variable of its own names it)."""
    env = {**busybox_stack.env, forkclient.VARIABLE: "1",
           "PYTHONFORKSERVERTEST": uuid.uuid4().hex}
    with own_server(busybox_stack, env, tmp_path) as started:
        yield started


def test_a_served_command_is_the_command(server: Server, busybox_stack: Stack,
                                         tmp_path: Path) -> None:
    directory = project(tmp_path, """
        app:
          image: busybox
          command: ["sleep", "60"]
          environment: {GREETING: "${GREETING:-unset}"}
    """)
    config = server.run("config", cwd=directory, env={**server.env, "GREETING": "hello"})
    assert config.stderr.endswith("served 0\n") and "GREETING: hello" in config.stdout
    try:
        up = server.run("up", "-d", cwd=directory)
        assert up.returncode == 0, up.stderr
        assert "served 0" in up.stderr
        bridges = [name for name in busybox_stack.links() if name.startswith("pc")]
        assert bridges  # made in the command's namespace...
        host = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True,
                              check=True).stdout
        assert not any(f": {name}:" in host for name in bridges)  # ...not the server's
        exited = server.run("exec", "-T", "app", "sh", "-c", "exit 7", cwd=directory)
        assert exited.returncode == 7 and "served 7" in exited.stderr
        failed = server.run("-f", "missing.yaml", "ps", cwd=directory)
        assert failed.returncode == 1 and failed.stderr.startswith("error: ")
    finally:
        down = server.run("down", "-t", "0", cwd=directory)
    assert down.returncode == 0 and "served 0" in down.stderr
    assert not [name for name in busybox_stack.links() if name.startswith("pc")]


def _served_events(server: Server,
                   tmp_path: Path) -> tuple[subprocess.Popen[str], int]:
    """``events`` (it runs until stopped) served, and its child once it runs: the
    server's child whose standard output is the client's pipe.  (Not the only child
    without a spare's name: a spare renames itself only just after its fork, and on
    busy cores one was taken for the command, which then never stopped.)"""
    directory = project(tmp_path, """
        app:
          image: busybox
    """)
    events = server.popen("events", cwd=directory)
    assert events.stdout is not None
    pipe = os.fstat(events.stdout.fileno()).st_ino
    child = server.stack.wait_for(lambda: _holding(server.children(), pipe), timeout=20)
    return events, child


def _holding(pids: list[int], pipe: int) -> int | None:
    """The process of ``pids`` whose standard output is the pipe ``pipe``."""
    for pid in pids:
        try:
            if os.stat(f"/proc/{pid}/fd/1").st_ino == pipe:
                return pid
        except OSError:
            continue
    return None


def test_a_signal_reaches_the_served_command(server: Server, tmp_path: Path) -> None:
    events, _ = _served_events(server, tmp_path)
    time.sleep(0.5)  # past its start: its Ctrl-C handling is in place
    events.send_signal(signal.SIGINT)
    _, err = events.communicate(timeout=20)
    assert events.returncode == 130, err
    assert "interrupted" in err
    server.stack.wait_for(lambda: not server.children(), timeout=10)


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]


def test_ctrl_z_stops_the_served_command_and_fg_goes_on(server: Server, tmp_path: Path) -> None:
    events, child = _served_events(server, tmp_path)
    time.sleep(0.5)
    events.send_signal(signal.SIGTSTP)
    stopped = server.stack.wait_for(
        lambda: _state(child) == "T" and _state(events.pid) == "T", timeout=10, fail=False)
    assert stopped, f"child {_state(child)}, client {_state(events.pid)}"
    events.send_signal(signal.SIGCONT)
    server.stack.wait_for(lambda: _state(child) != "T" and _state(events.pid) != "T",
                          timeout=10)
    events.send_signal(signal.SIGINT)
    events.communicate(timeout=20)
    assert events.returncode == 130


def test_a_command_is_handed_to_the_spare_forked_before_it(server: Server,
                                                           tmp_path: Path) -> None:
    """The server forks each command's child ahead, while nobody waits: the oldest
    of its two spares becomes the next command (its name the command's again), the
    other waits for the one after, and a new spare is forked a while later, though
    the command still runs."""
    spares = server.stack.wait_for(lambda: len(server.spares()) == 2 and server.spares(),
                                   timeout=10)
    events, _ = _served_events(server, tmp_path)
    try:
        assert server.children() == [spares[0]]
        assert Path(f"/proc/{spares[0]}/comm").read_text().strip() == "python"
        assert server.spares() == [spares[1]]
        following = server.stack.wait_for(
            lambda: len(server.spares()) == 2 and server.spares(), timeout=10)
        assert following[0] == spares[1] and following[1] not in spares
    finally:
        events.kill()
        events.wait(timeout=10)
    server.stack.wait_for(lambda: not server.children(), timeout=10)
    assert server.spares() == following


def _memory(pid: int) -> dict[str, int]:
    """``/proc/PID/smaps_rollup``: kB by field."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0])
    return fields


def test_a_spare_makes_its_memory_its_own_before_its_command(server: Server) -> None:
    """A spare copies the pages it shares with the server ahead (on idle CPU): its
    command would fault on each it writes first."""
    spares = server.stack.wait_for(lambda: len(server.spares()) == 2 and server.spares(),
                                   timeout=10)

    def private(pid: int) -> bool:
        memory = _memory(pid)
        return memory["Private_Dirty"] > 0.9 * memory["Anonymous"]

    server.stack.wait_for(lambda: all(private(pid) for pid in spares), timeout=10)


def test_a_killed_command_takes_its_child_along(server: Server, tmp_path: Path) -> None:
    events, _ = _served_events(server, tmp_path)
    events.kill()
    events.wait(timeout=10)
    server.stack.wait_for(lambda: not server.children(), timeout=10)


def test_a_killed_child_kills_its_command_alike(server: Server, tmp_path: Path) -> None:
    directory = project(tmp_path, """
        app:
          image: busybox
          command: ["sleep", "60"]
    """)
    killed = server.run("up", "-d", cwd=directory,
                        env={**server.env, "PYCOMPOSE_FAULT": "kill@3"})
    assert killed.returncode == -signal.SIGKILL
    down = server.run("down", "-t", "0", cwd=directory)  # what was half made goes
    assert down.returncode == 0, down.stderr


def test_a_served_up_has_its_supervisor_forked_by_the_supervisors_server(
        server: Server, busybox_stack: Stack, tmp_path: Path) -> None:
    """Its imports done ahead: of its own session, in the command's namespace, a
    child of nobody (the server's child forked it and ended)."""
    directory = project(tmp_path, """
        app:
          image: busybox
          command: ["sleep", "60"]
    """)
    try:
        up = server.run("up", "-d", cwd=directory)
        assert up.returncode == 0 and "served 0" in up.stderr, up.stderr
        pidfile = busybox_stack.layout.run / "supervisors" / f"{directory.name}.pid"
        pid = int(pidfile.read_text())
        assert server.supervisors.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
        netns = os.stat(f"/run/netns/{busybox_stack.netns}").st_ino
        assert os.stat(f"/proc/{pid}/ns/net").st_ino == netns
        assert os.getsid(pid) not in (os.getsid(0), os.getsid(server.pid(server.supervisors)))
        parent = int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])
        assert parent != server.pid(server.supervisors)
        assert "app" in busybox_stack.run("ps", cwd=directory).stdout
    finally:
        down = server.run("down", "-t", "0", cwd=directory)
    assert down.returncode == 0, down.stderr
    busybox_stack.wait_for(lambda: not os.path.exists(f"/proc/{pid}") or _state(pid) == "Z",
                           timeout=10)


DISMISSED = """
import os, sys
from common import forkclient
for _ in range(int(sys.argv[1])):
    go, go_write = os.pipe()
    ready_read, ready = os.pipe()
    asked = forkclient.spawn_detached(["pycompose", "supervise", "--standby", "{fds}"],
                                      dict(os.environ), (go, ready))
    for fd in (go, go_write, ready_read, ready):
        os.close(fd)  # not needed after all: it ends
    print(asked and asked.pid())
"""


def test_a_detached_child_s_pid_comes_before_its_parent_s_end(server: Server,
                                                              tmp_path: Path) -> None:
    """The server's child forks the standby and ends: the command gets the standby's
    pid every time, never that end's status instead (it would start a second one)."""
    done = subprocess.run(["nsenter", f"--net=/run/netns/{server.stack.netns}", "--",
                           sys.executable, "-c", DISMISSED, "25"], env=server.env, cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=True)
    pids = done.stdout.split()
    assert len(pids) == 25 and "None" not in pids, done.stdout
    server.stack.wait_for(lambda: not any(os.path.exists(f"/proc/{pid}") and _state(int(pid))
                                          != "Z" for pid in pids), timeout=30)


def test_a_server_whose_code_changed_refuses_and_goes(busybox_stack: Stack,
                                                      tmp_path: Path) -> None:
    """A file added where code is imported from (here a directory of PYTHONPATH) is a
    change of code: the command runs on its own, and the server exits."""
    extra = tmp_path / "extra"
    extra.mkdir()
    env = {**busybox_stack.env, forkclient.VARIABLE: "1",
           "PYTHONPATH": f"{REPO}:{extra}"}
    with own_server(busybox_stack, env, tmp_path) as server:
        assert server.run("ls", cwd=tmp_path).stderr.endswith("served 0\n")
        time.sleep(0.05)  # a later modification time than the server took
        (extra / "added.py").write_text("")
        refused = server.run("ls", cwd=tmp_path)
        assert refused.returncode == 99 and "not served" in refused.stderr
        busybox_stack.wait_for(lambda: server.pid() is None, timeout=30)
