"""The embedded DNS server in-process, on real sockets inside a namespace of the
test's own, with an upstream resolver the test runs there too."""

from __future__ import annotations

import dataclasses
import secrets
import socket
import struct
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import dns.flags
import dns.message
import dns.rcode
import dns.rrset
import pytest
import trio

from network.dns import DnsServer, serve_dns, serve_dns_tcp
from network.dnstable import build_table
from network.nssocket import trio_socket_in_netns
from tests.unit.test_dnstable import ALL, CACHE, DB, WEB1, rec

HERE = ("127.0.0.11", 53)


@pytest.fixture
def netns() -> Iterator[Path]:
    name = f"pycd-{secrets.token_hex(4)}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        # the containers' addresses, for asking "from" them
        for address in ("10.0.2.9", "10.0.3.4", "10.0.1.9"):
            subprocess.run(["ip", "-n", name, "addr", "add", f"{address}/32", "dev", "lo"],
                           check=True)
        yield Path(f"/run/netns/{name}")
    finally:
        subprocess.run(["ip", "netns", "delete", name], capture_output=True)


async def udp(netns: Path, address: str, port: int = 0) -> trio.socket.SocketType:
    """A UDP socket bound in the namespace (port 0: a client socket from ``address``)."""
    return await trio_socket_in_netns(netns, socket.AF_INET, socket.SOCK_DGRAM, (address, port))


async def ask(sock: trio.socket.SocketType, server: tuple[str, int], name: str,
              qtype: str = "A", timeout: float = 5) -> dns.message.Message:
    query = dns.message.make_query(name, qtype)
    with trio.fail_after(timeout):
        await sock.sendto(query.to_wire(), server)
        while True:
            wire = await sock.recv(65535)
            response = dns.message.from_wire(wire)
            if response.id == query.id:
                return response


def addresses(response: dns.message.Message) -> list[str]:
    return [r.address for rrset in response.answer for r in rrset]


def upstream_answer(wire: bytes) -> bytes:
    """The test's resolver knows example.test and says NXDOMAIN to everything else."""
    query = dns.message.from_wire(wire)
    response = dns.message.make_response(query)
    if query.question[0].name.to_text() == "example.test.":
        response.answer.append(dns.rrset.from_text("example.test.", 30, "IN", "A",
                                                   "192.0.2.10"))
    else:
        response.set_rcode(dns.rcode.NXDOMAIN)
    return response.to_wire()


async def fake_upstream(sock: trio.socket.SocketType,
                        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
    task_status.started()
    while True:
        wire, peer = await sock.recvfrom(4096)
        await sock.sendto(upstream_answer(wire), peer)


async def fake_upstream_tcp(port: int,
                            task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
                            ) -> None:
    listener = trio.socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with listener:
        await listener.bind(("127.0.0.1", port))
        listener.listen()
        task_status.started()
        while True:
            conn, _ = await listener.accept()
            with conn:
                size = struct.unpack("!H", await _exactly(conn, 2))[0]
                answer = upstream_answer(await _exactly(conn, size))
                await conn.send(struct.pack("!H", len(answer)) + answer)


async def loopback_udp() -> trio.socket.SocketType:
    """A resolver's socket on this process's own loopback, where the server (which
    runs here, as a supervisor runs in the host's namespace) forwards to."""
    sock = trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    await sock.bind(("127.0.0.1", 0))
    return sock


@dataclasses.dataclass
class Running:
    server: DnsServer
    nursery: trio.Nursery
    upstream: tuple[str, int]
    silent: tuple[str, int]


@pytest.fixture
async def running(netns: Path) -> AsyncIterator[Running]:
    """A DNS server on 127.0.0.11:53 (UDP and TCP) in the namespace, knowing who asks
    by address, forwarding to a silent resolver, then to the test's own one."""
    async with trio.open_nursery() as nursery:
        upstream = await loopback_udp()
        silent = await loopback_udp()
        server = DnsServer(build_table(ALL), timeout=0.5,
                           upstreams=(silent.getsockname(), upstream.getsockname()))
        listener = await udp(netns, *HERE)
        tcp = await trio_socket_in_netns(netns, socket.AF_INET, socket.SOCK_STREAM,
                                         ("127.0.0.11", 53))
        await nursery.start(fake_upstream, upstream)
        await nursery.start(fake_upstream_tcp, upstream.getsockname()[1])
        await nursery.start(serve_dns, server, listener)
        await nursery.start(serve_dns_tcp, server, tcp)
        yield Running(server, nursery, upstream.getsockname(), silent.getsockname())
        nursery.cancel_scope.cancel()
        for sock in (upstream, silent, listener, tcp):
            sock.close()



async def test_names_and_aliases_for_the_askers_networks(
        netns: Path, running: Running) -> None:
    from_db = await udp(netns, "10.0.2.9")
    from_cache = await udp(netns, "10.0.3.4")
    from_edge = await udp(netns, "10.0.1.9")
    # one alias, two networks, two answers
    assert addresses(await ask(from_db, HERE, "store")) == ["10.0.2.9"]
    assert addresses(await ask(from_cache, HERE, "store")) == ["10.0.3.4"]
    assert addresses(await ask(from_db, HERE, "web")) == ["10.0.2.2"]
    assert sorted(addresses(await ask(from_edge, HERE, "www"))) == ["10.0.1.2", "10.0.1.3"]
    assert addresses(await ask(from_edge, HERE, "p-web-1", "AAAA")) == ["fd00::2"]
    # not on edge's networks: upstream says NXDOMAIN
    assert (await ask(from_edge, HERE, "db")).rcode() == dns.rcode.NXDOMAIN


async def test_round_robin_and_unhealthy_replicas(
        netns: Path, running: Running) -> None:
    server = running.server
    many = [rec(f"p-api-{i}", "api", ("front", f"10.0.1.{20 + i}/24", ())) for i in range(5)]
    server.table = build_table([*ALL, *many])
    from_edge = await udp(netns, "10.0.1.9")
    orders = {tuple(addresses(await ask(from_edge, HERE, "api"))) for _ in range(20)}
    assert len(orders) > 3
    assert all(len(order) == 5 for order in orders)
    # the supervisor swaps the table when health changes
    server.table = build_table([*ALL, *many], serving=lambda r: r.id not in (WEB1.id,
                                                                          many[0].id))
    assert addresses(await ask(from_edge, HERE, "web")) == ["10.0.1.3"]
    assert "10.0.1.20" not in addresses(await ask(from_edge, HERE, "api"))
    server.table = build_table(ALL, serving=lambda r: r.service != "web")
    assert (await ask(from_edge, HERE, "web")).rcode() == dns.rcode.NXDOMAIN


async def test_forwarding_with_timeouts(netns: Path,
                                        running: Running) -> None:
    server = running.server
    from_edge = await udp(netns, "10.0.1.9")
    started = time.monotonic()
    response = await ask(from_edge, HERE, "example.test")
    assert addresses(response) == ["192.0.2.10"]
    assert 0.4 < time.monotonic() - started < 2  # the silent one was given up on
    server.upstreams = (running.silent,)
    assert (await ask(from_edge, HERE, "example.test")).rcode() == dns.rcode.SERVFAIL


async def test_a_socket_per_container(netns: Path,
                                      running: Running) -> None:
    """Docker's way: 127.0.0.11 in each container's namespace, so the socket tells
    who asks (here, two loopback addresses of one namespace play two containers)."""
    server, nursery = running.server, running.nursery
    for address, container in (("127.0.0.12", DB.id), ("127.0.0.13", CACHE.id)):
        sock = await udp(netns, address, 53)
        await nursery.start(lambda s=sock, c=container, task_status=trio.TASK_STATUS_IGNORED:
                            serve_dns(server, s, container=c, task_status=task_status))
    anyone = await udp(netns, "127.0.0.1")
    assert addresses(await ask(anyone, ("127.0.0.12", 53), "store")) == ["10.0.2.9"]
    assert addresses(await ask(anyone, ("127.0.0.13", 53), "store")) == ["10.0.3.4"]


async def test_tcp_for_large_answers(netns: Path,
                                     running: Running) -> None:
    server = running.server
    many = [rec(f"p-api-{i}", "api", ("front", f"10.0.1.{50 + i}/24", ())) for i in range(60)]
    server.table = build_table([*ALL, *many])
    from_edge = await udp(netns, "10.0.1.9")
    truncated = await ask(from_edge, HERE, "api")
    assert truncated.flags & dns.flags.TC
    conn = await trio_socket_in_netns(netns, socket.AF_INET, socket.SOCK_STREAM,
                                      ("10.0.1.9", 0))
    with conn, trio.fail_after(5):
        await conn.connect(HERE)
        for name in ("api", "example.test"):
            query = dns.message.make_query(name, "A").to_wire()
            await conn.send(struct.pack("!H", len(query)) + query)
            size = struct.unpack("!H", await _exactly(conn, 2))[0]
            response = dns.message.from_wire(await _exactly(conn, size))
            assert addresses(response) == (["192.0.2.10"] if name == "example.test"
                                           else addresses(response))
            if name == "api":
                assert len(addresses(response)) == 60


async def _exactly(sock: trio.socket.SocketType, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = await sock.recv(size - len(data))
        assert chunk
        data += chunk
    return data
