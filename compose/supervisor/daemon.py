"""Starting, finding and stopping a project's supervisor process.

The supervisor runs detached (its own session, so a Ctrl-C at the terminal that
ran ``up -d`` does not reach it) and holds an exclusive lock for its whole life:
whoever holds ``<run>/supervisors/<project>.lock`` is the supervisor, and a second
one started by accident exits at once.  Its pid is written next to the lock, and
its control socket (compose/supervisor/control.py) too: a ``rescan`` request makes it watch
new containers and answers once it does (SIGHUP does the same without an
answer); SIGTERM ends it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import trio

from common.errors import StateError, full_disk
from common.locks import try_lock
from common.paths import Layout
from common.processes import wait_for_exit
from common.records import ContainerRecord
from compose.engine.snapshot import Snapshot
from compose.supervisor import control
from compose.supervisor.dnsready import resolves_here, wait_ready
from compose.supervisor.standby import Standby, supervisor_environ

READY_TIMEOUT = 10.0
READY_FD = "PYCOMPOSE_SUPERVISOR_READY_FD"


def _paths(layout: Layout, project: str) -> tuple[Path, Path]:
    directory = layout.run / "supervisors"
    return directory / f"{project}.lock", directory / f"{project}.pid"


def log_path(layout: Layout, project: str) -> Path:
    return layout.projects / project / "supervisor.log"


@contextlib.contextmanager
def hold_lock(layout: Layout, project: str) -> Iterator[bool]:
    """In the supervisor: take the lock (False if another supervisor has it) and
    publish our pid; both go away with the process."""
    lock, pidfile = _paths(layout, project)
    fd = try_lock(lock)
    if fd is None:
        yield False
        return
    try:
        pidfile.write_text(f"{os.getpid()}\n")
        try:
            yield True
        finally:
            pidfile.unlink(missing_ok=True)
    finally:
        os.close(fd)


def running_pid(layout: Layout, project: str) -> int | None:
    """The pid of the project's supervisor, if one holds the lock."""
    lock, pidfile = _paths(layout, project)
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                return int(pidfile.read_text().strip())
            except (FileNotFoundError, ValueError):
                return None  # starting up: the pid is not written yet
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


_starting: dict[tuple[str, str], trio.Lock] = {}
"""One start of a project's supervisor at a time in this process: ``up`` asks for
it as each container starts, concurrently, and all but the first must find it."""


async def ensure_supervisor(layout: Layout, project: str, environ: Mapping[str, str],
                            standby: Standby | None = None) -> int:
    """Start the project's supervisor unless it runs (the command's ``standby`` if
    it has one, else a new process); tell a running one to look for new containers.
    Returns its pid once it is ready."""
    async with _starting.setdefault((str(layout.root), project), trio.Lock()):
        return await _ensure_supervisor(layout, project, environ, standby)


async def serve_dns(layout: Layout, record: ContainerRecord, environ: Mapping[str, str],
                    standby: Standby | None = None) -> None:
    """Have the project's supervisor answer DNS in the container's namespace: a
    running one is asked for this container alone; otherwise one is started, and
    it serves every container it finds."""
    key = (str(layout.root), record.project)
    async with _starting.setdefault(key, trio.Lock()):
        if running_pid(layout, record.project) is None:
            await _ensure_supervisor(layout, record.project, environ, standby)
            return
    answer = await control.request(control.socket_path(layout, record.project),
                                   {"op": "dns", "container": record.id})
    if answer is None or str(answer.get("error", "")).startswith("unknown op"):
        await ensure_supervisor(layout, record.project, environ, standby)  # an older one


async def _ensure_supervisor(layout: Layout, project: str, environ: Mapping[str, str],
                             standby: Standby | None) -> int:
    pid = running_pid(layout, project)
    if pid is not None:
        answer = await control.request(control.socket_path(layout, project), {"op": "rescan"})
        if answer is not None and answer.get("ok"):
            return pid  # it watches what was just made
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGHUP)  # an older supervisor, without a socket
            return pid
    log = log_path(layout, project)
    if standby is not None and standby.go >= 0:
        read_fd = standby.take(project, log)  # already running, everything imported
    else:
        read_fd = await _spawn(project, environ, log)
    async with trio.lowlevel.FdStream(read_fd) as ready:
        with trio.move_on_after(READY_TIMEOUT):
            await ready.receive_some(1)  # a byte when ready, nothing if it gave up
    pid = running_pid(layout, project)
    if pid is None:
        failed = f"the supervisor of project {project} did not start"
        raise full_disk(log.parent, failed) or StateError(f"{failed}; see {log}")
    return pid


async def _spawn(project: str, environ: Mapping[str, str], log: Path) -> int:
    """A new supervisor process (no standby: ``adopt`` after a crash, say); the fd
    its readiness arrives on."""
    log.parent.mkdir(parents=True, exist_ok=True)
    read_fd, write_fd = os.pipe()
    try:
        with open(log, "ab") as out:
            await trio.lowlevel.open_process(
                [sys.executable, "-m", "compose", "-p", project, "supervise"],
                env={**supervisor_environ(environ), READY_FD: str(write_fd)},
                stdin=subprocess.DEVNULL,
                stdout=out, stderr=out, start_new_session=True, pass_fds=(write_fd,),
            )
    finally:
        os.close(write_fd)
    return read_fd


def signal_ready(environ: Mapping[str, str]) -> None:
    """In the supervisor: tell ``ensure_supervisor`` it holds the lock and runs."""
    fd = environ.get(READY_FD)
    if fd and fd.isdigit():
        with contextlib.suppress(OSError):
            os.write(int(fd), b".")
            os.close(int(fd))


async def adopt(layout: Layout, project: str, environ: Mapping[str, str],
                standby: Standby | None = None) -> None:
    """Make sure a project that has containers has its supervisor: after a crash of
    the old one (or a reboot), the next pycompose call for the project starts one,
    which takes over every container where its records say they are."""
    from common import state

    if running_pid(layout, project) is None and state.container_records(layout, project):
        await ensure_supervisor(layout, project, environ, standby)


async def stop_supervisor(layout: Layout, project: str) -> None:
    """End the project's supervisor, if it runs; its containers are left alone."""
    pid = running_pid(layout, project)
    if pid is None:
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    except OSError as exc:
        if exc.errno != errno.ESRCH:
            raise
        return
    with trio.move_on_after(10):
        await wait_for_exit(pid)
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


class ProjectSupervisors:
    """The engine's ``Supervisors`` for one state root: the functions above."""

    def __init__(self, layout: Layout, environ: Mapping[str, str],
                 standby: Standby | None = None) -> None:
        self.layout = layout
        self.environ = environ
        self.standby = standby

    async def ensure(self, project: str) -> None:
        await ensure_supervisor(self.layout, project, self.environ, self.standby)

    async def adopt(self, project: str) -> None:
        await adopt(self.layout, project, self.environ, self.standby)

    async def rescan(self, project: str) -> None:
        if running_pid(self.layout, project) is not None:
            await control.tell(control.socket_path(self.layout, project), {"op": "rescan"})

    async def stop(self, project: str) -> None:
        await stop_supervisor(self.layout, project)

    async def snapshot(self, project: str, since: int | None = None,
                       wait: float = 0.0) -> Snapshot | None:
        if running_pid(self.layout, project) is None:
            return None
        message: dict[str, object] = {"op": "snapshot"}
        if since is not None:
            message.update(since=since, wait=wait)
        answer = await control.request(control.socket_path(self.layout, project), message,
                                       timeout=wait + 10.0)
        data = (answer or {}).get("snapshot")
        return Snapshot.from_json(data) if isinstance(data, dict) else None

    async def dns_ready(self, record: ContainerRecord) -> bool:
        if not resolves_here(record):
            return True
        await serve_dns(self.layout, record, self.environ, self.standby)
        return await wait_ready(self.layout, record)
