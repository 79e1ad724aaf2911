"""Sockets made inside another network namespace, for a process that stays in its own.

A socket belongs to the namespace it was created in, whoever uses it later; so a
thread enters the namespace (``setns``), makes and binds the socket, and ends:
the namespace switch dies with that thread and never leaks into trio's thread
cache.  This is how the embedded DNS server listens on ``127.0.0.11`` inside each
container while running in the project's supervisor.
"""

from __future__ import annotations

import socket
from functools import partial
from pathlib import Path

import trio

from common.errors import NetworkFailure
from network.nsthread import in_own_thread


def socket_in_netns(netns: Path, family: int, kind: int,
                    address: tuple[str, int]) -> socket.socket:
    """A socket bound to ``address`` inside the namespace at ``netns``."""
    try:
        return in_own_thread(partial(bound_here, family, kind, address, netns), netns)
    except OSError as exc:  # the namespace could not be entered
        raise NetworkFailure(f"cannot listen on {address[0]}:{address[1]} in {netns}: "
                             f"{exc.strerror or exc}") from None


def bound_here(family: int, kind: int, address: tuple[str, int],
               netns: Path) -> socket.socket:
    """A socket bound to ``address`` in the calling thread's namespace, ``netns``
    (named in the error)."""
    sock = socket.socket(family, kind)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise NetworkFailure(f"cannot listen on {address[0]}:{address[1]} in {netns}: "
                             f"{exc.strerror or exc}") from None
    except BaseException:
        sock.close()
        raise
    return sock


async def trio_socket_in_netns(netns: Path, family: int, kind: int,
                               address: tuple[str, int]) -> trio.socket.SocketType:
    sock = await trio.to_thread.run_sync(socket_in_netns, netns, family, kind, address)
    return trio.socket.from_stdlib_socket(sock)
