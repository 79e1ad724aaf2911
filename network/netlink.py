"""Kernel network objects through pyroute2: the only module that imports it.

Every function is synchronous and opens its own ``IPRoute``; trio code calls them
through ``trio.to_thread.run_sync`` (pyroute2's async API does not run under
trio).  A container's namespace is configured from a thread that entered it
(pyroute2's own ``netns=`` would start a process to open its socket there).
"""

from __future__ import annotations

import errno
import importlib.util
import os
import secrets
import socket
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import (
    IPv4Address,
    IPv4Interface,
    IPv6Address,
    IPv6Interface,
)
from pathlib import Path
from typing import Any

from common.errors import NetworkFailure
from common.libc import skip_ldconfig
from network.nsthread import enter, enter_fd

IFA_F_NODAD = 0x02


# pyroute2 takes a tenth of a second to import; commands that touch no network
# (ps, logs) should not pay for it, so it is imported on first use (by the
# netlink worker, ahead of it, in commands that make networks).
def IPRoute(**kwargs: Any) -> Any:
    _package_without_init()
    from pyroute2.iproute.linux import IPRoute as _IPRoute

    return _IPRoute(**kwargs)


def _package_without_init() -> None:
    """pyroute2's package module imports every API it has (IPDB, NDB, conntrack,
    wireguard, nl80211, plan9...), a third of importing it (40-65 ms a process);
    the modules used here import each other by their full names and need none of
    it, so the package is made without running its ``__init__``.  Only this module
    imports pyroute2 (an import contract), so nothing here misses those names."""
    skip_ldconfig()
    if "pyroute2" in sys.modules:
        return
    spec = importlib.util.find_spec("pyroute2")
    if spec is not None and spec.submodule_search_locations is not None:
        sys.modules["pyroute2"] = importlib.util.module_from_spec(spec)


def import_library() -> None:
    """Import the pyroute2 modules used here, and nothing more: no socket, no
    thread (a fork server's preload; its commands' netlink workers find them)."""
    _netlink_error()
    import pyroute2.iproute.linux  # noqa: F401


def preload() -> None:
    """Import pyroute2 now (``netlinkworker``: ahead of the first call)."""
    _netlink_error()
    with IPRoute():
        pass


def _netlink_error() -> type[Exception]:
    _package_without_init()
    from pyroute2.netlink.exceptions import NetlinkError

    return NetlinkError  # type: ignore[no-any-return]


def _errno(exc: Exception) -> int:
    return int(getattr(exc, "code", 0) or 0)


def _index(name: str) -> int | None:
    """The index of the interface ``name`` in this thread's namespace (the one the
    caller's ``IPRoute`` was opened in), asked of the kernel by name: pyroute2's
    lookup is a netlink request and its decoding (0.4 ms of Python each)."""
    try:
        return socket.if_nametoindex(name)
    except OSError:
        return None


def ensure_bridge(name: str, gateways: Sequence[IPv4Interface | IPv6Interface],
                  mtu: int = 0) -> None:
    """A bridge ``name`` that is up and holds ``gateways``; created if missing."""
    try:
        with IPRoute() as ipr:
            index = _index(name)
            if index is None:
                ipr.link("add", ifname=name, kind="bridge", **({"mtu": mtu} if mtu else {}))
                index = _index(name)
                if index is None:
                    raise NetworkFailure(f"bridge {name} vanished right after creation")
            present = {(a.get_attr("IFA_ADDRESS"), a["prefixlen"])
                       for a in ipr.get_addr(index=index)}
            for gateway in gateways:
                if (str(gateway.ip), gateway.network.prefixlen) not in present:
                    _add_address(ipr, index, gateway)
            ipr.link("set", index=index, state="up")
    except _netlink_error() as exc:
        raise NetworkFailure(f"cannot set up bridge {name}: {os.strerror(_errno(exc))}") from None


def _add_address(ipr: Any, index: int, address: IPv4Interface | IPv6Interface) -> None:
    """No duplicate address detection for IPv6: the address is ours, and a tentative
    one cannot be used for a second or two."""
    extra = {"flags": IFA_F_NODAD} if address.version == 6 else {}
    ipr.addr("add", index=index, address=str(address.ip), prefixlen=address.network.prefixlen,
             **extra)


def delete_link(name: str) -> None:
    """Delete an interface if it exists (a veth's peer goes with it)."""
    try:
        with IPRoute() as ipr:
            index = _index(name)
            if index is not None:
                ipr.link("del", index=index)
    except _netlink_error() as exc:
        if _errno(exc) not in (errno.ENODEV, errno.ENOENT):
            raise NetworkFailure(f"cannot delete {name}: {os.strerror(_errno(exc))}") from None


def delete_links(names: Sequence[str]) -> None:
    """Delete the interfaces of ``names`` that exist, in one batch: the kernel waits
    for RCU grace periods at each deletion (20 ms a veth), and once for a batch.
    Several are tagged with a link group of their own and the group is deleted
    (``ip link delete group``); a group someone else's link has is never used."""
    try:
        with IPRoute() as ipr:
            indices = [i for i in (_index(name) for name in names) if i is not None]
            if len(indices) > 1 and _delete_as_group(ipr, indices):
                return
            for index in indices:
                _delete_index(ipr, index)
    except _netlink_error() as exc:
        if _errno(exc) not in (errno.ENODEV, errno.ENOENT):
            raise NetworkFailure(f"cannot delete {', '.join(names)}: "
                                 f"{os.strerror(_errno(exc))}") from None


def _delete_as_group(ipr: Any, indices: Sequence[int]) -> bool:
    """Delete the links at ``indices`` as one link group; False (their group put
    back) if the random group turned out to hold another link too."""
    group = secrets.randbelow(2**31 - 2**20) + 2**20
    for index in indices:
        ipr.link("set", index=index, group=group)
    members = {link["index"] for link in ipr.get_links() if link.get_attr("IFLA_GROUP") == group}
    if members != set(indices):
        for index in indices:
            ipr.link("set", index=index, group=0)
        return False
    ipr.link("del", group=group)
    return True


def _delete_index(ipr: Any, index: int) -> None:
    try:
        ipr.link("del", index=index)
    except _netlink_error() as exc:
        if _errno(exc) not in (errno.ENODEV, errno.ENOENT):
            raise  # gone meanwhile (a veth's peer goes with it): as wanted


@dataclass(frozen=True)
class Interface:
    """The container end of a veth pair, as it is inside the namespace."""

    ifname: str
    address: IPv4Interface
    gateway: IPv4Address | None  # the default route goes through it when set
    address6: IPv6Interface | None = None
    gateway6: IPv6Address | None = None
    mac: str = ""
    mtu: int = 0


@dataclass(frozen=True)
class Veth:
    """A veth pair from ``bridge`` into a container's namespace."""

    bridge: str
    host_name: str
    interface: Interface


def attach_veths(netns_path: str, veths: Sequence[Veth]) -> None:
    """Connect the network namespace at ``netns_path`` to its bridges: per veth pair
    the host end enslaved to the bridge, the other end made in the namespace as
    ``interface`` (whose ``lo`` is up already: ``netns.make_netns``).
    Synchronous, for a thread of its own (it enters the namespace;
    ``nsthread.in_own_thread``): one netlink conversation on each side, and no
    process to open a socket in the namespace."""
    host_ns = os.open(f"/proc/self/task/{threading.get_native_id()}/ns/net",
                      os.O_RDONLY | os.O_CLOEXEC)
    try:
        with IPRoute() as ipr:
            for veth in veths:
                _make_pair(ipr, veth, netns_path)
        enter(Path(netns_path))
        try:
            with IPRoute() as ns:
                for veth in veths:
                    _configure_peer(ns, veth, netns_path)
        finally:
            enter_fd(host_ns)
    except _netlink_error() as exc:
        names = ", ".join(v.host_name for v in veths) or "lo"
        raise NetworkFailure(f"cannot connect {names} in {netns_path}: "
                             f"{os.strerror(_errno(exc))}") from None
    finally:
        os.close(host_ns)


def _make_pair(ipr: Any, veth: Veth, netns_path: str) -> None:
    """The pair, its host end on the bridge and up from the start, its other end
    made in the namespace under its final name (moving a device there afterwards
    waits for the kernel's RCU grace period: 20 ms a container).  One request:
    pyroute2 spends a millisecond of Python on each, and ``up`` of many
    containers is bound by the CPU."""
    bridge_index = _index(veth.bridge)
    if bridge_index is None:
        raise NetworkFailure(f"bridge {veth.bridge} does not exist")
    interface = veth.interface
    size = {"mtu": interface.mtu} if interface.mtu else {}
    ns_fd = os.open(netns_path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        peer: dict[str, Any] = {"ifname": interface.ifname, "net_ns_fd": ns_fd, **size}
        if interface.mac:
            peer["address"] = interface.mac
        pair = {"ifname": veth.host_name, "kind": "veth", "peer": peer,
                "master": bridge_index, "state": "up", **size}
        try:
            ipr.link("add", **pair)
        except _netlink_error() as exc:
            if _errno(exc) != errno.EEXIST:
                raise
            ipr.link("del", index=_index(veth.host_name))  # a crash's leftover
            ipr.link("add", **pair)
    finally:
        os.close(ns_fd)


def _configure_peer(ns: Any, veth: Veth, netns_path: str) -> None:
    """Inside the namespace: the interface's name, addresses, state and routes."""
    interface = veth.interface
    index = _index(interface.ifname)
    if index is None:
        raise NetworkFailure(f"{interface.ifname} did not arrive in {netns_path}")
    _add_address(ns, index, interface.address)
    if interface.address6 is not None:
        _add_address(ns, index, interface.address6)
    ns.link("set", index=index, state="up")
    if interface.gateway is not None:
        ns.route("add", dst="0.0.0.0/0", gateway=str(interface.gateway))
    if interface.gateway6 is not None:
        ns.route("add", dst="::/0", gateway=str(interface.gateway6), family=socket.AF_INET6)
