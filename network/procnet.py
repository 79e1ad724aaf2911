"""This network namespace's links and routes as ``/proc/self/net`` shows them: what
``up`` reads before planning (interface names, subnets already routed), without a
netlink conversation and without importing pyroute2 in commands that only look.

``/proc/self/net`` is the reading thread's own namespace (``/sys/class/net`` would
be the namespace that mounted ``/sys``)."""

from __future__ import annotations

import socket
import struct
from ipaddress import IPv4Network, IPv6Address, IPv6Network

PROC = "/proc/self/net"


def link_names(text: str) -> list[str]:
    """Interface names from ``/proc/net/dev``."""
    return [line.split(":", 1)[0].strip() for line in text.splitlines()[2:] if ":" in line]


def ipv4_routes(text: str) -> list[IPv4Network]:
    """Destinations of ``/proc/net/route`` (the main table), the default route left
    out; addresses are hexadecimal in host byte order."""
    found = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 8:
            continue
        destination, mask = (socket.inet_ntoa(struct.pack("=I", int(value, 16)))
                             for value in (fields[1], fields[7]))
        network = IPv4Network(f"{destination}/{mask}", strict=False)
        if network.prefixlen:
            found.append(network)
    return found


def ipv6_routes(text: str) -> list[IPv6Network]:
    """Destinations of ``/proc/net/ipv6_route``, the default route left out."""
    found = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 2 or len(fields[0]) != 32:
            continue
        length = int(fields[1], 16)
        if length:
            address = IPv6Address(bytes.fromhex(fields[0]))
            found.append(IPv6Network(f"{address}/{length}", strict=False))
    return found


def _read(name: str) -> str:
    try:
        with open(f"{PROC}/{name}") as handle:
            return handle.read()
    except FileNotFoundError:  # no IPv6 in this kernel
        return ""


def read_link_names() -> list[str]:
    return link_names(_read("dev"))


def read_routed_networks() -> list[IPv4Network | IPv6Network]:
    return [*ipv4_routes(_read("route")), *ipv6_routes(_read("ipv6_route"))]
