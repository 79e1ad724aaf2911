"""network/ipam.py: subnets from the pool, addresses within a subnet."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

import pytest

from common.errors import NetworkFailure
from network.ipam import (
    DEFAULT_POOL,
    DEFAULT_PREFIX,
    choose_subnet,
    gateway,
    next_address,
    parse_network,
)


def net(text: str) -> IPv4Network:
    return IPv4Network(text)


def test_defaults() -> None:
    assert net("10.89.0.0/16") == DEFAULT_POOL
    assert DEFAULT_PREFIX == 24


@pytest.mark.parametrize(
    ("taken", "expected"),
    [
        ([], "10.89.0.0/24"),
        (["10.89.0.0/24"], "10.89.1.0/24"),
        (["10.89.0.0/24", "10.89.1.0/24"], "10.89.2.0/24"),
        (["10.89.1.0/24"], "10.89.0.0/24"),
        # partial overlaps, both ways
        (["10.89.0.128/25"], "10.89.1.0/24"),
        (["10.89.0.7/32"], "10.89.1.0/24"),
        (["10.89.0.0/23"], "10.89.2.0/24"),
        (["10.88.0.0/15"], None),  # covers the whole pool
        # a default route is not a subnet in use
        (["0.0.0.0/0"], "10.89.0.0/24"),
        (["0.0.0.0/0", "10.89.0.0/24"], "10.89.1.0/24"),
        # unrelated routes do not matter
        (["192.168.1.0/24", "172.17.0.0/16", "10.0.0.0/16"], "10.89.0.0/24"),
    ],
)
def test_choose_subnet(taken: list[str], expected: str | None) -> None:
    if expected is None:
        with pytest.raises(NetworkFailure):
            choose_subnet([net(t) for t in taken])
    else:
        assert choose_subnet([net(t) for t in taken]) == net(expected)


def test_choose_subnet_accepts_a_generator() -> None:
    assert choose_subnet(net(t) for t in ["10.89.0.0/24"]) == net("10.89.1.0/24")


def test_choose_subnet_exhausted_pool() -> None:
    pool = net("10.0.0.0/23")
    taken = [net("10.0.0.0/24"), net("10.0.1.0/24")]
    with pytest.raises(NetworkFailure) as info:
        choose_subnet(taken, pool=pool)
    assert str(info.value) == "no free /24 subnet left in the address pool 10.0.0.0/23"
    assert choose_subnet(taken[:1], pool=pool) == net("10.0.1.0/24")


def test_choose_subnet_whole_default_pool_taken() -> None:
    taken = list(DEFAULT_POOL.subnets(new_prefix=24))
    with pytest.raises(NetworkFailure, match=r"10\.89\.0\.0/16"):
        choose_subnet(taken)
    assert choose_subnet(taken[:-1]) == net("10.89.255.0/24")


def test_choose_subnet_other_prefix() -> None:
    assert choose_subnet([net("10.89.0.0/28")], prefix=28) == net("10.89.0.16/28")


@pytest.mark.parametrize(
    ("subnet", "gw"),
    [("10.89.0.0/24", "10.89.0.1"), ("192.168.4.0/22", "192.168.4.1"),
     ("10.0.0.8/30", "10.0.0.9")],
)
def test_gateway_is_the_first_host(subnet: str, gw: str) -> None:
    assert gateway(net(subnet)) == IPv4Address(gw)


def test_next_address() -> None:
    subnet = net("10.89.0.0/24")
    assert next_address(subnet, []) == IPv4Address("10.89.0.2")
    assert next_address(subnet, [IPv4Address("10.89.0.2")]) == IPv4Address("10.89.0.3")
    used = {IPv4Address("10.89.0.2"), IPv4Address("10.89.0.4")}
    assert next_address(subnet, used) == IPv4Address("10.89.0.3")
    # the gateway is never handed out, even when `used` forgets it
    assert next_address(subnet, [IPv4Address("10.89.0.3")]) == IPv4Address("10.89.0.2")


def test_next_address_skips_network_and_broadcast() -> None:
    subnet = net("10.0.0.0/29")  # hosts .1 - .6
    used = [IPv4Address(f"10.0.0.{n}") for n in range(2, 6)]
    assert next_address(subnet, used) == IPv4Address("10.0.0.6")
    with pytest.raises(NetworkFailure) as info:
        next_address(subnet, [*used, IPv4Address("10.0.0.6")])
    assert str(info.value) == "subnet 10.0.0.0/29 has no free address left"


def test_next_address_tiny_subnet() -> None:
    subnet = net("10.0.0.0/30")  # .1 gateway, .2 the only address
    assert next_address(subnet, []) == IPv4Address("10.0.0.2")
    with pytest.raises(NetworkFailure):
        next_address(subnet, [IPv4Address("10.0.0.2")])


def test_parse_network() -> None:
    assert parse_network("10.89.0.0/24") == net("10.89.0.0/24")
    # host bits are tolerated
    assert parse_network("10.89.0.5/24") == net("10.89.0.0/24")
    with pytest.raises(ValueError, match="is not an IPv4 network"):
        parse_network("fd00::/64")
    with pytest.raises(ValueError):
        parse_network("not a network")
