"""Embedded DNS latency at a steady query rate.

Runs the DNS server (network/dns.py) in this process on 127.0.0.11:53 inside a
network namespace of its own, with a table of 50 containers on 5 networks, and a
client in another process in that namespace sending A queries for service names
at a fixed rate (open loop: a slow answer does not slow the sender).  Prints the
latency percentiles (the target: under 2 ms at the 99th percentile at 1,000/s).
Needs root.

Run: .venv/bin/python bench/dns.py [--quick] [--json]  (one run of 10,000 queries)
"""

from __future__ import annotations

import json
import secrets
import select
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

REPO = Path(__file__).resolve().parents[1]
# this file is named dns.py: its directory must not shadow dnspython's ``dns``
sys.path[:] = [str(REPO), *(p for p in sys.path
                            if Path(p or ".").resolve() != Path(__file__).resolve().parent)]

from bench.common import Figure, main, need_root  # noqa: E402

if TYPE_CHECKING:
    from network.dnstable import NameTable

SERVER = ("127.0.0.11", 53)
SERVICES = 10


def client(rate: int, seconds: float) -> None:
    """Runs inside the namespace: send ``rate`` queries a second, time each answer."""
    import dns.message

    total = int(rate * seconds)
    queries = []
    for index in range(total):
        query = dns.message.make_query(f"svc{index % SERVICES}", "A")
        query.id = index % 65536
        queries.append(query.to_wire())
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect(SERVER)
    sock.setblocking(False)
    sent_at: dict[int, float] = {}
    latencies: list[float] = []
    start = time.perf_counter()
    sent = 0
    while sent < total or (sent_at and time.perf_counter() - start < seconds + 2):
        now = time.perf_counter()
        due = start + sent / rate
        if sent < total and now >= due:
            sent_at[sent % 65536] = now
            sock.send(queries[sent])
            sent += 1
            continue
        wait = max(0.0, due - now) if sent < total else 0.1
        readable, _, _ = select.select([sock], [], [], wait)
        while readable:
            try:
                wire = sock.recv(4096)
            except BlockingIOError:
                break
            received = time.perf_counter()
            ident = struct.unpack("!H", wire[:2])[0]
            if ident in sent_at:
                latencies.append(received - sent_at.pop(ident))
    print(json.dumps({"latencies": latencies, "lost": len(sent_at), "sent": sent,
                      "elapsed": time.perf_counter() - start}))


def table() -> tuple[NameTable, str]:
    from common.records import Attachment, ContainerRecord
    from network.dnstable import build_table

    records = []
    for index in range(50):
        network = f"net{index % 5}"
        records.append(ContainerRecord(
            id=f"{index:064x}", name=f"bench-svc{index % SERVICES}-{index // SERVICES + 1}",
            project="bench", service=f"svc{index % SERVICES}", number=index // SERVICES + 1,
            image="x", image_id="i", config_hash="h", created=0.0, command=(),
            hostname=f"h{index}", runtime="runc",
            attachments=(Attachment(network, network, f"10.{index % 5}.0.{index + 2}/16",
                                    "gw", "v", "p",
                                    aliases=(f"svc{index % SERVICES}",)),),
        ))
    # the asking client is on every network
    records.append(ContainerRecord(
        id="f" * 64, name="bench-client-1", project="bench", service="client", number=1,
        image="x", image_id="i", config_hash="h", created=0.0, command=(), hostname="c",
        runtime="runc", attachments=tuple(
            Attachment(f"net{n}", f"net{n}", f"10.{n}.1.1/16", "gw", "v", "p")
            for n in range(5)),
    ))
    return build_table(records), "f" * 64


def measure(rounds: int, quick: bool) -> list[Figure]:
    import trio

    from network.dns import DnsServer, serve_dns
    from network.nssocket import trio_socket_in_netns

    need_root("bench/dns.py")
    rate, seconds = (200, 2.0) if quick else (1000, 10.0)
    netns = f"pcdns-{secrets.token_hex(3)}"
    subprocess.run(["ip", "netns", "add", netns], check=True)
    try:
        subprocess.run(["ip", "-n", netns, "link", "set", "lo", "up"], check=True)

        async def run() -> dict[str, Any]:
            names, asker = table()
            server = DnsServer(names)
            sock = await trio_socket_in_netns(Path(f"/run/netns/{netns}"), socket.AF_INET,
                                              socket.SOCK_DGRAM, SERVER)
            async with trio.open_nursery() as nursery:
                await nursery.start(lambda task_status=trio.TASK_STATUS_IGNORED: serve_dns(
                    server, sock, container=asker, task_status=task_status))
                result = await trio.run_process(
                    ["ip", "netns", "exec", netns, sys.executable, __file__, "--client",
                     str(rate), str(seconds)], capture_stdout=True)
                nursery.cancel_scope.cancel()
            sock.close()
            data: dict[str, Any] = json.loads(result.stdout)
            return data

        data = trio.run(run)
    finally:
        subprocess.run(["ip", "netns", "delete", netns], capture_output=True)
    latencies: list[float] = sorted(data["latencies"])

    def percentile(p: float) -> float:
        return 1000 * latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]

    return [Figure(f"8. DNS latency at {rate} queries/s, {seconds:g} s", "ms",
                   [1000 * x for x in latencies],
                   note=f"p99 {percentile(99):.3f} ms, p99.9 {percentile(99.9):.3f} ms, "
                        f"{data['lost']} of {data['sent']} lost; target p99 < 2 ms")]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--client"]:
        client(int(sys.argv[2]), float(sys.argv[3]))
    else:
        main(measure, 1, __doc__)
