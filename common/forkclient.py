"""The command's side of the fork server (``compose/forkserver.py``).

Most of a short command's time is its interpreter importing trio, attrs, the
engine and the backends (0.1-0.2 s of CPU, every command).  A fork server has
imported them once; a command that finds one sends it its arguments, environment,
working directory, umask, standard streams and network namespace, and the server
forks a child that runs the command as this process would have.  Meanwhile this
process forwards the signals it gets (Ctrl-C) to the child and, once the child
has ended, ends the same way (its exit status, or the signal that killed it).

Nothing here imports more than the standard library's small modules: a command
that finds no server runs as before and starts one at its end
(``start_server``), for the next command.  ``PYCOMPOSE_FORKSERVER=0`` turns the
server off; a server answers only commands of the same interpreter, code, user,
mount and PID namespaces and resource limits (its socket is named for them), and
refuses once any of its modules' files has changed (then exits).
"""

from __future__ import annotations

# The C modules behind ``signal`` and ``socket``: the same calls on plain numbers,
# without the enums those build at their import (4-5 ms of every command here).
import _signal as signal  # type: ignore[import-not-found]
import _socket as socket
import os
import struct
import sys
import zlib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

VARIABLE = "PYCOMPOSE_FORKSERVER"
DEFAULT = "1"
"""On unless ``PYCOMPOSE_FORKSERVER=0``."""
DIRECTORY = "/run/pycompose.forkserver"
SUPERVISORS = "supervisors"
"""The second server's role: supervisors forked from what ``supervise`` imports
(a command's server has imported every verb, which a supervisor would keep)."""
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
             signal.SIGUSR2, signal.SIGWINCH)

# what the server answers: the child's pid; its wait status; "not served"
PID, STATUS, REFUSED = b"P", b"S", b"X"


SERVED = frozenset({
    "up", "down", "ps", "stop", "start", "restart", "kill", "rm", "pause", "unpause",
    "create", "logs", "top", "port", "images", "ls", "events", "wait", "exec", "run",
    "cp", "scale", "pull", "push", "build", "config", "volumes", "volume", "image",
    "inspect", "convert", "export", "commit", "save", "load", "import", "publish",
})
"""Verbs a server runs.  Not ``supervise`` (the supervisor), ``version`` (faster
on its own), nor what a terminal is given to: ``attach``, ``dashboard``,
``watch``, ``login`` (a password prompt), ``stats``."""
GIVE_THE_TERMINAL = frozenset({"exec", "run"})
"""Verbs that hand a terminal on standard input to the container: run on their own
then (a terminal's job control and size belong to the command's process)."""


def servable(argv: Sequence[str], environ: Mapping[str, str], *,
             terminal_in: bool) -> bool:
    """Whether to ask a server for this command line (``terminal_in``: standard
    input is a terminal)."""
    from common.argv import requested_verb

    if environ.get(VARIABLE, DEFAULT) != "1" or any(w in ("-h", "--help") for w in argv):
        return False
    verb = requested_verb(argv)
    if verb not in SERVED:
        return False
    return verb not in GIVE_THE_TERMINAL or not terminal_in


def key() -> str:
    """What a server must share with the command to run it as the command would
    run: the interpreter and what its start reads from the environment (``PYTHON*``,
    ``LD_*``), where the code is imported from, the user, groups and capabilities,
    the mount and PID namespaces, the resource limits (a child cannot raise a hard
    one)."""
    import resource

    limits = [resource.getrlimit(getattr(resource, name)) for name in dir(resource)
              if name.startswith("RLIMIT_")]
    namespaces = [os.stat(f"/proc/self/ns/{kind}").st_ino for kind in ("mnt", "pid", "user")]
    starting = sorted((k, v) for k, v in os.environ.items() if k.startswith(("PYTHON", "LD_")))
    # sys.path[0] is the command's own place (the script's directory, or the working
    # directory of ``python -m``), not where the code comes from
    return repr((sys.executable, sys.path[1:], sys.flags, starting, _credentials(),
                 namespaces, limits, _code_directory()))


def _credentials() -> list[str]:
    """User, groups, capabilities, no_new_privs and seccomp, as the kernel says."""
    with open("/proc/self/status") as status:
        return [line for line in status if line.startswith(
            ("Uid", "Gid", "Groups", "Cap", "NoNewPrivs", "Seccomp"))]


def _code_directory() -> str:
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def socket_path(text: str, role: str = "") -> str:
    """The socket of the server for ``text`` (a key): the commands' one, or the one
    supervisors are forked from (``role``: ``SUPERVISORS``)."""
    data = text.encode()
    name = f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"
    return f"{DIRECTORY}/{name}{'.' + role if role else ''}.sock"


def socket_paths() -> list[str]:
    """Both servers' sockets for this process's key (a server exits once its socket
    is gone: how a benchmark or a test stops its own)."""
    text = key()
    return [socket_path(text), socket_path(text, SUPERVISORS)]


def request(argv: Sequence[str], text: str, environ: Mapping[str, str] | None = None, *,
            detach: bool = False) -> bytes:
    """The command, marshalled (both ends are the same interpreter: the key,
    ``text``), with ``environ`` (this process's by default); ``detach``: a process
    of its own session, nobody's child (``spawn_detached``)."""
    import marshal

    mask = os.umask(0o022)
    os.umask(mask)
    message: dict[str, object] = {
        "key": text, "argv": list(argv), "cwd": os.getcwd(), "umask": mask,
        "env": dict(os.environ if environ is None else environ)}
    if detach:
        message["detach"] = True
    return marshal.dumps(message)


def run_served(argv: Sequence[str]) -> int | None:
    """Run the command (``argv``: ``sys.argv``, the program's name first) in a
    server's child; its exit status (this process has been killed the way the
    child was), or None when no server would run it."""
    try:
        if not _private(DIRECTORY):
            return None  # the environment goes there: only to a directory of this user's
        text = key()
        conn = _connect(socket_path(text))
    except OSError:
        return None
    try:
        forwarding = _Forwarding()  # a Ctrl-C from now on is the child's
        try:
            netns = os.open("/proc/self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
            try:
                _send(conn, request(argv, text), [0, 1, 2, netns])
            finally:
                os.close(netns)
        except OSError:
            forwarding.give_back()
            return None
        return _follow(conn, forwarding)
    finally:
        conn.close()


def _connect(path: str, timeout: float | None = None) -> socket.socket:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    try:
        conn.settimeout(timeout)
        conn.connect(path)
    except BaseException:
        conn.close()
        raise
    return conn


def _send(conn: socket.socket, payload: bytes, fds: Sequence[int]) -> None:
    """The request, its size first, and the descriptors.  Nothing is sent once it is
    whole: a short command may have run and ended, and the server closed, by then
    (a send of nothing would fail, as if it had not been served)."""
    message = struct.pack("!I", len(payload)) + payload
    rights = struct.pack(f"{len(fds)}i", *fds)
    sent = conn.sendmsg([message], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, rights)])
    if sent < len(message):
        conn.sendall(message[sent:])


class _Forwarding:
    """Signals this process gets go to the child; those that came before its pid
    is known wait for it (or, if none is made, are this process's again)."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.pending: list[int] = []
        self.before = {number: signal.signal(number, self._forward) for number in FORWARDED}
        self.before[signal.SIGTSTP] = signal.signal(signal.SIGTSTP, self._suspend)

    def _suspend(self, _signum: int, _frame: object) -> None:
        """Ctrl-Z: the child stops, then this process as the shell expects; once
        continued (``fg``, ``bg``), the child goes on too.  Before the child's pid
        is known, the stop waits for it (``to``): stopped first, this process could
        not hear it, and the child would run on."""
        if self.pid is None:
            self.pending.append(signal.SIGTSTP)
            return
        _kill(self.pid, signal.SIGSTOP)  # SIGSTOP: the server's process group is
        signal.signal(signal.SIGTSTP, signal.SIG_DFL)  # orphaned, where SIGTSTP is dropped
        os.kill(os.getpid(), signal.SIGTSTP)  # stopped here until a SIGCONT
        signal.signal(signal.SIGTSTP, self._suspend)
        _kill(self.pid, signal.SIGCONT)

    def _forward(self, signum: int, _frame: object) -> None:
        if self.pid is None:
            self.pending.append(signum)
            return
        _kill(self.pid, signum)

    def to(self, pid: int) -> None:
        self.pid = pid
        for number in self.pending:
            if number == signal.SIGTSTP:
                self._suspend(number, None)
            else:
                self._forward(number, None)

    def give_back(self) -> None:
        """No child after all: the signals' handlers as they were, and a pending
        Ctrl-C raised here."""
        for number, handler in self.before.items():
            if handler is not None:
                signal.signal(number, handler)
        for signum in self.pending:
            signal.raise_signal(signum)


def _kill(pid: int, number: int) -> None:
    try:
        os.kill(pid, number)
    except ProcessLookupError:
        return  # gone already


def _private(directory: str) -> bool:
    info = os.stat(directory)
    return info.st_uid == os.getuid() and not info.st_mode & 0o077


def _follow(conn: socket.socket, forwarding: _Forwarding) -> int | None:
    """Forward signals to the child until its status arrives."""
    answer = _receive(conn, 5)
    if answer is None or answer[:1] != PID:
        forwarding.give_back()
        return None
    pid = struct.unpack("!i", answer[1:])[0]
    forwarding.to(pid)
    answer = _receive(conn, 5)
    if answer is None or answer[:1] != STATUS:
        _outlive(pid)  # the server died under its child: its status is lost
        return 1
    return _end_like(struct.unpack("!i", answer[1:])[0])


def _outlive(pid: int) -> None:
    """Wait for the end of a process that is not this one's child."""
    import select

    try:
        fd = os.pidfd_open(pid)
    except OSError:
        return
    try:
        while not select.select([fd], [], [])[0]:
            pass
    finally:
        os.close(fd)


def _receive(conn: socket.socket, size: int) -> bytes | None:
    """``size`` bytes, or None if the server closed (or reset: a server that stops
    listening resets the connections it has not accepted) before sending them."""
    data = b""
    while len(data) < size:
        try:
            chunk = conn.recv(size - len(data))
        except OSError:
            return None
        if not chunk:
            return None
        data += chunk
    return data


def _end_like(status: int) -> int:
    """The exit status to leave with; a child killed by a signal kills this process
    with the same signal (a shell, or a test, sees what it would have seen)."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
        return 128 + number
    return os.waitstatus_to_exitcode(status)


def spawn_detached(argv: Sequence[str], environ: Mapping[str, str],
                   fds: Sequence[int]) -> Detached | None:
    """Ask the supervisors' server to fork ``argv`` (the program's name first; the
    word ``{fds}`` in it becomes the numbers ``fds`` have in the child) as a process
    of its own session, with ``environ``, this directory and namespace, standard
    streams on /dev/null.  None when there is no server to ask (then it is started
    for next time); else the request, whose answer is read when needed."""
    try:
        if environ.get(VARIABLE, DEFAULT) != "1" or not _private(DIRECTORY):
            return None
        text = key()
        try:
            conn = _connect(socket_path(text, SUPERVISORS), timeout=5)
        except (FileNotFoundError, ConnectionRefusedError):
            if os.path.exists(socket_path(text)):  # gone idle beside the commands' one:
                start_server((SUPERVISORS,))  # for next time (else a command that
            return None                       # starts both at its end runs)
        try:
            payload = request(argv, text, environ, detach=True)
            null = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
            netns = os.open("/proc/self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
            try:
                _send(conn, payload, [null, null, null, netns, *fds])
            finally:
                os.close(null)
                os.close(netns)
        except BaseException:
            conn.close()
            raise
    except OSError:
        return None
    return Detached(conn)


class Detached:
    """A process asked of the supervisors' server: the command goes on while the
    server forks it, and reads the answer only when it needs the process."""

    def __init__(self, conn: socket.socket) -> None:
        self._conn: socket.socket | None = conn

    def pid(self) -> int | None:
        """Its pid, or None when the server refused (its code changed) or failed."""
        if self._conn is None:
            return None
        answer = _receive(self._conn, 5)
        self.close()
        if answer is None or answer[:1] != PID:
            return None
        return int(struct.unpack("!i", answer[1:])[0])

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def start_server(roles: Sequence[str] = ("", SUPERVISORS)) -> None:
    """Start fork servers for the next commands (detached, in the background): the
    commands' one and the supervisors' one."""
    import subprocess

    try:
        os.makedirs(DIRECTORY, mode=0o700, exist_ok=True)
        if not _private(DIRECTORY):
            return
        text = key()
        for role in roles:
            # a supervisor's glibc keeps two malloc arenas (standby.supervisor_environ)
            env = {"MALLOC_ARENA_MAX": "2", **os.environ} if role else None
            subprocess.Popen(
                [sys.executable, "-m", "compose.forkserver", socket_path(text, role),
                 *([role] if role else [])], env=env,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True, cwd="/")
    except OSError:
        pass  # the next command runs on its own, as this one did
