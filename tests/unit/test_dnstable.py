"""network/dnstable.py: who resolves to what, for whom."""

from __future__ import annotations

import dataclasses
import random

import pytest

from common.records import Attachment, ContainerRecord, NetworkSettings
from network.dnstable import FORWARD, NXDOMAIN, A, Lookup, build_table


def rec(name: str, service: str, *nets: tuple[str, str, tuple[str, ...]], project: str = "p",
        hostname: str = "", mode: str = "", links: tuple[tuple[str, str], ...] = (),
        dns: tuple[str, ...] = (), address6: str = "") -> ContainerRecord:
    ident = (name.replace("-", "") * 64)[:64]
    return ContainerRecord(
        id=ident, name=name, project=project, service=service, number=1, image="x",
        image_id="i", config_hash="h", created=0.0, command=(), hostname=hostname or ident[:12],
        runtime="runc",
        attachments=tuple(
            Attachment(bridge, bridge, address, "gw", "v", "p", aliases=(service, name, *aliases),
                       address6=address6)
            for bridge, address, aliases in nets),
        network=NetworkSettings(mode=mode, links=links, dns=dns),
    )


WEB1 = rec("p-web-1", "web", ("front", "10.0.1.2/24", ("www",)), ("back", "10.0.2.2/24", ()),
           address6="fd00::2/64")
WEB2 = rec("p-web-2", "web", ("front", "10.0.1.3/24", ("www",)))
DB = rec("p-db-1", "db", ("back", "10.0.2.9/24", ("store",)), hostname="dbhost")
CACHE = rec("p-cache-1", "cache", ("other", "10.0.3.4/24", ("store",)))
EDGE = rec("p-edge-1", "edge", ("front", "10.0.1.9/24", ()))
ALL = [WEB1, WEB2, DB, CACHE, EDGE]
TABLE = build_table(ALL)


def ask(asker: ContainerRecord, name: str, qtype: str = "A", table: object = None) -> Lookup:
    table = table or TABLE
    return table.lookup(table.client(asker.id), name, qtype,  # type: ignore[attr-defined]
                        random.Random(0))


@pytest.mark.parametrize(
    ("asker", "name", "addresses"),
    [
        (EDGE, "web", {"10.0.1.2", "10.0.1.3"}),  # both replicas
        (EDGE, "www", {"10.0.1.2", "10.0.1.3"}),  # a network alias
        (EDGE, "p-web-2", {"10.0.1.3"}),  # container name
        (EDGE, "WEB.", {"10.0.1.2", "10.0.1.3"}),  # case and the root dot do not matter
        (DB, "web", {"10.0.2.2"}),  # the address on the network they share
        (WEB1, "db", {"10.0.2.9"}),
        (WEB1, "dbhost", {"10.0.2.9"}),  # hostname
        (WEB1, DB.id[:12], {"10.0.2.9"}),  # short id
        (DB, "store", {"10.0.2.9"}),  # the same alias on two networks: each sees its own
        (CACHE, "store", {"10.0.3.4"}),
    ],
)
def test_names_on_the_askers_networks(asker: ContainerRecord, name: str,
                                      addresses: set[str]) -> None:
    assert set(ask(asker, name).addresses) == addresses


@pytest.mark.parametrize(
    ("asker", "name"),
    [
        (EDGE, "db"),  # on a network edge is not on
        (CACHE, "web"),
        (DB, "www"),  # web's alias on front only
        (EDGE, "example.com"),
    ],
)
def test_names_elsewhere_go_upstream(asker: ContainerRecord, name: str) -> None:
    assert ask(asker, name) == FORWARD


def test_unknown_askers_go_upstream() -> None:
    assert TABLE.lookup(TABLE.client("nobody"), "web", "A") == FORWARD
    assert TABLE.client(address="192.0.2.1") is None


def test_askers_are_known_by_address_too() -> None:
    client = TABLE.client(address="10.0.2.2")
    assert client is not None and client.container == WEB1.id
    assert TABLE.client(address="::ffff:10.0.1.9") == TABLE.client(EDGE.id)
    assert TABLE.client(address="fd00::2") == TABLE.client(WEB1.id)


def test_replicas_come_in_shuffled_order() -> None:
    many = [rec(f"p-api-{i}", "api", ("front", f"10.0.1.{10 + i}/24", ())) for i in range(6)]
    table = build_table([*many, EDGE])
    client = table.client(EDGE.id)
    rng = random.Random(1)
    orders = {table.lookup(client, "api", "A", rng).addresses for _ in range(20)}
    assert len(orders) > 5
    assert all(sorted(order) == sorted(f"10.0.1.{10 + i}" for i in range(6))
               for order in orders)


def test_stopped_or_unhealthy_replicas_are_left_out() -> None:
    table = build_table(ALL, serving=lambda r: r.id != WEB1.id)
    assert ask(EDGE, "web", table=table).addresses == ("10.0.1.3",)
    assert ask(EDGE, "p-web-1", table=table) == NXDOMAIN  # known, not serving: no upstream
    nobody = build_table(ALL, serving=lambda r: r.service != "web")
    assert ask(EDGE, "web", table=nobody) == NXDOMAIN


def test_record_types() -> None:
    assert ask(EDGE, "web", "AAAA").addresses == ("fd00::2",)
    assert ask(EDGE, "p-web-2", "AAAA") == Lookup()  # the name exists, without IPv6
    assert ask(EDGE, "web", "MX") == Lookup()
    assert ask(EDGE, "nowhere", "MX") == FORWARD


def test_reverse_lookups() -> None:
    assert ask(EDGE, "3.1.0.10.in-addr.arpa.", "PTR") == Lookup(pointer="p-web-2")
    assert ask(EDGE, "9.2.0.10.in-addr.arpa", "PTR") == FORWARD  # not on edge's networks
    assert ask(EDGE, "1.2.0.192.in-addr.arpa", "PTR") == FORWARD
    nibbles = ".".join(reversed("fd00" + "0" * 27 + "2"))
    assert ask(EDGE, f"{nibbles}.ip6.arpa", "PTR") == Lookup(pointer="p-web-1")
    table = build_table(ALL, serving=lambda r: r.id != WEB2.id)
    assert ask(EDGE, "3.1.0.10.in-addr.arpa", "PTR", table=table) == NXDOMAIN


def test_links_are_private_aliases() -> None:
    linker = rec("p-app-1", "app", ("back", "10.0.2.5/24", ()), links=(("p-db-1", "database"),))
    table = build_table([*ALL, linker])
    assert ask(linker, "database", table=table).addresses == ("10.0.2.9",)
    assert ask(WEB1, "database", table=table) == FORWARD


def test_a_shared_namespace_asks_with_its_hosts_networks() -> None:
    sidecar = rec("p-side-1", "side", mode=f"container:{EDGE.id}")
    table = build_table([*ALL, sidecar])
    assert set(ask(sidecar, "web", table=table).addresses) == {"10.0.1.2", "10.0.1.3"}
    assert ask(EDGE, "side", table=table) == FORWARD  # it has no address of its own


def test_containers_of_other_projects_on_a_shared_bridge() -> None:
    guest = rec("q-guest-1", "guest", ("front", "10.0.1.50/24", ()), project="q")
    table = build_table([*ALL, guest])
    assert ask(guest, "www", table=table).addresses
    assert ask(EDGE, "guest", table=table).addresses == ("10.0.1.50",)


def test_own_resolvers_are_the_clients() -> None:
    picky = dataclasses.replace(EDGE, network=NetworkSettings(dns=("192.0.2.53",)))
    client = build_table([picky]).client(picky.id)
    assert client is not None and client.upstreams == ("192.0.2.53",)


def test_a_one_off_answers_to_its_own_names_not_its_services() -> None:
    one_off = dataclasses.replace(
        rec("p-db-run-1a2b", "db", ("back", "10.0.2.7/24", ())),
        labels={"com.docker.compose.oneoff": "True"})
    one_off = dataclasses.replace(one_off, attachments=tuple(
        dataclasses.replace(a, aliases=(one_off.name,)) for a in one_off.attachments))
    table = build_table([*ALL, one_off])
    web = table.client(WEB1.id)
    assert table.lookup(web, "db", A).addresses == ("10.0.2.9",)
    assert table.lookup(web, "p-db-run-1a2b", A).addresses == ("10.0.2.7",)
    # it resolves the service itself like any container
    assert table.lookup(table.client(one_off.id), "db", A).addresses == ("10.0.2.9",)
