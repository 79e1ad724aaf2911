"""The embedded DNS server: containers' resolver (dnspython for the wire format).

``DnsServer.reply`` answers from a ``NameTable`` (``dnstable.py``) without any
I/O; what the table does not know goes to upstream resolvers (the service's
``dns:`` servers, else the host's from ``/etc/resolv.conf``), one after the
other, each with a timeout, at most ``MAX_FORWARDS`` at a time.  ``serve_dns``
(UDP) and ``serve_dns_tcp`` run it on sockets they are given, so whoever hosts
the server chooses where it listens:

- one socket per container, made inside the container's network namespace
  (``nssocket.socket_in_netns``) on ``127.0.0.11:53``, as Docker does: pass
  ``container=<id>`` and the asker is known by the socket; or
- one socket per bridge on the gateway address: the asker is known by its source
  address.

Replace ``server.table`` whenever containers start, stop or change health.
"""

from __future__ import annotations

import contextlib
import random
import socket
import struct
from collections.abc import Sequence

import trio

from network.dnstable import Client, NameTable

TTL = 600  # Docker's embedded DNS
FORWARD_TIMEOUT = 2.0  # per upstream server
MAX_UPSTREAMS = 3  # as many as resolv.conf's resolvers use
MAX_FORWARDS = 1024  # forwarded queries in flight (Docker's maxConcurrent)
TCP_IDLE = 10.0

Upstream = tuple[str, int]


def upstreams_from(resolv_conf: str) -> tuple[Upstream, ...]:
    """The ``nameserver`` lines of a resolv.conf, in order."""
    servers = []
    for line in resolv_conf.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == "nameserver":
            servers.append((words[1].split("%", 1)[0], 53))
    return tuple(servers)


class DnsServer:
    def __init__(self, table: NameTable, upstreams: Sequence[Upstream] = (), *,
                 timeout: float = FORWARD_TIMEOUT, rng: random.Random | None = None) -> None:
        self.table = table
        self.upstreams = tuple(upstreams)
        self.timeout = timeout
        self.rng = rng or random.Random()
        self._forwards = trio.CapacityLimiter(MAX_FORWARDS)

    def reply(self, wire: bytes, *, container: str | None = None, source: str = "",
              limit: int = 65535) -> bytes | None:
        """The answer to a query, or None when it must be forwarded (b"": a message
        that is not a query gets no answer)."""
        client = self.table.client(container, source)
        fast = _fast_reply(wire, self.table, client, self.rng)
        if fast is not None:
            return fast
        from network import dnsgeneral  # dnspython: only for what the fast path leaves

        return dnsgeneral.reply(wire, self.table, client, self.rng, limit)

    def upstreams_for(self, client: Client | None) -> tuple[Upstream, ...]:
        if client is not None and client.upstreams:
            return tuple((server, 53) for server in client.upstreams)
        return self.upstreams

    async def forward(self, wire: bytes, client: Client | None, *, tcp: bool = False) -> bytes:
        """Ask the upstream resolvers in turn; SERVFAIL when none answers in time."""
        async with self._forwards:
            for server in self.upstreams_for(client)[:MAX_UPSTREAMS]:
                with trio.move_on_after(self.timeout):
                    try:
                        answer = await (_ask_tcp(server, wire) if tcp else
                                        _ask_udp(server, wire))
                    except OSError:
                        continue
                    if answer is not None:
                        return answer
        from network import dnsgeneral

        return dnsgeneral.servfail(wire)


async def serve_dns(server: DnsServer, sock: trio.socket.SocketType, *,
                    container: str | None = None,
                    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
    """Answer queries arriving on a bound UDP socket until cancelled.  Local answers
    go out at once; forwarded ones run in tasks of their own."""
    task_status.started()
    async with trio.open_nursery() as nursery:
        while True:
            try:
                wire, peer = await sock.recvfrom(4096)
            except (ConnectionRefusedError, ConnectionResetError):
                continue  # an ICMP error about an earlier reply
            answer = server.reply(wire, container=container, source=peer[0], limit=512)
            if answer is None:
                client = server.table.client(container, peer[0])
                nursery.start_soon(_forward_udp, server, sock, wire, peer, client)
            elif answer:
                await _send(sock, answer, peer)


async def _forward_udp(server: DnsServer, sock: trio.socket.SocketType, wire: bytes,
                       peer: tuple[object, ...], client: Client | None) -> None:
    await _send(sock, await server.forward(wire, client), peer)


async def _send(sock: trio.socket.SocketType, data: bytes, peer: tuple[object, ...]) -> None:
    with contextlib.suppress(OSError):  # the asker went away: nobody to tell
        await sock.sendto(data, peer)


async def _send_all(sock: trio.socket.SocketType, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[await sock.send(view):]


async def serve_dns_tcp(server: DnsServer, listener: trio.socket.SocketType, *,
                        container: str | None = None,
                        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
    """Answer queries on a bound TCP socket (what a client retries with after a
    truncated UDP answer) until cancelled."""
    listener.listen(128)
    task_status.started()
    async with trio.open_nursery() as nursery:
        while True:
            conn, peer = await listener.accept()
            nursery.start_soon(_tcp_connection, server, conn, peer[0], container)


async def _tcp_connection(server: DnsServer, conn: trio.socket.SocketType, source: str,
                          container: str | None) -> None:
    with conn:
        while True:
            with trio.move_on_after(TCP_IDLE):
                wire = await _read_framed(conn)
            if not wire:
                return
            answer = server.reply(wire, container=container, source=source)
            if answer is None:
                answer = await server.forward(wire, server.table.client(container, source),
                                              tcp=True)
            if not answer:
                return
            try:
                await _send_all(conn, struct.pack("!H", len(answer)) + answer)
            except OSError:
                return


async def _ask_udp(server: Upstream, wire: bytes) -> bytes | None:
    """A fresh socket per query: a random source port, and only the server's
    replies reach it."""
    family = trio.socket.AF_INET6 if ":" in server[0] else trio.socket.AF_INET
    with trio.socket.socket(family, trio.socket.SOCK_DGRAM) as sock:
        await sock.connect(server)
        await sock.send(wire)
        while True:
            answer = await sock.recv(65535)
            if answer[:2] == wire[:2]:
                return answer


async def _ask_tcp(server: Upstream, wire: bytes) -> bytes | None:
    family = trio.socket.AF_INET6 if ":" in server[0] else trio.socket.AF_INET
    with trio.socket.socket(family, trio.socket.SOCK_STREAM) as sock:
        await sock.connect(server)
        await _send_all(sock, struct.pack("!H", len(wire)) + wire)
        return await _read_framed(sock) or None


async def _read_framed(sock: trio.socket.SocketType) -> bytes:
    header = await _read_exactly(sock, 2)
    if len(header) < 2:
        return b""
    return await _read_exactly(sock, struct.unpack("!H", header)[0])


async def _read_exactly(sock: trio.socket.SocketType, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = await sock.recv(size - len(data))
        if not chunk:
            return b""
        data += chunk
    return data


_HEADER = struct.Struct("!HHHHHH")
_RECORD = struct.Struct("!HHHIH")  # name pointer, type, class, ttl, length
_QTYPES = {1: ("A", socket.AF_INET), 28: ("AAAA", socket.AF_INET6)}


def _fast_reply(wire: bytes, table: NameTable, client: Client | None,
                rng: random.Random) -> bytes | None:
    """The common case without building messages: one A or AAAA question for a name
    the table knows, answered straight into bytes (dnspython takes some 250 µs a
    reply, too slow for 2 ms at the 99th percentile under load; this takes a few).
    None: let the general path decide."""
    if client is None or len(wire) < 17:
        return None
    ident, flags, questions, answers, authority, additional = _HEADER.unpack_from(wire)
    if flags & 0xF800 or questions != 1 or answers or authority or additional > 1:
        return None  # a response, not QUERY, or more than a plain question
    labels, position = [], 12
    while True:
        length = wire[position]
        if length == 0:
            position += 1
            break
        if length & 0xC0 or position + 1 + length >= len(wire):
            return None
        labels.append(wire[position + 1:position + 1 + length])
        position += 1 + length
    if position + 4 > len(wire):
        return None
    qtype, qclass = struct.unpack_from("!HH", wire, position)
    if qclass != 1 or qtype not in _QTYPES:
        return None
    kind, family = _QTYPES[qtype]
    try:
        name = b".".join(labels).decode("ascii")
    except UnicodeDecodeError:
        return None
    lookup = table.lookup(client, name, kind, rng)
    if lookup.forward:
        return None
    question = wire[12:position + 4]
    records = b"".join(
        _RECORD.pack(0xC00C, qtype, 1, TTL, 4 if family == socket.AF_INET else 16)
        + socket.inet_pton(family, address) for address in lookup.addresses)
    if 12 + len(question) + len(records) > 512:
        return None  # truncation and EDNS sizes: the general path
    rcode = 3 if lookup.nxdomain else 0
    reply_flags = 0x8000 | 0x0400 | (flags & 0x0110) | 0x0080 | rcode  # QR AA RD CD RA
    count = 0 if lookup.nxdomain else len(lookup.addresses)
    return _HEADER.pack(ident, reply_flags, 1, count, 0, 0) + question + records
