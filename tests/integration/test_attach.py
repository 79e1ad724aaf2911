"""``pycompose attach`` on real containers: conmon's attach socket carries their
output to us and our stdin to them, the detach keys leave them running with their
stdin still open, signals are forwarded (or not), and their exit code is ours,
through pipes and on a pseudo-terminal.

Each test runs in the harness's own network namespace and state root, and the
``stack`` fixture fails it if anything is left behind."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import Stack
from tests.integration.test_containers import project

# echoes each line it reads; "quit" ends it with 3, the end of its stdin with 4
ECHO = """
    echo:
      image: busybox
      stdin_open: true
      command:
        - sh
        - -c
        - while read line; do [ "$$line" = quit ] && exit 3; echo got:$$line; done; exit 4
"""
# prints a tick every 0.2 s; SIGINT ends it with 7
TICKER = """
    ticker:
      image: busybox
      command:
        - sh
        - -c
        - trap 'echo caught; exit 7' INT; while true; do echo tick; sleep 0.2; done
"""
# a shell on a terminal
SHELL = """
    shell:
      image: busybox
      stdin_open: true
      tty: true
      command: ["sh"]
"""


@pytest.fixture
def stack_up(busybox_stack: Stack, tmp_path: Path) -> Iterator[Path]:
    """The three services, up and detached; brought down afterwards."""
    directory = project(tmp_path, ECHO + TICKER + SHELL)
    busybox_stack.run("up", "-d", cwd=directory)
    yield directory
    busybox_stack.run("down", "-t", "0", cwd=directory, check=False)


class Attached:
    """``pycompose attach ...`` with pipes for its stdio."""

    def __init__(self, stack: Stack, directory: Path, *args: str) -> None:
        self.process = subprocess.Popen(stack.argv("attach", *args), cwd=directory,
                                        env=stack.env, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.seen = b""

    def send(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def expect(self, token: bytes, timeout: float = 20) -> None:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout
        while token not in self.seen:
            assert time.monotonic() < deadline, f"no {token!r} in {self.seen!r}"
            if select.select([fd], [], [], 0.2)[0]:
                chunk = os.read(fd, 4096)
                assert chunk, f"output ended without {token!r}: {self.seen!r}"
                self.seen += chunk

    def finish(self, timeout: float = 20) -> tuple[int, str]:
        """Its exit status and what it said on stderr (the rest of its output is
        added to ``seen``)."""
        if self.process.stdin is not None and self.process.stdin.closed:
            self.process.stdin = None
        try:
            out, err = self.process.communicate(timeout=timeout)
            self.seen += out
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
        return self.process.returncode, err.decode()


def state_of(stack: Stack, directory: Path, service: str) -> str:
    rows = [r for r in stack.ps(directory) if r["Service"] == service]
    return str(rows[0]["State"])


def test_stdin_goes_in_output_comes_out_and_the_exit_code_is_ours(
        busybox_stack: Stack, stack_up: Path) -> None:
    attached = Attached(busybox_stack, stack_up, "echo")
    attached.send(b"hello\n")
    attached.expect(b"got:hello\n")
    attached.send(b"quit\n")
    code, err = attached.finish()
    assert code == 3, err
    assert state_of(busybox_stack, stack_up, "echo") == "exited"


def test_detach_keys_leave_it_running_with_its_stdin_open(
        busybox_stack: Stack, stack_up: Path) -> None:
    attached = Attached(busybox_stack, stack_up, "echo")
    attached.send(b"one\n")
    attached.expect(b"got:one\n")
    attached.send(b"two\n\x10")  # ctrl-p alone is held back...
    attached.send(b"\x11three\n")  # ...until ctrl-q completes the sequence
    code, err = attached.finish()
    assert code == 1, err  # docker's status for a detach, with its message
    assert "read escape sequence" in err
    assert b"three" not in attached.seen
    assert state_of(busybox_stack, stack_up, "echo") == "running"
    # its stdin survived the first client: a second one talks to it, with its own keys
    again = Attached(busybox_stack, stack_up, "--detach-keys", "ctrl-a,d", "echo")
    again.send(b"\x10\x11four\n")  # not this client's sequence: passed on as typed
    again.expect(b"got:\x10\x11four\n")
    again.send(b"\x01d")
    assert again.finish()[0] == 1
    assert busybox_stack.run("logs", "--no-log-prefix", "echo",
                             cwd=stack_up).stdout.splitlines() == [
        "got:one", "got:two", "got:\x10\x11four"]
    last = Attached(busybox_stack, stack_up, "echo")
    last.send(b"quit\n")
    assert last.finish()[0] == 3


def test_no_stdin_keeps_the_input_and_follows_the_container_to_its_end(
        busybox_stack: Stack, stack_up: Path) -> None:
    attached = Attached(busybox_stack, stack_up, "--no-stdin", "echo")
    attached.send(b"quit\n")
    assert attached.process.stdin is not None
    attached.process.stdin.close()
    time.sleep(1)
    assert attached.process.poll() is None  # neither "quit" nor the end reached it
    assert state_of(busybox_stack, stack_up, "echo") == "running"
    busybox_stack.run("kill", "echo", cwd=stack_up)
    assert attached.finish()[0] == 137


def test_signals_are_forwarded_unless_sig_proxy_is_false(
        busybox_stack: Stack, stack_up: Path) -> None:
    watcher = Attached(busybox_stack, stack_up, "--sig-proxy=false", "ticker")
    watcher.expect(b"tick\n")
    watcher.process.send_signal(signal.SIGINT)
    assert watcher.finish()[0] == 130  # we left; the container did not see it
    assert state_of(busybox_stack, stack_up, "ticker") == "running"
    proxy = Attached(busybox_stack, stack_up, "ticker")
    proxy.expect(b"tick\n")
    proxy.process.send_signal(signal.SIGINT)
    code, err = proxy.finish()
    assert code == 7, err
    assert b"caught" in proxy.seen


def _on_terminal(argv: list[str], env: dict[str, str], cwd: Path,
                 keys: list[tuple[bytes, bytes]]) -> tuple[int, str]:
    """Run ``argv`` on a pseudo-terminal; for each ``(send, until)`` type ``send``
    and wait for ``until`` in the output."""
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(cwd)
        os.execvpe(argv[0], argv, env)
    seen = b""
    # Until attach has the terminal in raw mode, what is typed is the line
    # discipline's (and dropped when attach takes it): press Enter until the
    # container's shell answers with its prompt.
    deadline = time.monotonic() + 30
    while b"# " not in seen and time.monotonic() < deadline:
        os.write(fd, b"\r")
        if select.select([fd], [], [], 0.5)[0]:
            try:
                seen += os.read(fd, 4096)
            except OSError:  # attach ended already: the assertions say why
                break
    for send, until in keys:
        os.write(fd, send)
        deadline = time.monotonic() + 20
        while until not in seen and time.monotonic() < deadline:
            if select.select([fd], [], [], 0.2)[0]:
                try:
                    seen += os.read(fd, 4096)
                except OSError:
                    break
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), seen.decode(errors="replace")


def test_a_terminal_container_detaches_and_exits_on_a_terminal(
        busybox_stack: Stack, stack_up: Path) -> None:
    argv = busybox_stack.argv("attach", "shell")
    code, seen = _on_terminal(argv, busybox_stack.env, stack_up, [
        (b"echo $((6*7))\r", b"42"), (b"\x10\x11", b"read escape sequence")])
    assert code == 1, seen
    assert "42" in seen
    assert state_of(busybox_stack, stack_up, "shell") == "running"
    code, seen = _on_terminal(argv, busybox_stack.env, stack_up, [
        (b"tty\r", b"/dev/pts/0"), (b"exit 5\r", b"\0never")])
    assert code == 5, seen
    assert state_of(busybox_stack, stack_up, "shell") == "exited"


def test_a_terminal_container_wants_a_terminal(busybox_stack: Stack, stack_up: Path) -> None:
    result = subprocess.run(busybox_stack.argv("attach", "shell"), cwd=stack_up,
                            env=busybox_stack.env, stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=30)
    assert (result.returncode, result.stderr.strip()) == (
        1, "error: the input device is not a TTY")


def test_run_still_closes_the_stdin_it_owns(busybox_stack: Stack, stack_up: Path) -> None:
    """A container started by an attached client keeps Docker's StdinOnce: the end of
    our input is the end of its own (conmon without ``--leave-stdin-open``)."""
    result = subprocess.run(busybox_stack.argv("run", "--rm", "-T", "echo"), cwd=stack_up,
                            env=busybox_stack.env, input="a\nb\n", capture_output=True,
                            text=True, timeout=60)
    assert (result.returncode, result.stdout) == (4, "got:a\ngot:b\n"), result.stderr
