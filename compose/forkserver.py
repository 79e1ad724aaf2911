"""The fork server: the interpreter, trio and every verb's modules imported once,
a child forked for each command (``common/forkclient.py`` is the command's side).

``python -m compose.forkserver <socket>``, started detached by a command that
found none.  It leaves the network namespace it was started in (a test's would
stay alive with it), imports, then listens.  For each command it receives the
arguments, environment, working directory, umask, the standard streams and the
command's network namespace, forks, and the child becomes the command: it enters
that namespace, takes that directory, mask, environment and those streams, and
runs ``compose.app.main`` as a fresh process would (``compose/forkchild.py``).
The child sends the command its pid before anything runs (a command without one
may run on its own: nothing of it ran here), the server its wait status once it
has ended; a command that goes away (killed) takes its child with it (SIGKILL), as
it would have died itself.

The child is forked ahead: ``SPARES`` spares (named ``SPARE_NAME`` while they
wait) are forked when the server starts and again once the command handed to the
last one has ended (``SPARE_AFTER``); each makes the pages it shares with the
server its own on idle CPU (``common/prefault.py``), then waits on a socket pair
for a command, which it is handed with the command's socket and descriptors.
The fork (3 ms here, its page tables copied) and the copies of pages a command
would fault on (10-20 ms) are then made while nobody waits for them.  Without a
spare (none yet, or it died) the server forks a child for the command at once.

A second server, ``python -m compose.forkserver <socket> supervisors``, imports
only what a supervisor imports (``SUPERVISING``) and forks the standby
supervisors of ``up`` and ``run`` (``compose/supervisor/standby.py``): each one
``detach``-ed, of a session of its own and nobody's child, handed its pipes (the
arguments' ``{fds}``).

A server refuses (and exits) once a file of the code it imported has changed, and exits
after ``IDLE`` seconds without a command or once its socket is another server's.
The modules it imports start no thread and open nothing: a fork copies only
the one thread, and the child closes the server's descriptors.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import marshal
import os
import select
import signal
import socket
import struct
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from common import forkclient, prefault
from common.changewatch import ChangeWatch
from compose import forkchild

IDLE = 900.0
"""Seconds without a command before the server exits."""
MORE_FDS = 4
"""Descriptors a request may hand its child beyond its streams and namespace."""
SPARE_NAME = "pycompose-spare"
"""A spare's process name (``/proc/PID/comm``) until it is handed a command."""
SPARES = 2
"""Spares kept: two commands in a row (``up`` then ``down``, a script's) each find
one that has made its memory its own (``common/prefault.py``) while nothing ran.
The supervisors' server keeps one, as it was (one ``up`` at a time asks it for a
supervisor, which runs beside that ``up``: its copies made ahead made no
difference)."""
SPARE_AFTER = 0.1
"""Seconds after a spare was handed a command before the next one is forked, once
no command of the server runs: the fork (and the copies of pages that follow it,
in the server and in the command) would take a core from the command starting."""
SPARE_BUSY_AFTER = 1.0
"""The same while commands run (one may run for long: ``logs -f``, ``up``)."""
LOOK_AGAIN = 10.0
"""Seconds between looks at the socket file while nothing happens."""
PACKAGES = ("common", "compose", "runtime", "network", "volumes")
PRELOADED = ("trio", "compose.app", "compose.wiring", "compose.supervisor.process",
             "network.driver", "runtime.image_backend", "runtime.oci.containers",
             "runtime.ocispec.servicespec", "volumes.driver")
"""What a command would import beyond its verb's module (imported with every verb).
The spec builder too, which a bundle imports when it is made (3-6 ms of each
``up`` and ``run``, Docker's seccomp profile included)."""
SUPERVISING = ("trio", "compose.app", "compose.wiring", "compose.cli.commands.supervise",
               "compose.supervisor.process", "compose.engine.context", "network.driver",
               "runtime.image_backend", "runtime.images.store", "runtime.oci.containers",
               "runtime.oci.runtime", "volumes.driver")
"""What a supervisor imports (``forkclient.SUPERVISORS``'s server: no verb but
``supervise``, so a supervisor forked from it holds no more than one started anew).
The image backend too: the image configs it reads (health checks, restarts) go
through it, and its import was 10-20 ms of CPU in each supervisor's first watch."""


@dataclass
class _Command:
    conn: socket.socket
    pid: int
    pidfd: int


@dataclass
class _Spare:
    """A child forked ahead of the next command, waiting on ``channel`` to be handed
    it: the fork (3 ms of each command's start here) is made while nobody waits."""
    pid: int
    channel: socket.socket


@dataclass
class _Server:
    listener: socket.socket
    path: str
    key: str
    code: ChangeWatch
    """The files of the code it imported: a change sends the server away."""
    inode: int
    """The socket file's: another server's socket in its place ends this one."""
    commands: dict[int, _Command] = field(default_factory=dict)  # by pidfd
    clients: dict[int, _Command] = field(default_factory=dict)  # by the conn's fd
    accepting: bool = True
    spares_kept: int = SPARES
    prefault: bool = True
    """Whether its spares make their memory their own ahead (``common/prefault.py``)."""
    spares: list[_Spare] = field(default_factory=list)
    """Forked ahead, oldest first (the first to have its memory of its own)."""
    handed_at: float = 0.0
    """When the last spare was handed a command (monotonic)."""


def main() -> None:
    path, role = sys.argv[1], "".join(sys.argv[2:3])
    text = forkclient.key()
    if forkclient.socket_path(text, role) != path:
        return  # not the server the command looked for (its code or limits differ)
    _leave_namespace()
    if role == forkclient.SUPERVISORS:
        preload_supervisor()
    else:
        preload()
    gc.collect()
    gc.freeze()  # what is loaded stays out of the children's collections: their pages
    listener = _listen(path)  # are copied only when written, and a collection writes
    serve(_Server(listener, path, text, ChangeWatch(code_files()), os.stat(path).st_ino,
                  spares_kept=1 if role == forkclient.SUPERVISORS else SPARES,
                  prefault=role != forkclient.SUPERVISORS))


def _leave_namespace() -> None:
    """Into the host's network namespace: the one the server was started in may be
    a test's, which must be freed when the test deletes it."""
    from network.nsthread import enter

    with contextlib.suppress(OSError):
        enter(Path("/proc/1/ns/net"))


def preload() -> None:
    """What a command would import: the CLI with every verb, trio, the engine and
    the backends, and the netlink library the netlink worker uses."""
    from compose.cli import main as cli
    from compose.spec import loadcache
    from network import netlink

    cli._compile_once()
    cli._before_trio()
    for name in PRELOADED:
        importlib.import_module(name)
    cli.command_modules()
    cli.prebuild_parsers(forkclient.SERVED)
    netlink.import_library()
    loadcache.warm()


def preload_supervisor() -> None:
    """What ``supervise --standby`` imports before it waits for its project."""
    from compose.cli import main as cli
    from compose.supervisor.plainlog import import_structlog

    cli._compile_once()
    cli._before_trio()
    import_structlog()
    for name in SUPERVISING:
        importlib.import_module(name)
    cli.prebuild_parsers(("supervise",))


def code_files() -> list[str]:
    """Each imported module file of pycompose, the interpreter and the directories
    code is imported from (a package installed or upgraded changes its
    site-packages)."""
    names = [sys.executable, __file__, *(p for p in sys.path[1:] if p)]  # __main__: ours
    for module in list(sys.modules.values()):
        name = getattr(module, "__file__", None)
        if name and getattr(module, "__name__", "").split(".")[0] in PACKAGES:
            names.append(name)
    return names


def _listen(path: str) -> socket.socket:
    """Bound under a temporary name and renamed into place: a command never finds
    a socket nobody listens on yet (a server found there is replaced)."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    temporary = f"{path}.{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temporary)
    listener.bind(temporary)
    listener.listen(64)
    os.rename(temporary, path)
    return listener


def serve(server: _Server) -> None:
    poller = select.poll()
    poller.register(server.listener, select.POLLIN)
    _make_spare(server)
    last = time.monotonic()
    while server.accepting or server.commands:
        events = poller.poll(_spare_due(server) * 1000)
        if server.commands or events:
            last = time.monotonic()
        elif time.monotonic() - last > IDLE:
            break
        # what each descriptor was as the poll answered: one closed while handling
        # this batch may come back as another's before its stale event is handled
        was = {fd: ("ended", c) for fd, c in server.commands.items()} | \
            {fd: ("gone", c) for fd, c in server.clients.items()}
        for fd, _ in events:
            try:
                _handle(server, poller, fd, was.get(fd))
            except Exception:  # one command's trouble never ends the server
                _note(server)
        if server.accepting and not _still_ours(server):
            _stop_accepting(server, poller)
        if _spare_due(server) <= 0:
            _make_spare(server)
    _drop_spares(server)
    if _still_ours(server):
        with contextlib.suppress(OSError):
            os.unlink(server.path)


def _handle(server: _Server, poller: select.poll, fd: int,
            was: tuple[str, _Command] | None) -> None:
    if server.accepting and fd == server.listener.fileno():
        _accept(server, poller)
    elif was is not None and was[0] == "ended" and server.commands.get(fd) is was[1]:
        _ended(server, poller, was[1])
    elif was is not None and was[0] == "gone" and server.clients.get(fd) is was[1]:
        server.clients.pop(fd)
        poller.unregister(fd)
        with contextlib.suppress(ProcessLookupError):
            os.kill(was[1].pid, signal.SIGKILL)  # its command is gone: so is it


def _note(server: _Server) -> None:
    """What went wrong, in ``<socket>.log`` beside the socket."""
    with contextlib.suppress(OSError), open(f"{server.path}.log", "a") as log:
        traceback.print_exc(file=log)


def _still_ours(server: _Server) -> bool:
    try:
        return os.stat(server.path).st_ino == server.inode
    except OSError:
        return False


def _stop_accepting(server: _Server, poller: select.poll) -> None:
    poller.unregister(server.listener)
    if _still_ours(server):
        with contextlib.suppress(OSError):
            os.unlink(server.path)
    server.listener.close()
    server.accepting = False
    _drop_spares(server)


def _accept(server: _Server, poller: select.poll) -> None:
    conn, _ = server.listener.accept()
    try:
        conn.settimeout(5)
        _, uid, _ = struct.unpack("3i", conn.getsockopt(
            socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
        if uid != os.getuid():
            raise ValueError("a command of another user")
        request, fds = _receive(conn)
    except (OSError, ValueError, EOFError):
        conn.close()
        return
    try:
        if request.get("key") != server.key or server.code.changed():
            with contextlib.suppress(OSError):
                conn.sendall(forkclient.REFUSED)
            if request.get("key") == server.key:
                _stop_accepting(server, poller)  # stale code: the next command starts anew
            conn.close()
            return
        pid = _hand_to_spare(server, conn, request, fds) or _fork(server, conn, request, fds)
    finally:
        for fd in fds:
            os.close(fd)
    command = _Command(conn, pid, os.pidfd_open(pid))
    server.commands[command.pidfd] = command
    poller.register(command.pidfd, select.POLLIN)
    if not request.get("detach"):  # a detached one is not the client's to take along:
        server.clients[conn.fileno()] = command  # its client may go once it has asked
        poller.register(conn, select.POLLIN)


def _receive(conn: socket.socket, least: int = 4) -> tuple[dict[str, object], list[int]]:
    """A request and its descriptors: at least ``least`` of them (a command's three
    streams and its namespace; a spare is handed the command's socket first)."""
    data, fds, _, _ = socket.recv_fds(conn, 65536, least + MORE_FDS)
    if not data and not fds:
        raise EOFError
    if len(fds) < least:
        for fd in fds:
            os.close(fd)
        raise ValueError("a command sends its three streams and its namespace")
    try:
        while len(data) < 4:
            data += _more(conn)
        size = struct.unpack("!I", data[:4])[0]
        while len(data) < 4 + size:
            data += _more(conn)
        request = marshal.loads(data[4:4 + size])
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise
    return request, fds


def _more(conn: socket.socket) -> bytes:
    chunk = conn.recv(65536)
    if not chunk:
        raise EOFError
    return chunk


def _ended(server: _Server, poller: select.poll, command: _Command) -> None:
    _, status = os.waitpid(command.pid, 0)
    poller.unregister(command.pidfd)
    os.close(command.pidfd)
    del server.commands[command.pidfd]
    if server.clients.pop(command.conn.fileno(), None) is not None:
        poller.unregister(command.conn)
        with contextlib.suppress(OSError):
            command.conn.sendall(forkclient.STATUS + struct.pack("!i", status))
    command.conn.close()


def _fork(server: _Server, conn: socket.socket, request: dict[str, object],
          fds: list[int]) -> int:
    """A child forked now for the command (no spare was there to take it)."""
    pid = os.fork()
    if pid:
        return pid
    _let_go(server)
    forkchild.be_command(conn, request, fds)


def _spare_due(server: _Server) -> float:
    """Seconds until the next spare is to be forked (``LOOK_AGAIN`` when none is)."""
    if len(server.spares) >= server.spares_kept or not server.accepting:
        return LOOK_AGAIN
    after = SPARE_BUSY_AFTER if server.commands else SPARE_AFTER
    return max(0.0, min(LOOK_AGAIN, server.handed_at + after - time.monotonic()))


def _make_spare(server: _Server) -> None:
    """Fork a spare for a command to come, unless it has its ``spares_kept``."""
    if len(server.spares) >= server.spares_kept or not server.accepting:
        return
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    try:
        pid = os.fork()
    except OSError:  # no process to spare now: the next command is forked for itself
        ours.close()
        theirs.close()
        server.handed_at = time.monotonic()  # and another try later
        return
    if pid:
        theirs.close()
        server.spares.append(_Spare(pid, ours))
        return
    name = _rename(SPARE_NAME)  # first: it is a spare, not a command, while it copies
    idle = not server.commands
    ours.close()
    _let_go(server)
    if server.prefault and idle:  # not while a command runs (a long up): beside it,
        waiting = select.poll()    # even on idle CPU, the copying slowed it
        waiting.register(theirs, select.POLLIN)
        prefault.make_private(lambda: bool(waiting.poll(0)))
    try:
        request, fds = _receive(theirs, least=5)
    except BaseException:  # the server is gone (or dropped it): nothing ran here
        os._exit(0)
    theirs.close()
    if name:
        _rename(name)
    forkchild.be_command(socket.socket(fileno=fds[0]), request, fds[1:])


def _rename(name: str) -> str:
    """This process's name set to ``name``; the name it had ("" if unknown)."""
    try:
        with open("/proc/self/comm", "r+") as comm:
            was = comm.read().strip()
            comm.seek(0)
            comm.write(name)
    except OSError:
        return ""
    return was


def _hand_to_spare(server: _Server, conn: socket.socket, request: dict[str, object],
                   fds: list[int]) -> int | None:
    """The spare's pid once it has the command; None when there is none (or it died:
    the caller forks one for it)."""
    if not server.spares:
        return None
    spare = server.spares.pop(0)
    # it may be copying its pages at idle priority: on busy cores it would not run
    # to see its command for long, so it is given the usual policy first
    with contextlib.suppress(OSError):
        os.sched_setscheduler(spare.pid, os.SCHED_OTHER, os.sched_param(0))
    payload = marshal.dumps(request)
    message = struct.pack("!I", len(payload)) + payload
    try:
        sent = socket.send_fds(spare.channel, [message], [conn.fileno(), *fds])
        if sent < len(message):
            spare.channel.sendall(message[sent:])
    except OSError:
        _end_spare(spare)
        return None
    spare.channel.close()
    server.handed_at = time.monotonic()
    return spare.pid


def _drop_spares(server: _Server) -> None:
    while server.spares:
        _end_spare(server.spares.pop())


def _end_spare(spare: _Spare) -> None:
    """Its channel closed (it exits when it sees that) and the spare reaped."""
    spare.channel.close()
    with contextlib.suppress(ProcessLookupError):
        os.kill(spare.pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(spare.pid, 0)


def _let_go(server: _Server) -> None:
    """In a child: the server's descriptors closed (its listener, its code watch,
    the other commands' sockets and pidfds, a spare's channel)."""
    server.listener.close()
    server.code.close()
    for command in server.commands.values():
        os.close(command.pidfd)
        command.conn.close()
    for spare in server.spares:
        spare.channel.close()


if __name__ == "__main__":
    main()
