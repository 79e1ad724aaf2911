"""The embedded DNS server, hosted by the supervisor.

Each container with a network namespace of its own gets a resolver at
127.0.0.11:53 (UDP and TCP), as under Docker: sockets bound on random ports inside
its namespace, which an nftables rule there redirects port 53 to (so the
container's own programs may still bind port 53),
served by one ``DnsServer`` whose name table covers every container of the state
root (external networks cross projects).  A container is answered for only while
it runs and is not unhealthy.  Forwarding to the host's resolvers happens from the
supervisor's own namespace.

The sockets must exist before the container first starts: when they are bound a
``dns.ready`` file appears in the container's directory, which ``up`` waits for
(``wait_ready``).  The namespace outlives restarts, so this happens once.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Collection, Iterable
from functools import partial
from pathlib import Path

import structlog
import trio

from common.errors import NetworkFailure
from common.paths import Layout
from common.records import ContainerRecord
from compose.engine import runstate
from compose.planning.health import UNHEALTHY
from compose.supervisor.dnsready import READY, resolves_here
from network.dns import DnsServer, serve_dns, serve_dns_tcp, upstreams_from
from network.dnstable import build_table
from network.firewall import dns_redirect_script
from network.hosts import EMBEDDED_DNS
from network.nft import apply_nft_here
from network.nssocket import bound_here
from network.nsthread import in_own_thread

HOST_RESOLV_CONF = Path("/etc/resolv.conf")



class DnsHost:
    def __init__(self, layout: Layout, running: Callable[[ContainerRecord], bool]) -> None:
        """``running``: whether a container runs now (it is named only then)."""
        self.layout = layout
        self.running = running
        try:
            upstreams = upstreams_from(HOST_RESOLV_CONF.read_text())
        except OSError:
            upstreams = ()
        self.server = DnsServer(build_table(()), upstreams)
        self._scopes: dict[str, trio.CancelScope] = {}
        self._serves: dict[str, bool] = {}
        """Whether each container of the table serves, as the last rebuild found."""
        self.log = structlog.get_logger("dns")

    def refresh(self, records: Iterable[ContainerRecord],
                changed: Collection[str] | None = None) -> None:
        """Rebuild the name table: who exists, and who is serving right now, asked
        of the containers in ``changed`` (None: all) and of those new to the table;
        the others serve as they did at the last rebuild."""
        before: dict[str, bool] = self._serves
        now: dict[str, bool] = {}

        def serving(record: ContainerRecord) -> bool:
            known = before.get(record.id)
            if known is None or changed is None or record.id in changed:
                known = self._serving(record)
            now[record.id] = known
            return known

        self.server.table = build_table(records, serving)
        self._serves = now

    def _serving(self, record: ContainerRecord) -> bool:
        if not self.running(record):
            return False
        health = runstate.read_health(self.layout.container_dir(record.id))
        return health is None or health.status != UNHEALTHY

    async def serve(self, record: ContainerRecord, nursery: trio.Nursery) -> None:
        """Start answering inside ``record``'s namespace (once)."""
        if record.id in self._scopes or not resolves_here(record):
            return
        netns = self.layout.netns / record.id
        if not netns.exists():
            return  # not connected yet: the next rescan serves it
        scope = self._scopes[record.id] = trio.CancelScope()  # taken: a rescan and a
        try:                                                   # request may ask at once
            udp, tcp = await _bind(netns)
        except BaseException:
            if self._scopes.get(record.id) is scope:
                del self._scopes[record.id]
            raise

        async def run() -> None:
            with scope, udp, tcp:
                async with trio.open_nursery() as inner:
                    await inner.start(partial(serve_dns, self.server, udp, container=record.id))
                    await inner.start(partial(serve_dns_tcp, self.server, tcp,
                                              container=record.id))

        nursery.start_soon(run)
        ready = self.layout.container_dir(record.id) / READY
        with contextlib.suppress(FileNotFoundError):
            ready.write_text("127.0.0.11\n")
        self.log.info("dns serving", container=record.name)

    def answering(self) -> frozenset[str]:
        """The containers answered for now, by id."""
        return frozenset(self._scopes)

    def forget(self, gone: Collection[str]) -> None:
        """Stop serving containers no longer on disk.  Their sockets hold their
        namespaces: a container whose watcher had ended (a one-off, or one its
        policy let rest) kept its namespace alive until the supervisor exited."""
        for container_id in gone:
            scope = self._scopes.pop(container_id, None)
            if scope is not None:
                scope.cancel()


async def _bind(netns: Path) -> tuple[trio.socket.SocketType, trio.socket.SocketType]:
    """The server's UDP and TCP sockets inside ``netns``, port 53 of 127.0.0.11
    redirected to them there; nothing is left open if a step fails.  One thread
    enters the namespace for all three (a thread and a ``setns`` each cost 1.6 ms
    of CPU a container; 1 ms this way)."""
    try:
        udp, tcp = await trio.to_thread.run_sync(in_own_thread, partial(_bind_here, netns),
                                                 netns)
    except OSError as exc:  # the namespace could not be entered
        raise NetworkFailure(f"cannot serve DNS in {netns}: {exc.strerror or exc}") from None
    return trio.socket.from_stdlib_socket(udp), trio.socket.from_stdlib_socket(tcp)


def _bind_here(netns: Path) -> tuple[socket.socket, socket.socket]:
    """``_bind``'s work, in a thread inside ``netns``."""
    with contextlib.ExitStack() as undo:
        udp = bound_here(socket.AF_INET, socket.SOCK_DGRAM, (EMBEDDED_DNS, 0), netns)
        undo.callback(udp.close)
        tcp = bound_here(socket.AF_INET, socket.SOCK_STREAM, (EMBEDDED_DNS, 0), netns)
        undo.callback(tcp.close)
        apply_nft_here(dns_redirect_script(EMBEDDED_DNS, udp.getsockname()[1],
                                           tcp.getsockname()[1]))
        undo.pop_all()
    return udp, tcp
