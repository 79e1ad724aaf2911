"""The netlink worker: calls run in the forked process, answers and errors come
back, a dead worker leaves the work to the caller, and nothing outlives the
command.  Each case runs in a fresh interpreter: the worker forks only from a
process with a single thread."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _script(body: str) -> subprocess.CompletedProcess[str]:
    code = "import os, signal\nfrom network import netlinkworker\n" + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)})


def test_a_call_runs_in_the_worker_and_its_answer_comes_back() -> None:
    result = _script("""
        netlinkworker.start()
        print(netlinkworker.run(os.getpid) != os.getpid(), netlinkworker.run(max, 3, 9))
    """)
    assert result.stdout.split() == ["True", "9"], result.stderr


def test_an_exception_in_the_worker_is_raised_in_the_caller() -> None:
    result = _script("""
        netlinkworker.start()
        try:
            netlinkworker.run(int, "not a number")
        except ValueError as exc:
            print("raised:", exc)
    """)
    assert "raised: invalid literal for int()" in result.stdout, result.stderr


def test_without_a_worker_or_after_its_death_the_caller_does_the_work() -> None:
    result = _script("""
        print(netlinkworker.run(os.getpid) == os.getpid())
        netlinkworker.start()
        worker = netlinkworker._worker
        os.kill(worker.pid, signal.SIGKILL)
        os.waitpid(worker.pid, 0)
        print(netlinkworker.run(os.getpid) == os.getpid())
    """)
    assert result.stdout.split() == ["True", "True"], result.stderr


def test_the_worker_ignores_ctrl_c_and_ends_with_the_command() -> None:
    result = _script("""
        netlinkworker.start()
        pid = netlinkworker._worker.pid
        netlinkworker.run(os.getpid)  # it has started serving
        os.kill(pid, signal.SIGINT)
        print(netlinkworker.run(os.getpid) == pid, pid)
    """)
    answered, pid = result.stdout.split()
    assert answered == "True", result.stderr
    assert _ended(int(pid))  # killed as the command exited (init reaps it)


def _ended(pid: int) -> bool:
    """Gone, or dead and waiting for init to reap it."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            return True
        if stat.rpartition(")")[2].split()[0] in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


def test_the_worker_holds_none_of_the_commands_descriptors() -> None:
    result = _script("""
        kept = os.pipe()  # as a standby's pipe: the worker must not keep it open
        netlinkworker.start()
        pid = netlinkworker._worker.pid
        netlinkworker.run(os.getpid)
        fds = os.listdir(f"/proc/{pid}/fd")
        print(len(fds), any(os.readlink(f"/proc/{pid}/fd/{fd}") ==
                            os.readlink(f"/proc/self/fd/{kept[1]}") for fd in fds))
        print(os.readlink(f"/proc/{pid}/fd/1"))
    """)
    counts, stdout = result.stdout.splitlines()
    assert counts == "4 False", result.stderr  # the standard three and its socket
    assert stdout == "/dev/null"


def test_a_served_command_forks_a_worker_only_for_many_links() -> None:
    """Where pyroute2 is loaded already (a fork server's child), a down or a run does
    its few links itself: forking the worker cost more than their work."""
    result = _script("""
        from compose.wiring import LocalHost
        from network import netlink
        LocalHost().prepare_networks(many=False)
        print(netlinkworker._worker is not None)  # not loaded yet: forked to load it
        netlinkworker._worker.stop()
        netlinkworker._worker = None
        netlink.import_library()
        LocalHost().prepare_networks(many=False)
        print(netlinkworker._worker is not None)
        LocalHost().prepare_networks(many=True)
        print(netlinkworker._worker is not None)
    """)
    assert result.stdout.split() == ["True", "False", "True"], result.stderr
