"""A fork server's child becoming the command (``compose/forkserver.py`` forks it).

The child tells the command its pid (or, for a supervisor, detaches and tells
the grandchild's), takes the command's namespace, directory, mask, environment
and streams, and runs ``compose.app.main`` as a fresh interpreter would; it ends
as that interpreter would have ended, with the command's status or killed by the
same signal, and tells the command its status before its own teardown.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import struct
import sys
import traceback

from common import forkclient

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn


def be_command(conn: socket.socket, request: dict[str, object], fds: list[int]) -> NoReturn:
    """The child's life as the command: its pid told, then the command run; the
    process ends with the command's status."""
    code = 70
    try:
        if request.get("detach"):
            _detach(conn)
            conn.close()
        else:  # the child says its pid itself, before anything runs: a command that
            # got no pid may run on its own, as nothing of it ran here
            conn.sendall(forkclient.PID + struct.pack("!i", os.getpid()))
            app_ending(conn)
        become_command(request, fds)
        code = 0
    except SystemExit as exc:  # argparse's usage errors, sys.exit: as the interpreter ends
        code = _exit_status(exc)
    except KeyboardInterrupt:
        code = -signal.SIGINT
    except BaseException:
        with contextlib.suppress(BaseException):
            traceback.print_exc()
        code = 1
    finally:
        _end(code)


def app_ending(conn: socket.socket) -> None:
    """The command's exit status goes to it as soon as the command is done, its
    output flushed and its streams closed: the command ends while this process's
    teardown (its memory, its netlink sockets' close: 5-15 ms) goes on.  An end by
    a signal is still told by the server, once this process is reaped."""
    from compose import app

    def tell(code: int) -> None:
        for fd in (0, 1, 2):  # whoever reads the command's output sees its end
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(OSError):
            conn.sendall(forkclient.STATUS + struct.pack("!i", (code & 0xFF) << 8))

    app.ending = tell


def _detach(conn: socket.socket) -> None:
    """Go on as a process of a session of its own that is nobody's child (a
    supervisor): this child forks it, sends its pid, and ends (its status follows
    the pid)."""
    os.setsid()
    pid = os.fork()
    if pid:
        with contextlib.suppress(OSError):
            conn.sendall(forkclient.PID + struct.pack("!i", pid))
        os._exit(0)


def _exit_status(exc: SystemExit) -> int:
    if exc.code is None or isinstance(exc.code, int):
        return exc.code or 0
    with contextlib.suppress(BaseException):
        print(exc.code, file=sys.stderr)
    return 1


def _end(code: int) -> NoReturn:
    """End the child as an interpreter would have ended the command: flushed, with
    its status, or killed by SIGINT (an uncaught Ctrl-C)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BaseException):
            stream.flush()
    from compose import app  # preloaded in either role

    if code >= 0 and app.ending is not None:
        app.ending(code)
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    os._exit(code)


def become_command(request: dict[str, object], fds: list[int]) -> None:
    """In the child: the command's namespace, directory, mask, environment and
    streams, then the command itself (which ends the process)."""
    from network.nsthread import enter_fd

    stdin, stdout, stderr, netns = fds[:4]
    enter_fd(netns)
    for target, fd in enumerate((stdin, stdout, stderr)):
        os.dup2(fd, target)
    for fd in fds[:4]:
        os.close(fd)
    handed = ",".join(str(fd) for fd in fds[4:])  # "{fds}" in the arguments names them
    _reopen_streams()
    environ = request["env"]
    assert isinstance(environ, dict)
    os.environ.clear()
    os.environ.update(environ)
    os.chdir(str(request["cwd"]))
    os.umask(int(str(request["umask"])))
    argv = request["argv"]
    assert isinstance(argv, list)
    sys.argv = [str(word).replace("{fds}", handed) if handed else str(word) for word in argv]
    from compose import app

    app.forked_by_server = True
    app.main()


def _reopen_streams() -> None:
    """New stdio objects on the command's descriptors, buffered as the interpreter
    buffers them at its start: standard error and a terminal by line."""
    streams = []
    for fd, like in ((0, sys.__stdin__), (1, sys.__stdout__), (2, sys.__stderr__)):
        stream = open(fd, "r" if fd == 0 else "w", closefd=False,  # noqa: SIM115
                      encoding=getattr(like, "encoding", None) or "utf-8",
                      errors=getattr(like, "errors", None) or "strict")
        if fd:
            stream.reconfigure(line_buffering=fd == 2 or os.isatty(fd),
                               write_through=getattr(like, "write_through", False))
        streams.append(stream)
    sys.stdin, sys.stdout, sys.stderr = streams
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = streams  # type: ignore[misc]
