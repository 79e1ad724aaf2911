"""The OCI runtime driver: runc (or crun) under conmon.

conmon creates each container (``runc create``), keeps its stdio, writes
timestamped k8s-file logs and, when the container ends, its exit code to
``<exits>/<id>``; it detaches and outlives pycompose.  We talk to conmon only
through files it writes and to the runtime through its CLI.  Waiting for an exit
uses a pidfd on conmon, so nothing polls.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal as signal_module
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import trio

from common.errors import PycomposeError, RuntimeFailure, full_disk
from common.paths import Layout
from common.processes import wait_for_exit
from common.statefiles import write_atomic
from runtime.oci.execfifo import start_created
from runtime.oci.runcdelete import delete_stopped
from runtime.oci.runcstate import read_state, state_file

CONMON = "conmon"


@dataclass(frozen=True)
class Runtime:
    name: str
    path: str


def _which(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")


@cache
def _conmon_path() -> str:
    """conmon's path, looked up once per process: a search of PATH was a tenth of
    a command's own work in an ``up`` of 20 containers, once per container."""
    return _which(CONMON) or CONMON


# Docker's names for runc.
_ALIASES = {"io.containerd.runc.v2": "runc", "io.containerd.runc.v1": "runc"}


def named_runtime(name: str) -> Runtime:
    """The OCI runtime a service's ``runtime:`` names, if it is installed."""
    wanted = _ALIASES.get(name, name)
    path = wanted if os.path.isabs(wanted) and os.access(wanted, os.X_OK) else _which(wanted)
    if path is None:
        raise RuntimeFailure(f"runtime {name!r} is not installed on this host")
    return Runtime(os.path.basename(wanted), path)


async def detect_runtime(layout: Layout, environ: dict[str, str] | None = None) -> Runtime:
    """``PYCOMPOSE_RUNTIME`` if set; else crun if it really runs a container here
    (it refuses hybrid cgroup hosts), else runc.  The probe's answer is cached in
    ``layout.runtime_choice`` (a file under /run, for every root), so it runs once
    per boot."""
    env = os.environ if environ is None else environ
    wanted = env.get("PYCOMPOSE_RUNTIME")
    if wanted:
        path = _which(wanted)
        if path is None:
            raise RuntimeFailure(f"PYCOMPOSE_RUNTIME={wanted}: not found")
        return Runtime(os.path.basename(wanted), path)
    cache = layout.runtime_choice
    try:
        name, path = cache.read_text().split("\n", 1)
        if os.access(path.strip(), os.X_OK):
            return Runtime(name, path.strip())
    except (FileNotFoundError, ValueError):
        pass
    chosen: Runtime | None = None
    crun = _which("crun")
    if crun and await _probe(layout, crun):
        chosen = Runtime("crun", crun)
    if chosen is None:
        runc = _which("runc")
        if runc is None:
            raise RuntimeFailure("no OCI runtime found: install the runc package")
        chosen = Runtime("runc", runc)
    write_atomic(cache, f"{chosen.name}\n{chosen.path}".encode())
    return chosen


async def _probe(layout: Layout, runtime: str) -> bool:
    """Run ``true`` from a throwaway bundle; False if the runtime cannot."""
    busybox = _which("busybox")
    if busybox is None:
        return False
    layout.run.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="probe-", dir=layout.run) as tmp:
        bundle = Path(tmp)
        (bundle / "rootfs" / "bin").mkdir(parents=True)
        shutil.copy(busybox, bundle / "rootfs" / "bin" / "busybox")
        config = {
            "ociVersion": "1.0.2",
            "process": {"args": ["/bin/busybox", "true"], "cwd": "/", "user": {"uid": 0, "gid": 0},
                        "env": ["PATH=/bin"]},
            "root": {"path": "rootfs"},
            "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
            "linux": {"namespaces": [{"type": t} for t in ("pid", "mount", "ipc", "uts")]},
        }
        (bundle / "config.json").write_text(json.dumps(config))
        result = await trio.run_process(
            [runtime, "--root", str(bundle / "state"), "run", "--bundle", str(bundle),
             f"pycompose-probe-{os.getpid()}"],
            capture_stdout=True, capture_stderr=True, check=False, stdin=b"",
        )
        return result.returncode == 0


class OciRuntime:
    """Create, start, signal and delete containers; read what conmon recorded."""

    def __init__(self, layout: Layout, runtime: Runtime) -> None:
        self.layout = layout
        self.runtime = runtime

    def _base(self) -> list[str]:
        return [self.runtime.path, "--root", str(self.layout.runc_root)]

    async def _run(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        return await trio.run_process(
            [*self._base(), *args], capture_stdout=True, capture_stderr=True, check=False,
            stdin=b"",
        )

    def attach_socket(self, container_id: str) -> Path:
        """conmon's attach socket (SOCK_SEQPACKET) for the container's stdio."""
        return self.layout.sockets / container_id[:32] / "attach"

    async def create(self, container_id: str, name: str, bundle: Path, log_path: Path, *,
                     terminal: bool = False, stdin: bool = False,
                     stdin_once: bool = False, log_size_max: int | None = None) -> int:
        """Create the container under conmon; returns the container's init pid.
        ``terminal``: conmon gives it a pseudo-terminal; ``stdin``: conmon keeps its
        stdin open for whoever attaches, and past each client that leaves unless
        ``stdin_once`` (Docker's ``StdinOnce``: the client that started it owns its
        stdin, whose end is the container's); ``log_size_max``: past this many bytes
        conmon starts the log file anew."""
        for directory in (self.layout.runc_root, self.layout.exits, self.layout.sockets):
            directory.mkdir(parents=True, exist_ok=True)
        for stale in (self.layout.exits / container_id, bundle / ".pid"):
            # an exit code of an earlier run; runc's temporary pid file, left by a
            # create that failed (a full disk), which runc refuses to overwrite
            with contextlib.suppress(FileNotFoundError):
                os.unlink(stale)
        read_fd, write_fd = os.pipe()
        os.set_inheritable(write_fd, True)
        argv = [
            _conmon_path(), "--api-version", "1",
            "-c", container_id, "-u", container_id[:32], "-n", name,
            "-r", self.runtime.path,
            "--runtime-arg", "--root", "--runtime-arg", str(self.layout.runc_root),
            "-b", str(bundle),
            "-p", str(bundle / "pid"), "-P", str(bundle / "conmon.pid"),
            "-l", f"k8s-file:{log_path}",
            "--exit-dir", str(self.layout.exits),
            "--socket-dir-path", str(self.layout.sockets),
            "--log-level", "warning",
        ]
        if log_size_max:
            argv += ["--log-size-max", str(log_size_max)]
        if terminal:
            argv.append("-t")
        if stdin:
            argv.append("-i")
            if not stdin_once:
                argv.append("--leave-stdin-open")
        env = {**os.environ, "_OCI_SYNCPIPE": str(write_fd)}
        try:
            with open(bundle / "conmon.err", "ab") as errlog:
                before = errlog.tell()  # what earlier runs wrote is not this one's
                returncode = await _run_conmon(argv, env, write_fd, errlog.fileno())
        except OSError as exc:
            os.close(read_fd)
            raise RuntimeFailure(f"cannot run conmon: {exc} (install the conmon package)") from None
        finally:
            os.close(write_fd)
        if returncode != 0:
            os.close(read_fd)
            raise conmon_failure(name, bundle, returncode, before)
        async with trio.lowlevel.FdStream(read_fd) as stream:
            message = await _read_sync(stream)
        pid = message.get("data")
        if not isinstance(pid, int) or pid <= 0:
            detail = str(message.get("message") or "conmon reported no pid").strip()
            raise RuntimeFailure(f"cannot create container {name}: {_last_line(detail)}")
        return pid

    async def start(self, container_id: str, name: str) -> None:
        if self.runtime.name == "runc" and await trio.to_thread.run_sync(
                start_created, self.layout.runc_root, container_id, name):
            return  # runc's start done here (execfifo.py)
        result = await self._run("start", container_id)
        if result.returncode != 0:
            raise RuntimeFailure(f"cannot start {name}: {_stderr(result)}")

    async def kill(self, container_id: str, signal: str | int) -> bool:
        """Send a signal to the container's init; False if it is not running.  With
        runc the signal goes straight to the init process through a pidfd (what
        ``runc kill`` does, without a process of its own)."""
        sig = signal if isinstance(signal, str) else signal_module.Signals(signal).name
        name = sig if sig.startswith("SIG") else f"SIG{sig}"
        if self.runtime.name == "runc" and name in signal_module.Signals.__members__:
            sent = _signal_init(read_state(self.layout.runc_root, container_id),
                                signal_module.Signals[name])
            if sent is not None:
                return sent
        result = await self._run("kill", container_id, sig.removeprefix("SIG"))
        return bool(result.returncode == 0)

    async def pause(self, container_id: str, name: str) -> None:
        """Freeze every process of the container (the freezer cgroup)."""
        result = await self._run("pause", container_id)
        if result.returncode != 0:
            raise RuntimeFailure(f"cannot pause {name}: {_stderr(result)}")

    async def resume(self, container_id: str, name: str) -> None:
        result = await self._run("resume", container_id)
        if result.returncode != 0:
            raise RuntimeFailure(f"cannot unpause {name}: {_stderr(result)}")

    async def update(self, container_id: str, name: str, resources: dict[str, Any]) -> None:
        """Change the cgroup limits of a running container (OCI ``linux.resources``)."""
        result = await trio.run_process(
            [*self._base(), "update", "--resources", "-", container_id],
            stdin=json.dumps(resources).encode(), capture_stdout=True, capture_stderr=True,
            check=False)
        if result.returncode != 0:
            raise RuntimeFailure(f"cannot update {name}: {_stderr(result)}")

    async def pids(self, container_id: str) -> list[int]:
        """Host pids of the container's processes."""
        result = await self._run("ps", "--format", "json", container_id)
        if result.returncode != 0:
            return []
        value = json.loads(result.stdout or b"[]")
        return [int(p) for p in value or []]

    def exec_argv(self, container_id: str, process_file: Path, *, tty: bool,
                  detach: bool) -> list[str]:
        """``runtime exec`` of a process spec: in the foreground, the runtime relays
        stdio and signals itself (and with ``tty``, owns the terminal)."""
        argv = [*self._base(), "exec", "--process", str(process_file)]
        if tty:
            argv.append("--tty")
        if detach:
            argv.append("--detach")
        return [*argv, container_id]

    async def delete(self, container_id: str) -> None:
        if self.runtime.name == "runc" and await trio.to_thread.run_sync(
                delete_stopped, self.layout.runc_root, container_id):
            return  # a stopped container deleted here (runcdelete.py)
        result = await self._run("delete", "--force", container_id)
        if result.returncode != 0 and b"does not exist" not in result.stderr:
            raise RuntimeFailure(f"cannot delete container {container_id[:12]}: {_stderr(result)}")

    async def state(self, container_id: str) -> dict[str, Any] | None:
        """``runtime state``: ``{"id", "pid", "status"...}``, None when it knows no such
        container.  runc's is read from its state directory (``runcstate.py``); runc
        itself is asked only about a state file there that cannot be read.  Without
        the file (a ``runc create`` under way has made the directory, not yet the
        file) runc knows no such container either, and a supervisor observing 20
        containers being created would run a runc process for each."""
        if self.runtime.name == "runc":
            known = read_state(self.layout.runc_root, container_id)
            if known is not None or not state_file(self.layout.runc_root, container_id).exists():
                return known
        result = await self._run("state", container_id)
        if result.returncode != 0:
            return None
        value: dict[str, Any] = json.loads(result.stdout)
        return value

    def exit_code(self, container_id: str) -> int | None:
        """The exit code conmon recorded, or None while it has not recorded one."""
        try:
            text = (self.layout.exits / container_id).read_text().strip()
        except FileNotFoundError:
            return None
        try:
            return int(text)
        except ValueError:
            return None

    def forget_exit(self, container_id: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.layout.exits / container_id)


def _signal_init(state: dict[str, Any] | None,
                 signal: signal_module.Signals) -> bool | None:
    """Signal the init process ``state`` names; None when runc must be asked."""
    if state is None:
        return None
    if state["status"] == "stopped" or not state["pid"]:
        return False
    try:
        fd = os.pidfd_open(state["pid"])
    except ProcessLookupError:
        return False
    try:
        signal_module.pidfd_send_signal(fd, signal)
    except ProcessLookupError:
        return False
    finally:
        os.close(fd)
    return True


def conmon_pid(bundle: Path, container_id: str) -> int | None:
    """conmon's pid if that conmon still runs for this container."""
    try:
        pid = int((bundle / "conmon.pid").read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None
    args = cmdline.split(b"\0")
    if not args or not args[0].endswith(b"conmon") or container_id.encode() not in args:
        return None
    return pid


async def _run_conmon(argv: list[str], env: dict[str, str], sync_fd: int, errlog: int) -> int:
    """conmon's first process (it forks the one that stays, then ends): spawned on
    the event loop's thread, where ``vfork`` and ``exec`` take under a millisecond
    (``trio.run_process`` hands the spawn to a worker thread, whose round trip
    took 1-4 ms of each container's start), and awaited through a pidfd.  Its
    exit status; cancelled, it is ended and reaped as ``trio.run_process`` would."""
    # vfork: the loop waits 0.3 ms (measured here), less than a thread's round trip
    process = subprocess.Popen(argv, env=env, pass_fds=(sync_fd,),  # noqa: ASYNC220
                               stdin=subprocess.DEVNULL, stdout=errlog, stderr=errlog)
    try:
        await wait_for_exit(process.pid)
    except BaseException:
        with trio.CancelScope(shield=True):
            process.terminate()
            await trio.to_thread.run_sync(process.wait)
        raise
    return process.wait()


async def _read_sync(stream: trio.lowlevel.FdStream) -> dict[str, Any]:
    data = b""
    while b"\n" not in data:
        chunk = await stream.receive_some(4096)
        if not chunk:
            break
        data += chunk
    try:
        value = json.loads(data.split(b"\n", 1)[0] or b"{}")
    except ValueError:
        return {"message": data.decode(errors="replace")}
    return value if isinstance(value, dict) else {}


def conmon_failure(name: str, bundle: Path, returncode: int,
                   since: int = 0) -> PycomposeError:
    """Why conmon failed, as far as can be told: a full disk (conmon then cannot
    even say so, in ``conmon.err`` or anywhere), else its last words, written to
    ``conmon.err`` past ``since`` (the earlier runs' are there before)."""
    failed = f"conmon failed for {name} (exit {returncode})"
    full = full_disk(bundle, failed)
    if full is not None:
        return full
    try:
        with open(bundle / "conmon.err", "rb") as errlog:
            errlog.seek(since)
            said = errlog.read().decode(errors="replace")
    except OSError:
        said = ""
    return RuntimeFailure(f"{failed}: {_last_line(said)}" if said.strip() else failed)


def _stderr(result: subprocess.CompletedProcess[bytes]) -> str:
    return _last_line(result.stderr.decode(errors="replace"))


def _last_line(text: str) -> str:
    """runc prints logrus lines (``time=... level=error msg="..."``); keep the message."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return "unknown error"
    line = lines[-1]
    if 'msg="' in line:
        line = line.split('msg="', 1)[1].rsplit('"', 1)[0]
    return line.replace('\\"', '"')
