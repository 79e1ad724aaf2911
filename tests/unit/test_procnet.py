"""network/procnet.py: links and routes of this namespace as /proc/net shows them."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network

from network.procnet import ipv4_routes, ipv6_routes, link_names

ROUTE = """\
Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
pc1a2b\t0000590A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
"""

IPV6 = """\
fd000000000000000000000000000000 40 00000000000000000000000000000000 00 0000 00000100 1 0 1 eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd00 00000400 2 0 3 eth0
fd890000000000000000000000000000 40 00000000000000000000000000000000 00 0000 00000100 1 0 1 pc1
"""

DEV = """\
Inter-|   Receive                  |  Transmit
 face |bytes    packets errs drop   |bytes    packets
    lo:  1200      12    0    0        1200      12
  eth0: 94000     300    0    0       18000     200
pc1a2b:     0       0    0    0           0       0
"""


def test_ipv4_routes_are_read_in_host_byte_order_without_the_default() -> None:
    assert ipv4_routes(ROUTE) == [IPv4Network("192.0.2.0/24"), IPv4Network("10.89.0.0/24")]


def test_ipv6_routes_without_the_default() -> None:
    assert ipv6_routes(IPV6) == [IPv6Network("fd00::/64"), IPv6Network("fd89::/64")]


def test_link_names() -> None:
    assert link_names(DEV) == ["lo", "eth0", "pc1a2b"]


def test_empty_files_mean_nothing_routed() -> None:
    assert ipv4_routes("") == [] and ipv6_routes("") == [] and link_names("") == []
