"""runtime/ocispec/capabilities.py: Docker's cap_add/cap_drop/privileged rules."""

from __future__ import annotations

import pytest

from runtime.ocispec.capabilities import (
    ALL_CAPABILITIES,
    DEFAULT_CAPABILITIES,
    CapabilityError,
    container_capabilities,
    mask_of,
    names_in_mask,
    normalize,
    tweak,
)

NO_SYS_RESOURCE = (1 << 41) - 1 - (1 << 24)


def test_default_mask_is_dockers() -> None:
    assert mask_of(DEFAULT_CAPABILITIES) == 0xA80425FB
    assert len(ALL_CAPABILITIES) == 41 and ALL_CAPABILITIES[24] == "CAP_SYS_RESOURCE"


@pytest.mark.parametrize(("given", "expected"), [
    (["net_admin", "CAP_SYS_TIME", "SYS_TIME"], ["CAP_NET_ADMIN", "CAP_SYS_TIME"]),
    (["all"], ["ALL"]),
])
def test_normalize(given: list[str], expected: list[str]) -> None:
    assert normalize(given) == expected


def test_unknown_capability() -> None:
    with pytest.raises(CapabilityError, match="unknown capability: 'FLY'"):
        normalize(["FLY"])


def test_tweak_rules() -> None:
    assert tweak([], [], privileged=False) == list(DEFAULT_CAPABILITIES)
    assert tweak(["NET_ADMIN"], ["MKNOD"], privileged=False) == [
        c for c in DEFAULT_CAPABILITIES if c != "CAP_MKNOD"] + ["CAP_NET_ADMIN"]
    assert tweak(["CHOWN"], [], privileged=False) == list(DEFAULT_CAPABILITIES)  # no repeat
    assert tweak(["ALL"], ["NET_RAW"], privileged=False) == [
        c for c in ALL_CAPABILITIES if c != "CAP_NET_RAW"]
    assert tweak(["KILL"], ["ALL"], privileged=False) == ["CAP_KILL"]
    assert tweak([], ["ALL"], privileged=False) == []
    assert tweak([], ["ALL"], privileged=True) == list(ALL_CAPABILITIES)


def test_limited_to_the_hosts_bounding_set() -> None:
    everything = container_capabilities([], [], privileged=True, bounding=NO_SYS_RESOURCE)
    assert "CAP_SYS_RESOURCE" not in everything.granted
    assert len(everything.granted) == 40 and everything.warnings == ()
    asked = container_capabilities(["SYS_RESOURCE", "NET_ADMIN"], [], privileged=False,
                                   bounding=NO_SYS_RESOURCE)
    assert "CAP_NET_ADMIN" in asked.granted and "CAP_SYS_RESOURCE" not in asked.granted
    assert asked.warnings == ("CAP_SYS_RESOURCE is not in this host's capability bounding "
                              "set; the container runs without it",)
    assert set(names_in_mask(mask_of(asked.granted))) == set(asked.granted)
