"""A supervisor-to-be, started at the beginning of a command that may need one, so
that ``up`` never waits for an interpreter to start and import everything: the
standby does that on the other core while the command works.

The command starts the standby (``spawn``: ``pycompose supervise --standby``) as
soon as its verb is known.  The standby leaves the command's session, imports and
connects to the backends, then waits on a pipe.  ``ensure_supervisor`` hands it a
project (``take``) when the project has no supervisor; it then becomes that
project's supervisor, logging to the project's ``supervisor.log``, and says when
it is ready on a second pipe.  If the command ends without needing it, the pipe
closes and the standby exits.

Where a fork server runs, the standby is forked by its second one, the
supervisors' server (``compose/forkserver.py``), which has imported what
``supervise`` imports and nothing more: it is ready at once, and spends none of the
command's cores on imports.  (A fork of the command itself would be ready as soon,
but would keep everything the command had loaded in its memory for good.)
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from common.forkclient import Detached


@dataclass
class Standby:
    """The command's side of a standby."""

    go: int
    """Where the project's name is written (closed unused: the standby exits)."""
    ready: int
    """A byte arrives here once the supervisor watches its containers."""
    environ: Mapping[str, str]
    forked: Detached | None = None
    """The supervisors' server's answer, while unread (``spawn``)."""

    def take(self, project: str, log: Path) -> int:
        """Make the standby the supervisor of ``project``, logging to ``log``; the fd
        to wait on for its readiness (the caller closes it)."""
        if self.forked is not None and self.forked.pid() is None:
            self._again()  # the server refused (its code changed): a new interpreter
        self.forked = None
        log.parent.mkdir(parents=True, exist_ok=True)
        os.write(self.go, f"{project}\n{log}\n".encode())
        os.close(self.go)
        self.go = -1
        return self.ready

    def _again(self) -> None:
        os.close(self.go)
        os.close(self.ready)
        self.go, self.ready = _start(self.environ, forked=False)[:2]

    def dismiss(self) -> None:
        """Not needed after all (the project's supervisor runs): the standby ends,
        at once if it is still importing (``dismissal.py``)."""
        if self.go >= 0:
            os.close(self.go)
            self.go = -1
        if self.forked is not None:
            self.forked.close()
            self.forked = None


def spawn(environ: Mapping[str, str]) -> Standby:
    """Start the standby now (before the event loop): forked by the supervisors'
    fork server, which has imported it all (``compose/forkserver.py``; its answer
    is read at ``take``), else a new interpreter."""
    go, ready, forked = _start(environ, forked=True)
    return Standby(go, ready, environ, forked)


def _start(environ: Mapping[str, str], *,
           forked: bool) -> tuple[int, int, Detached | None]:
    """A standby's pipes (the command's ends) and the server's pending answer."""
    from common import forkclient

    go_read, go_write = os.pipe()
    ready_read, ready_write = os.pipe()
    try:
        asked = forkclient.spawn_detached(["pycompose", "supervise", "--standby", "{fds}"],
                                          supervisor_environ(environ),
                                          (go_read, ready_write)) if forked else None
        if asked is None:
            subprocess.Popen(
                [sys.executable, "-m", "compose", "supervise", "--standby",
                 f"{go_read},{ready_write}"],
                env=supervisor_environ(environ), pass_fds=(go_read, ready_write),
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True)
    finally:
        os.close(go_read)
        os.close(ready_write)
    os.set_inheritable(go_write, False)
    os.set_inheritable(ready_read, False)
    return go_write, ready_read, asked


def supervisor_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """A supervisor's environment: the command's, with glibc's malloc held to two
    arenas (unless set).  The supervisor makes a short-lived thread per container
    namespace it enters (DNS sockets, nftables), and glibc would give threads arenas
    of their own that stay: 100 containers kept 25 MB more resident."""
    supervisor = {"MALLOC_ARENA_MAX": "2", **environ}
    supervisor.pop("PYCOMPOSE_FAULT", None)  # a test's injected fault is the command's
    return supervisor


async def wait_for_project(go: int) -> tuple[str, Path] | None:
    """In the standby: the project it is to supervise and its log file, or None when
    the command ended without needing it."""
    import trio  # here: the command spawns a standby before it imports trio

    message = b""
    async with trio.lowlevel.FdStream(go) as stream:
        while chunk := await stream.receive_some(4096):
            message += chunk
    project, _, rest = message.decode().partition("\n")
    log = rest.strip()
    return (project, Path(log)) if project and log else None


def log_to(path: Path) -> None:
    """In the standby: standard output and error to the supervisor's log."""
    with contextlib.suppress(FileExistsError):
        path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
