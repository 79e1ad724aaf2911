"""Kernel network objects through pyroute2: the only module that imports it.

Every function is synchronous and opens its own ``IPRoute``; trio code calls them
through ``trio.to_thread.run_sync`` (pyroute2's async API does not run under
trio).  Namespaces are opened with ``flags=0`` so a wrong path never creates one.
"""

from __future__ import annotations

import errno
import os
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import Any

from compose.errors import NetworkFailure

CONTAINER_IFNAME = "eth0"


# pyroute2 takes a fifth of a second to import; commands that touch no network
# (ps, logs) should not pay for it, so it is imported on first use.
def IPRoute(**kwargs: Any) -> Any:
    from pyroute2 import IPRoute as _IPRoute

    return _IPRoute(**kwargs)


def _netlink_error() -> type[Exception]:
    from pyroute2.netlink.exceptions import NetlinkError

    return NetlinkError  # type: ignore[no-any-return]


def _errno(exc: Exception) -> int:
    return int(getattr(exc, "code", 0) or 0)


def _index(ipr: Any, name: str) -> int | None:
    found = ipr.link_lookup(ifname=name)
    return int(found[0]) if found else None


def link_exists(name: str) -> bool:
    with IPRoute() as ipr:
        return _index(ipr, name) is not None


def link_names() -> list[str]:
    with IPRoute() as ipr:
        return [str(link.get_attr("IFLA_IFNAME")) for link in ipr.get_links()]


def routed_networks() -> list[IPv4Network]:
    """Destinations of the IPv4 routes in this namespace (for choosing free subnets)."""
    networks = []
    with IPRoute() as ipr:
        for route in ipr.get_routes(family=2):
            dst = route.get_attr("RTA_DST")
            if dst:
                networks.append(IPv4Network(f"{dst}/{route['dst_len']}", strict=False))
    return networks


def ensure_bridge(name: str, gateway: IPv4Interface) -> None:
    """A bridge ``name`` that is up and holds ``gateway``; created if missing."""
    try:
        with IPRoute() as ipr:
            index = _index(ipr, name)
            if index is None:
                ipr.link("add", ifname=name, kind="bridge")
                index = _index(ipr, name)
                if index is None:
                    raise NetworkFailure(f"bridge {name} vanished right after creation")
            present = {
                (a.get_attr("IFA_ADDRESS"), a["prefixlen"])
                for a in ipr.get_addr(index=index, family=2)
            }
            if (str(gateway.ip), gateway.network.prefixlen) not in present:
                ipr.addr("add", index=index, address=str(gateway.ip),
                         prefixlen=gateway.network.prefixlen)
            ipr.link("set", index=index, state="up")
    except _netlink_error() as exc:
        raise NetworkFailure(f"cannot set up bridge {name}: {os.strerror(_errno(exc))}") from None


def delete_link(name: str) -> None:
    """Delete an interface if it exists (a veth's peer goes with it)."""
    try:
        with IPRoute() as ipr:
            index = _index(ipr, name)
            if index is not None:
                ipr.link("del", index=index)
    except _netlink_error() as exc:
        if _errno(exc) not in (errno.ENODEV, errno.ENOENT):
            raise NetworkFailure(f"cannot delete {name}: {os.strerror(_errno(exc))}") from None


def attach_veth(
    bridge: str,
    host_name: str,
    peer_name: str,
    netns_path: str,
    address: IPv4Interface,
    gateway: IPv4Address,
) -> None:
    """Connect a network namespace to ``bridge``: a veth pair whose host end is
    enslaved to the bridge and whose other end becomes ``eth0`` in the namespace,
    with ``address`` and a default route through ``gateway``."""
    try:
        with IPRoute() as ipr:
            bridge_index = _index(ipr, bridge)
            if bridge_index is None:
                raise NetworkFailure(f"bridge {bridge} does not exist")
            if _index(ipr, host_name) is not None:
                ipr.link("del", index=_index(ipr, host_name))
            ipr.link("add", ifname=host_name, kind="veth", peer={"ifname": peer_name})
            host_index = _index(ipr, host_name)
            peer_index = _index(ipr, peer_name)
            ipr.link("set", index=host_index, master=bridge_index)
            ns_fd = os.open(netns_path, os.O_RDONLY)
            try:
                ipr.link("set", index=peer_index, net_ns_fd=ns_fd)
            finally:
                os.close(ns_fd)
            ipr.link("set", index=host_index, state="up")
        with IPRoute(netns=netns_path, flags=0) as ns:
            index = _index(ns, peer_name)
            ns.link("set", index=index, ifname=CONTAINER_IFNAME)
            ns.addr("add", index=index, address=str(address.ip),
                    prefixlen=address.network.prefixlen)
            ns.link("set", index=index, state="up")
            loopback = _index(ns, "lo")
            if loopback is not None:
                ns.link("set", index=loopback, state="up")
            ns.route("add", dst="0.0.0.0/0", gateway=str(gateway))
    except _netlink_error() as exc:
        raise NetworkFailure(
            f"cannot connect {host_name} to bridge {bridge}: {os.strerror(_errno(exc))}"
        ) from None
