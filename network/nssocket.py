"""Sockets made inside another network namespace, for a process that stays in its own.

A socket belongs to the namespace it was created in, whoever uses it later; so a
thread enters the namespace (``setns``), makes and binds the socket, and ends:
the namespace switch dies with that thread and never leaks into trio's thread
cache.  This is how the embedded DNS server listens on ``127.0.0.11`` inside each
container while running in the project's supervisor.
"""

from __future__ import annotations

import ctypes
import os
import socket
import threading
from pathlib import Path

import trio

from common.errors import NetworkFailure
from common.libc import libc

CLONE_NEWNET = 0x40000000
_libc = libc


def socket_in_netns(netns: Path, family: int, kind: int,
                    address: tuple[str, int]) -> socket.socket:
    """A socket bound to ``address`` inside the namespace at ``netns``."""
    result: list[socket.socket] = []
    failure: list[BaseException] = []

    def make() -> None:
        try:
            fd = os.open(netns, os.O_RDONLY | os.O_CLOEXEC)
            try:
                if _libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
            finally:
                os.close(fd)
            sock = socket.socket(family, kind)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind(address)
            except BaseException:
                sock.close()
                raise
            result.append(sock)
        except BaseException as exc:  # carried to the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=make, name="netns-socket", daemon=True)
    thread.start()
    thread.join()
    if failure:
        exc = failure[0]
        detail = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise NetworkFailure(f"cannot listen on {address[0]}:{address[1]} in {netns}: "
                             f"{detail}") from None
    return result[0]


async def trio_socket_in_netns(netns: Path, family: int, kind: int,
                               address: tuple[str, int]) -> trio.socket.SocketType:
    sock = await trio.to_thread.run_sync(socket_in_netns, netns, family, kind, address)
    return trio.socket.from_stdlib_socket(sock)
