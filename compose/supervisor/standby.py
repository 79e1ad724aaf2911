"""A supervisor-to-be, forked from the command's own process before its event loop
starts, so ``up`` never waits for a second interpreter to start and import
everything: the fork has it all already.

The command forks the standby (``fork``) when its verb may need a supervisor.  The
standby leaves the command's session and terminal at once and blocks on a pipe.
``ensure_supervisor`` hands it a project (``take``) when the project has no
supervisor; it then becomes that project's supervisor, detached, logging to the
project's ``supervisor.log``, and says when it is ready on a second pipe.  If
the command ends without needing it, the pipe closes and the standby exits.
A fork is only taken before trio runs (no threads, no event loop to copy).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Become = Callable[[str, int], int]
"""In the standby: run the supervisor of a project, ready on the given fd; its
exit status.  The wiring gives it (it builds the real backends)."""


@dataclass
class Standby:
    """The command's side of a forked standby."""

    pid: int
    go: int
    """Where the project's name is written (closed unused: the standby exits)."""
    ready: int
    """A byte arrives here once the supervisor watches its containers."""

    def take(self, project: str, log: Path) -> int:
        """Make the standby the supervisor of ``project``, logging to ``log``; the fd
        to wait on for its readiness (the caller closes it)."""
        log.parent.mkdir(parents=True, exist_ok=True)
        os.write(self.go, f"{project}\n{log}\n".encode())
        os.close(self.go)
        self.go = -1
        return self.ready

    def release(self) -> None:
        """Not needed: let the standby exit."""
        if self.go >= 0:
            os.close(self.go)
            self.go = -1
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, os.WNOHANG)


def fork(become: Become, warm: Callable[[], None]) -> Standby:
    """Fork the standby now (call before the event loop starts); ``warm`` runs in it
    at once (the supervisor's imports, on the other core while the command works)."""
    go_read, go_write = os.pipe()
    ready_read, ready_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no branch - the child never returns
        os.close(go_write)
        os.close(ready_read)
        os._exit(_wait_and_become(go_read, ready_write, become, warm))
    os.close(go_read)
    os.close(ready_write)
    os.set_inheritable(go_write, False)
    os.set_inheritable(ready_read, False)
    return Standby(pid, go_write, ready_read)


def _wait_and_become(go: int, ready: int, become: Become, warm: Callable[[], None]) -> int:
    """In the standby: out of the command's session and stdio, warm, then wait."""
    try:
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.close(devnull)
        warm()
        message = b""
        while chunk := os.read(go, 4096):
            message += chunk
        os.close(go)
        project, _, rest = message.decode().partition("\n")
        log = rest.strip()
        if not project or not log:
            return 0  # the command did not need a supervisor
        out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
        return become(project, ready)
    except BaseException:  # a fork's child must never unwind into the command's code
        import traceback

        traceback.print_exc()
        return 1
