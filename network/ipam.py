"""Address management (pure): subnets from a pool, addresses within a subnet.

Both families: IPv4 subnets come from ``10.89.0.0/16`` in /24s (podman's range;
Docker's 172.17-31/16 often collides with VPNs), IPv6 ones from the unique local
``fd89::/48`` in /64s.  A pool is configurable (``AddressPool``); a subnet is free
when it overlaps no host route and no other project's network.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from ipaddress import (
    IPv4Address,
    IPv4Network,
    IPv6Address,
    IPv6Network,
    ip_address,
    ip_network,
)
from typing import cast

from common.errors import NetworkFailure

IPNetwork = IPv4Network | IPv6Network
IPAddress = IPv4Address | IPv6Address

DEFAULT_POOL = IPv4Network("10.89.0.0/16")
DEFAULT_PREFIX = 24
DEFAULT_POOL6 = IPv6Network("fd89::/48")
DEFAULT_PREFIX6 = 64


@dataclass(frozen=True)
class AddressPool:
    """Docker's ``default-address-pools`` entry: carve ``size``-bit subnets from ``base``."""

    base: IPNetwork
    size: int

    @classmethod
    def parse(cls, base: str, size: int) -> AddressPool:
        network = ip_network(base, strict=False)
        if not network.prefixlen <= size <= network.max_prefixlen:
            raise ValueError(f"size {size} does not fit in {network}")
        return cls(network, size)


DEFAULT_POOLS = (AddressPool(DEFAULT_POOL, DEFAULT_PREFIX),
                 AddressPool(DEFAULT_POOL6, DEFAULT_PREFIX6))


def choose_subnet(
    taken: Iterable[IPNetwork],
    pool: IPNetwork = DEFAULT_POOL,
    prefix: int = DEFAULT_PREFIX,
) -> IPNetwork:
    """The first subnet of ``pool`` that overlaps nothing in ``taken`` (host routes,
    other projects' networks)."""
    busy = [n for n in taken if n.prefixlen > 0 and n.version == pool.version]
    for candidate in pool.subnets(new_prefix=prefix):
        if not any(candidate.overlaps(n) for n in busy):
            return candidate
    raise NetworkFailure(f"no free /{prefix} subnet left in the address pool {pool}")


def choose_from_pools(taken: Iterable[IPNetwork], pools: Sequence[AddressPool],
                      version: int) -> IPNetwork:
    """A free subnet from the first pool of this IP ``version`` that has one."""
    taken = list(taken)
    candidates = [p for p in pools if p.base.version == version]
    if not candidates:
        candidates = [p for p in DEFAULT_POOLS if p.base.version == version]
    for pool in candidates:
        try:
            return choose_subnet(taken, pool.base, pool.size)
        except NetworkFailure:
            continue
    listed = ", ".join(str(p.base) for p in candidates)
    raise NetworkFailure(f"no free IPv{version} subnet left in the address pools ({listed})")


def overlapping(subnet: IPNetwork, taken: Iterable[IPNetwork]) -> IPNetwork | None:
    """The first of ``taken`` that ``subnet`` overlaps (default routes aside)."""
    for other in taken:
        if other.prefixlen > 0 and other.version == subnet.version \
                and subnet.overlaps(other):
            return other
    return None


def gateway(subnet: IPNetwork) -> IPAddress:
    return cast(IPAddress, next(iter(subnet.hosts())))


def next_address(subnet: IPNetwork, used: Iterable[IPAddress],
                 within: IPNetwork | None = None) -> IPAddress:
    """The lowest free host address (the gateway and ``used`` are not free), taken
    from ``within`` (an ``ip_range``) when given."""
    busy = {gateway(subnet), *used}
    for address in (within or subnet).hosts():
        if address not in busy and address in subnet:
            return address
    raise NetworkFailure(f"subnet {within or subnet} has no free address left")


def parse_network(text: str) -> IPv4Network:
    network = ip_network(text, strict=False)
    if not isinstance(network, IPv4Network):
        raise ValueError(f"{text} is not an IPv4 network")
    return network


def parse_any(text: str) -> IPNetwork:
    return ip_network(text, strict=False)


def parse_address(text: str) -> IPAddress:
    return ip_address(text.split("/", 1)[0])
