"""network/firewall.py and network/ports.py: a project's nftables table, and host
ports checked and chosen (pure, with a fake bind test)."""

from __future__ import annotations

import dataclasses

import pytest

from common.errors import NetworkFailure
from common.records import Attachment, ContainerRecord, NetworkRecord, NetworkSettings, PortBinding
from network import firewall, ports

FRONT = NetworkRecord("front", "p_front", "p", "pcfront", "10.89.1.0/24", "10.89.1.1",
                      subnet6="fd89:0:0:1::/64", gateway6="fd89:0:0:1::1")
BACK = NetworkRecord("back", "p_back", "p", "pcback", "10.89.2.0/24", "10.89.2.1",
                     internal=True)
QUIET = NetworkRecord("quiet", "p_quiet", "p", "pcquiet", "10.89.3.0/24", "10.89.3.1",
                      masquerade=False)


def container(name: str, *attachments: Attachment, ports: tuple[PortBinding, ...] = (),
              mode: str = "") -> ContainerRecord:
    return ContainerRecord(
        id=name * 8, name=name, project="p", service=name, number=1, image="x", image_id="i",
        config_hash="h", created=0.0, command=(), hostname=name, runtime="runc",
        attachments=attachments, network=NetworkSettings(mode=mode, ports=ports))


WEB = container(
    "web",
    Attachment("back", "pcback", "10.89.2.2/24", "10.89.2.1", "v", "p", default_route=False),
    Attachment("front", "pcfront", "10.89.1.2/24", "10.89.1.1", "v", "p",
               address6="fd89:0:0:1::2/64", ifname="eth1"),
    ports=(PortBinding(80, "tcp", "", 8080), PortBinding(53, "udp", "127.0.0.1", 5353),
           PortBinding(443, "tcp", "::", 8443), PortBinding(22, "tcp", "", 0)),
)


def test_table_for_networks_and_published_ports() -> None:
    text = firewall.render("pycompose_t", 'project "p"', [FRONT, BACK, QUIET], [WEB])
    assert text == (
        "table inet pycompose_t {\n"
        "\tcomment \"project 'p'\"\n"
        "\tchain prerouting {\n"
        "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
        "\t\tfib daddr type local jump publish\n"
        "\t}\n"
        "\tchain output {\n"
        "\t\ttype nat hook output priority -100; policy accept;\n"
        "\t\tfib daddr type local jump publish\n"
        "\t}\n"
        "\tchain publish {\n"
        # to the interface with the default route, both families for "every address"
        "\t\tmeta nfproto ipv4 tcp dport 8080 dnat ip to 10.89.1.2:80\n"
        "\t\tmeta nfproto ipv6 tcp dport 8080 dnat ip6 to [fd89:0:0:1::2]:80\n"
        "\t\tmeta nfproto ipv4 ip daddr 127.0.0.1 udp dport 5353 dnat ip to 10.89.1.2:53\n"
        "\t\tmeta nfproto ipv6 tcp dport 8443 dnat ip6 to [fd89:0:0:1::2]:443\n"
        "\t}\n"
        "\tchain postrouting {\n"
        "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
        '\t\toifname "pcfront" ip saddr 127.0.0.0/8 masquerade\n'
        '\t\toifname "pcfront" ct status dnat ip saddr 10.89.1.0/24 masquerade\n'
        '\t\toifname "pcfront" ct status dnat ip6 saddr fd89:0:0:1::/64 masquerade\n'
        '\t\toifname != "pcfront" ip saddr 10.89.1.0/24 masquerade\n'
        '\t\toifname != "pcfront" ip6 saddr fd89:0:0:1::/64 masquerade\n'
        '\t\toifname "pcback" ip saddr 127.0.0.0/8 masquerade\n'
        '\t\toifname "pcback" ct status dnat ip saddr 10.89.2.0/24 masquerade\n'
        '\t\toifname "pcquiet" ip saddr 127.0.0.0/8 masquerade\n'
        '\t\toifname "pcquiet" ct status dnat ip saddr 10.89.3.0/24 masquerade\n'
        "\t}\n"
        "\tchain forward {\n"
        "\t\ttype filter hook forward priority filter; policy accept;\n"
        "\t\tct state established,related accept\n"
        '\t\toifname "pcfront" ct status dnat accept\n'
        '\t\toifname "pcfront" iifname != "pcfront" drop\n'
        '\t\toifname "pcback" iifname != "pcback" drop\n'
        '\t\tiifname "pcback" oifname != "pcback" drop\n'
        '\t\toifname "pcquiet" ct status dnat accept\n'
        '\t\toifname "pcquiet" iifname != "pcquiet" drop\n'
        "\t}\n"
        "}\n"
    )


def test_nothing_to_do_means_no_table() -> None:
    assert firewall.render("t", "c", [], [container("solo")]) is None
    assert firewall.replace_script("t", None) == "table inet t {}\ndelete table inet t\n"
    assert firewall.replace_script("t", "table inet t {\n}\n").endswith(
        "delete table inet t\ntable inet t {\n}\n")


def test_published_ports_of_shared_and_host_namespaces() -> None:
    side = container("side", mode=f"container:{WEB.id}",
                     ports=(PortBinding(9000, "tcp", "", 9000),))
    host = container("host", mode="host", ports=(PortBinding(9001, "tcp", "", 9001),))
    text = firewall.render("t", "c", [], [WEB, side, host]) or ""
    assert "tcp dport 9000 dnat ip to 10.89.1.2:9000" in text  # where it lives
    assert "9001" not in text  # the host's own port already


def test_table_names_differ_by_root_and_project() -> None:
    names = {firewall.table_name(root, project) for root in ("a", "b")
             for project in ("x", "y")}
    assert len(names) == 4
    assert all(len(n) <= 64 and n.startswith("pycompose_") for n in names)


# --- ports.reserve -------------------------------------------------------------------------


def free_except(*held: int, first_random: int = 40000):  # type: ignore[no-untyped-def]
    randoms = iter(range(first_random, first_random + 100))

    def probe(host_ip: str, port: int, protocol: str) -> int | None:
        if port == 0:
            return next(randoms)
        return None if port in held else port
    return probe


def binding_record(name: str, *bindings: PortBinding) -> ContainerRecord:
    return container(name, ports=bindings)


def test_fixed_ports_are_checked_and_random_ones_chosen() -> None:
    web = binding_record("web", PortBinding(80, "tcp", "", 8080), PortBinding(81, "tcp", "", 0),
                         PortBinding(82, "tcp", "", 9000, 9002))
    [reserved] = ports.reserve([web], [], free_except(9000))
    assert reserved.network.ports == (PortBinding(80, "tcp", "", 8080),
                                      PortBinding(81, "tcp", "", 40000),
                                      PortBinding(82, "tcp", "", 9001))
    assert reserved.attachments == web.attachments


def test_ports_published_by_other_containers_are_taken() -> None:
    other = binding_record("api", PortBinding(80, "tcp", "", 8080),
                           PortBinding(90, "tcp", "", 40000))
    web = binding_record("web", PortBinding(80, "tcp", "127.0.0.1", 8080))
    with pytest.raises(NetworkFailure, match=r"service web: host port 127.0.0.1:8080/tcp is "
                                             r"already published by api"):
        ports.reserve([web], [other], free_except())
    # another protocol, or two distinct addresses, do not collide
    udp = binding_record("dns", PortBinding(53, "udp", "", 8080))
    assert ports.reserve([udp], [other], free_except())[0].network.ports[0].published == 8080
    lo = binding_record("lo", PortBinding(1, "tcp", "127.0.0.1", 7000))
    lo2 = binding_record("lo2", PortBinding(1, "tcp", "127.0.0.2", 7000))
    assert len(ports.reserve([lo, lo2], [], free_except())) == 2
    # two containers of one run cannot share a port either
    twin = dataclasses.replace(lo, name="twin", service="twin")
    with pytest.raises(NetworkFailure, match="already published by lo"):
        ports.reserve([lo, twin], [], free_except())
    # a random choice skips ports other containers publish
    randomly = binding_record("r", PortBinding(1, "tcp", "", 0))
    assert ports.reserve([randomly], [other], free_except())[0].network.ports[0].published \
        == 40001


def test_host_sockets_hold_ports() -> None:
    web = binding_record("web", PortBinding(80, "tcp", "", 8080))
    with pytest.raises(NetworkFailure, match=r"^service web: host port 0\.0\.0\.0:8080/tcp is "
                                             r"already in use on this host$"):
        ports.reserve([web], [], free_except(8080))
    ranged = binding_record("web", PortBinding(80, "tcp", "::1", 9000, 9001))
    with pytest.raises(NetworkFailure, match="no free host port in 9000-9001/tcp"):
        ports.reserve([ranged], [], free_except(9000, 9001))
    assert ports.endpoint_text("::1", 9000, "tcp") == "[::1]:9000/tcp"


def test_bind_probe_sees_a_listener() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert ports.bind_probe("127.0.0.1", port, "tcp") is None
    assert ports.bind_probe("127.0.0.1", port, "tcp") == port
    chosen = ports.bind_probe("127.0.0.1", 0, "udp")
    assert chosen and chosen > 1024


def test_a_hostile_comment_stays_one_nft_string_of_at_most_128_bytes() -> None:
    root = '/srv/a"; flush ruleset; "\\\n' + "x" * 200
    text = firewall.render("t", f"pycompose project p (state root {root})", [FRONT], []) or ""
    line = text.splitlines()[1]
    assert line.startswith('\tcomment "pycompose project p (state root /srv/a\'; flush')
    body = line.removeprefix("\tcomment ")
    assert body.count('"') == 2 and body.endswith('..."')
    assert len(body) - 2 == firewall.COMMENT_MAX
    assert all(" " <= c <= "~" for c in body)
