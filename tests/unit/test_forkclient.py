"""The fork server's client: which commands it asks a server for, what a server
must share with the command (its socket's name), and how the command ends as
its child ended."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from common import forkclient

ON = {forkclient.VARIABLE: "1"}


@pytest.mark.parametrize("argv", [["up", "-d"], ["-f", "a.yaml", "down", "-t", "0"],
                                  ["ps"], ["exec", "-T", "app", "true"], ["run", "app"]])
def test_plain_commands_are_served(argv: list[str]) -> None:
    assert forkclient.servable(argv, ON, terminal_in=False)


@pytest.mark.parametrize("argv", [["supervise", "--standby", "3,4"], ["version"], ["attach", "a"],
                                  ["dashboard"], ["login"], ["up", "--help"], [], ["--version"]])
def test_the_supervisor_help_and_what_owns_the_terminal_run_on_their_own(
        argv: list[str]) -> None:
    assert not forkclient.servable(argv, ON, terminal_in=False)


def test_a_terminal_on_stdin_keeps_exec_and_run_on_their_own() -> None:
    assert not forkclient.servable(["exec", "app", "sh"], ON, terminal_in=True)
    assert not forkclient.servable(["run", "--rm", "app"], ON, terminal_in=True)
    assert forkclient.servable(["up"], ON, terminal_in=True)


def test_the_variable_turns_it_on_and_off() -> None:
    assert not forkclient.servable(["ps"], {forkclient.VARIABLE: "0"}, terminal_in=False)
    assert forkclient.servable(["ps"], {}, terminal_in=False) == (forkclient.DEFAULT == "1")


def test_what_the_interpreter_reads_at_its_start_names_another_server(
        monkeypatch: pytest.MonkeyPatch) -> None:
    before = forkclient.key()
    assert forkclient.key() == before
    monkeypatch.setenv("PYTHONWARNINGS", "error")
    changed = forkclient.key()
    assert changed != before
    assert forkclient.socket_path(changed) != forkclient.socket_path(before)
    monkeypatch.setenv("SOMETHING_ELSE", "1")  # the command's own environment: sent along
    assert forkclient.key() == changed


def test_a_lower_limit_names_another_server() -> None:
    script = ("import resource, sys; from common import forkclient as f; "
              "print(f.key()); soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE); "
              "resource.setrlimit(resource.RLIMIT_NOFILE, (soft - 1, hard)); print(f.key())")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parents[2]).stdout.splitlines()
    assert len(out) == 2 and out[0] != out[1]


def test_an_exit_status_is_passed_on() -> None:
    assert forkclient._end_like(3 << 8) == 3
    assert forkclient._end_like(0) == 0


@pytest.mark.parametrize("number", [signal.SIGKILL, signal.SIGTERM])
def test_a_child_killed_by_a_signal_kills_the_command_alike(number: int) -> None:
    script = (f"import os; from common.forkclient import _end_like; _end_like({number}); "
              "print('still here')")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=Path(__file__).parents[2], env={**os.environ})
    assert done.returncode == -number and "still here" not in done.stdout


def test_only_a_directory_of_this_user_alone_is_trusted(tmp_path: Path) -> None:
    private, shared = tmp_path / "private", tmp_path / "shared"
    private.mkdir(mode=0o700)
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    assert forkclient._private(str(private))
    assert not forkclient._private(str(shared))


def test_a_signal_before_the_child_is_known_reaches_it_once_it_is() -> None:
    child = subprocess.Popen(["sleep", "30"])
    forwarding = forkclient._Forwarding()
    try:
        os.kill(os.getpid(), signal.SIGUSR1)  # handled at once: no child yet, so kept
        assert forwarding.pending == [signal.SIGUSR1]
        forwarding.to(child.pid)
        assert child.wait(timeout=10) == -signal.SIGUSR1
    finally:
        forwarding.pending.clear()
        forwarding.give_back()
        child.kill()


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]


def _until_state(pid: int, wanted: str) -> str:
    deadline = time.monotonic() + 5
    while (state := _state(pid)) != wanted and time.monotonic() < deadline:
        time.sleep(0.01)
    return state


def test_ctrl_z_before_the_child_is_known_stops_it_once_it_is(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Stopped at once, the command's client could not hear the server name its
    child, which would run on (a CI run's Ctrl-Z test); so the stop waits for the
    child, which stops first, then this process (here only noted)."""
    child = subprocess.Popen(["sleep", "30"])
    real = os.kill
    seen: list[str] = []

    def kill(pid: int, number: int) -> None:
        if pid == os.getpid() and number == signal.SIGTSTP:
            seen.append(_until_state(child.pid, "T"))  # this process stops here
            return
        real(pid, number)

    monkeypatch.setattr(os, "kill", kill)
    forwarding = forkclient._Forwarding()
    try:
        signal.raise_signal(signal.SIGTSTP)  # handled at once: no child yet
        assert seen == [] and forwarding.pending == [signal.SIGTSTP]
        forwarding.to(child.pid)
        assert seen == ["T"]  # the child stopped before this process would have
        assert _until_state(child.pid, "S") == "S"  # and goes on with it (fg)
    finally:
        forwarding.pending.clear()
        forwarding.give_back()
        child.kill()
        child.wait()


def test_without_a_child_a_pending_ctrl_c_is_the_command_s_own_again() -> None:
    forwarding = forkclient._Forwarding()
    os.kill(os.getpid(), signal.SIGINT)
    assert forwarding.pending == [signal.SIGINT]
    with pytest.raises(KeyboardInterrupt):
        forwarding.give_back()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_server_that_stops_listening_leaves_the_command_to_run_on_its_own(
        tmp_path: Path) -> None:
    """A connection the server never accepted is reset when it closes its socket:
    no child was made, so no answer (the command then runs on its own)."""
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(tmp_path / "s"))
    listener.listen(4)
    conn = socket.socket(socket.AF_UNIX)
    conn.connect(str(tmp_path / "s"))
    conn.sendall(b"request")
    listener.close()
    with conn:
        assert forkclient._receive(conn, 5) is None


def test_supervisors_are_forked_by_a_server_of_their_own() -> None:
    commands, supervisors = forkclient.socket_paths()
    assert commands == forkclient.socket_path(forkclient.key())
    assert supervisors == forkclient.socket_path(forkclient.key(), forkclient.SUPERVISORS)
    assert supervisors != commands and supervisors.endswith(".supervisors.sock")


def test_with_the_server_off_no_supervisor_is_asked_for() -> None:
    off = {**os.environ, forkclient.VARIABLE: "0"}
    assert forkclient.spawn_detached(["pycompose", "supervise"], off, ()) is None


def test_a_request_sent_whole_is_served_though_the_server_closed_since() -> None:
    """A short command may end, and the server close its side, before the client
    returns from sending: it was served all the same (it would run twice)."""
    conn, server = socket.socketpair()

    class ClosedOnceSent:
        def sendmsg(self, *args: object) -> int:
            sent: int = conn.sendmsg(*args)  # type: ignore[arg-type]
            server.recv(65536)
            server.close()
            return sent

        def sendall(self, data: bytes) -> None:
            conn.sendall(data)

    with conn:
        forkclient._send(ClosedOnceSent(), b"request", [0])  # type: ignore[arg-type]


def test_the_server_s_own_file_is_among_those_it_watches() -> None:
    """Run as ``python -m compose.forkserver`` it is ``__main__``, not a module of
    pycompose's packages: a change to it must still send the server away."""
    script = ("import runpy; ns = runpy.run_path('compose/forkserver.py', run_name='server'); "
              "import os, sys; assert 'compose.forkserver' not in sys.modules; "
              "print(os.path.abspath('compose/forkserver.py') in map(os.path.abspath, "
              "ns['code_files']()))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parents[2]).stdout
    assert out.strip() == "True"


CLIENT_IMPORTS = """
import sys
before = set(sys.modules)
import compose.app
from common import forkclient
forkclient.servable(["ps"], {}, terminal_in=False)
forkclient.request(["ps"], forkclient.key())
print(" ".join(sorted(set(sys.modules) - before)))
"""


def test_the_client_imports_next_to_nothing() -> None:
    """Every served command pays its client's imports before the server is asked:
    contextlib and the collections it brings were 2.6 of its 4 ms."""
    result = subprocess.run([sys.executable, "-c", CLIENT_IMPORTS], capture_output=True,
                            text=True, check=True, env={**os.environ, "PYTHONPATH": str(
                                Path(__file__).parents[2])})
    imported = set(result.stdout.split())
    assert not imported & {"contextlib", "collections", "functools", "typing", "re"}, imported
