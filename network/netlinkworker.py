"""Netlink work done by a forked worker that imported pyroute2 ahead of need.

pyroute2 takes a tenth of a second to import (asyncio and every netlink family),
and the first bridge or veth of ``up``, ``run`` or ``down`` would wait for it.  A
command that will touch networks forks this worker as soon as its verb is known,
before any thread exists: it imports pyroute2 on the other core while the command
loads its file, then runs ``network.netlink`` functions on request, one at a
time, over a socket pair.  Requests and answers are pickled (a function of
``network.netlink`` travels as its name); an exception comes back and is raised
in the caller's thread.  Without a worker (none was started, or it died) the
call runs here, as before.

The worker ignores Ctrl-C (the command's cleanup may still need it), exits when
the command's end of the socket closes, and is killed when the command exits.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import signal
import socket
import struct
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_HEADER = struct.Struct("!I")


class _Worker:
    def __init__(self, pid: int, channel: socket.socket) -> None:
        self.pid = pid
        self.channel = channel
        self.lock = threading.Lock()  # one request at a time, from any thread
        self.alive = True

    def call(self, function: Callable[..., T], args: tuple[Any, ...]) -> T:
        with self.lock:
            if not self.alive:
                return function(*args)
            try:
                _send(self.channel, (function, args))
                failed, value = _receive(self.channel)
            except (OSError, EOFError, pickle.PickleError):
                self.alive = False  # gone: this process does the work from now on
                return function(*args)
        if failed:
            raise value
        return value  # type: ignore[no-any-return]

    def stop(self) -> None:
        """At the command's end: killed, not waited for (its memory's teardown took
        2-3 ms of every command that touched networks); it is reaped with the
        command, whose end follows."""
        self.alive = False
        with contextlib.suppress(OSError):
            self.channel.close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)


_worker: _Worker | None = None


def start() -> None:
    """Fork the worker now, if this process has a single thread (a fork beside other
    threads could copy a lock one of them holds) and none was started."""
    global _worker
    if _worker is not None or threading.active_count() != 1:
        return
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child ends with os._exit
        ours.close()
        _serve(theirs)
    theirs.close()
    ours.set_inheritable(False)
    _worker = _Worker(pid, ours)
    atexit.register(_worker.stop)


def library_loaded() -> bool:
    """Whether pyroute2 is imported here already (a fork server preloads it)."""
    return "pyroute2.iproute.linux" in sys.modules


def run(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` (a function of ``network.netlink``, or a ``partial`` of
    one) in the worker if there is one, else here; from a worker thread."""
    if _worker is None:
        return function(*args)
    return _worker.call(function, args)


def _serve(channel: socket.socket) -> None:
    """The worker's life: detached from the command's terminal and descriptors,
    pyroute2 imported, then requests until the command's end closes."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _keep_only(channel.fileno())
        from network import netlink

        netlink.preload()
        while True:
            try:
                function, args = _receive(channel)
            except EOFError:
                break
            try:
                answer: tuple[bool, Any] = (False, function(*args))
            except Exception as exc:  # carried to the caller, raised there
                answer = (True, exc)
            try:
                _send(channel, answer)
            except Exception:  # an answer that does not pickle: said in words
                _send(channel, (True, RuntimeError(str(answer[1]))))
    except BaseException:  # the command is gone or we are dying: nothing to tell
        code = 1
    finally:
        os._exit(code)


def _keep_only(fd: int) -> None:
    """Standard streams to /dev/null and every other inherited descriptor closed:
    the worker must hold neither the command's output pipe nor a standby's pipe
    open after the command has ended."""
    null = os.open(os.devnull, os.O_RDWR)
    for std in (0, 1, 2):
        os.dup2(null, std)
    os.close(null)
    os.closerange(3, fd)
    os.closerange(fd + 1, os.sysconf("SC_OPEN_MAX"))


def _send(channel: socket.socket, message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    channel.sendall(_HEADER.pack(len(data)) + data)


def _receive(channel: socket.socket) -> Any:
    (size,) = _HEADER.unpack(_read_exactly(channel, _HEADER.size))
    return pickle.loads(_read_exactly(channel, size))


def _read_exactly(channel: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = channel.recv(size - len(chunks))
        if not chunk:
            raise EOFError("the other end closed")
        chunks += chunk
    return bytes(chunks)
