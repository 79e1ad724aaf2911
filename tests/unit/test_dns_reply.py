"""network/dns.py: answers on the wire, without sockets."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import dns.flags
import dns.message
import dns.opcode
import dns.rcode

from network.dns import TTL, DnsServer, upstreams_from
from network.dnstable import build_table
from tests.unit.test_dnstable import ALL, EDGE, WEB1, rec

REPO = Path(__file__).resolve().parents[2]


def server(records: list = ALL) -> DnsServer:  # type: ignore[type-arg]
    return DnsServer(build_table(records), rng=random.Random(0))


def ask(name: str, qtype: str = "A", *, container: str | None = EDGE.id, source: str = "",
        srv: DnsServer | None = None, limit: int = 512, **kwargs: object) -> dns.message.Message:
    query = dns.message.make_query(name, qtype, **kwargs)  # type: ignore[arg-type]
    wire = (srv or server()).reply(query.to_wire(), container=container, source=source,
                                   limit=limit)
    assert wire
    response = dns.message.from_wire(wire)
    assert response.id == query.id
    return response


def addresses(response: dns.message.Message) -> set[str]:
    return {r.address for rrset in response.answer for r in rrset}


def test_a_and_aaaa() -> None:
    response = ask("web")
    assert response.rcode() == dns.rcode.NOERROR
    assert response.flags & dns.flags.AA and response.flags & dns.flags.RA
    assert addresses(response) == {"10.0.1.2", "10.0.1.3"}
    assert response.answer[0].ttl == TTL
    assert addresses(ask("www.", "AAAA")) == {"fd00::2"}


def test_asker_by_source_address() -> None:
    assert addresses(ask("db", container=None, source="10.0.2.2")) == {"10.0.2.9"}


def test_unknown_names_are_forwarded() -> None:
    query = dns.message.make_query("example.com", "A")
    assert server().reply(query.to_wire(), container=EDGE.id) is None
    assert server().reply(dns.message.make_query("web", "A").to_wire(),
                          container=None, source="192.0.2.9") is None


def test_known_name_without_a_serving_replica_is_nxdomain() -> None:
    srv = DnsServer(build_table(ALL, serving=lambda r: r.service != "web"))
    assert ask("web", srv=srv).rcode() == dns.rcode.NXDOMAIN


def test_name_without_records_of_the_type() -> None:
    response = ask("p-web-2", "AAAA")
    assert (response.rcode(), response.answer) == (dns.rcode.NOERROR, [])


def test_reverse_lookup() -> None:
    response = ask("2.1.0.10.in-addr.arpa", "PTR")
    assert [r.target.to_text() for rrset in response.answer for r in rrset] == ["p-web-1."]


def test_many_replicas_truncate_over_udp_unless_edns_allows() -> None:
    many = [rec(f"p-api-{i}", "api", ("front", f"10.0.{i // 200}.{i % 200 + 10}/16", ()))
            for i in range(60)]
    srv = server([*many, EDGE])
    small = ask("api", srv=srv)
    assert small.flags & dns.flags.TC and not small.answer
    large = ask("api", srv=srv, use_edns=0, payload=4096)
    assert len(addresses(large)) == 60
    tcp = ask("api", srv=srv, limit=65535)
    assert len(addresses(tcp)) == 60


def test_garbage_and_odd_messages() -> None:
    srv = server()
    assert srv.reply(b"\x12") == b""
    formerr = dns.message.from_wire(srv.reply(b"\x12\x34" + b"\x01\x00" + b"\x00\x01" + b"\xff"
                                              * 7) or b"")
    assert (formerr.id, formerr.rcode()) == (0x1234, dns.rcode.FORMERR)
    response = dns.message.make_response(dns.message.make_query("web", "A"))
    assert srv.reply(response.to_wire()) == b""  # an answer is never answered
    notify = dns.message.make_query("web", "SOA")
    notify.set_opcode(dns.opcode.NOTIFY)
    assert dns.message.from_wire(srv.reply(notify.to_wire()) or b"").rcode() == \
        dns.rcode.NOTIMP


def test_upstreams_from_resolv_conf() -> None:
    text = ("# comment\nsearch example.test\nnameserver 10.255.255.53\n"
            "nameserver fe80::1%eth0\noptions ndots:2\n")
    assert upstreams_from(text) == (("10.255.255.53", 53), ("fe80::1", 53))


def test_the_services_own_dns_servers_are_its_upstreams() -> None:
    picky = rec("p-picky-1", "picky", ("front", "10.0.1.77/24", ()), dns=("192.0.2.53",))
    srv = DnsServer(build_table([picky]), upstreams=(("10.255.255.53", 53),))
    assert srv.upstreams_for(srv.table.client(picky.id)) == (("192.0.2.53", 53),)
    assert srv.upstreams_for(srv.table.client(WEB1.id)) == (("10.255.255.53", 53),)



def test_dnspython_is_imported_only_for_what_the_fast_path_leaves() -> None:
    """A supervisor answering A and AAAA for known names never imports dnspython
    (network/dnsgeneral.py): it starts sooner and stays smaller."""
    script = """
import random, struct, sys
from network.dns import DnsServer
from network.dnstable import build_table
from tests.unit.test_dnstable import ALL, EDGE
server = DnsServer(build_table(ALL), rng=random.Random(0))
def query(name, qtype):
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.split("."))
    return struct.pack("!HHHHHH", 7, 0x0100, 1, 0, 0, 0) + labels + b"\\0" \\
        + struct.pack("!HH", qtype, 1)
assert server.reply(query("web", 1), container=EDGE.id)
print("dns.message" in sys.modules)
assert server.reply(query("web", 15), container=EDGE.id) is not None  # MX: the general path
print("dns.message" in sys.modules)
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                            text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]
