"""Address management (pure): subnets from a pool, addresses within a subnet."""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network, ip_network

from compose.errors import NetworkFailure

# podman's default range; Docker's 172.17-31/16 often collides with VPNs.
DEFAULT_POOL = IPv4Network("10.89.0.0/16")
DEFAULT_PREFIX = 24


def choose_subnet(
    taken: Iterable[IPv4Network],
    pool: IPv4Network = DEFAULT_POOL,
    prefix: int = DEFAULT_PREFIX,
) -> IPv4Network:
    """The first subnet of ``pool`` that overlaps nothing in ``taken`` (host routes,
    other projects' networks)."""
    busy = [n for n in taken if n.prefixlen > 0]  # a default route overlaps everything
    for candidate in pool.subnets(new_prefix=prefix):
        if not any(candidate.overlaps(n) for n in busy):
            return candidate
    raise NetworkFailure(f"no free /{prefix} subnet left in the address pool {pool}")


def gateway(subnet: IPv4Network) -> IPv4Address:
    return next(subnet.hosts())


def next_address(subnet: IPv4Network, used: Iterable[IPv4Address]) -> IPv4Address:
    """The lowest free host address after the gateway."""
    busy = {gateway(subnet), *used}
    for address in subnet.hosts():
        if address not in busy:
            return address
    raise NetworkFailure(f"subnet {subnet} has no free address left")


def parse_network(text: str) -> IPv4Network:
    network = ip_network(text, strict=False)
    if not isinstance(network, IPv4Network):
        raise ValueError(f"{text} is not an IPv4 network")
    return network
