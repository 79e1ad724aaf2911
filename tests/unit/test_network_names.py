"""network/names.py: kernel interface names."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from network.names import IFNAMSIZ, bridge_name, veth_name, veth_peer_name

Namer = Callable[[str, str], str]
FUNCTIONS: list[Namer] = [bridge_name, veth_name, veth_peer_name]
PREFIXES: dict[Namer, str] = {bridge_name: "pc", veth_name: "pv", veth_peer_name: "pt"}


@pytest.mark.parametrize("function", FUNCTIONS)
def test_names_fit_the_kernel_limit(function: Namer) -> None:
    assert IFNAMSIZ == 15
    long = "x" * 500
    for first, second in [("a", "b"), (long, long), ("", ""), ("ü" * 40, "net")]:
        name = function(first, second)
        assert len(name) <= IFNAMSIZ
        assert len(name) == 12
        assert name.startswith(PREFIXES[function])
        assert all(c in "0123456789abcdef" for c in name[2:])


@pytest.mark.parametrize("function", FUNCTIONS)
def test_names_are_deterministic(function: Namer) -> None:
    assert function("root", "demo_default") == function("root", "demo_default")


def test_known_values() -> None:
    # sha256("root\0demo_default")[:10], pinned so a change of scheme is noticed
    assert bridge_name("root", "demo_default") == "pc797f0e70ec"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_names_are_distinct_for_distinct_inputs(function: Namer) -> None:
    inputs = [f"id{n}" for n in range(40)]
    networks = ["p_default", "p_back", "q_default"]
    made = {function(a, b) for a, b in itertools.product(inputs, networks)}
    assert len(made) == len(inputs) * len(networks)


def test_parts_are_separated() -> None:
    # ("ab", "c") and ("a", "bc") must not collide by concatenation
    assert bridge_name("ab", "c") != bridge_name("a", "bc")


def test_the_three_kinds_differ_for_the_same_input() -> None:
    names = {f("c" * 64, "p_default") for f in FUNCTIONS}
    assert len(names) == 3
    assert veth_name("c" * 64, "p_default")[2:] == veth_peer_name("c" * 64, "p_default")[2:]


def test_a_container_address_s_mac_is_docker_s() -> None:
    from ipaddress import IPv4Interface

    from network.driver import mac_for

    assert mac_for(IPv4Interface("172.17.0.2/16")) == "02:42:ac:11:00:02"
    assert mac_for(IPv4Interface("10.89.0.10/24")) == "02:42:0a:59:00:0a"
