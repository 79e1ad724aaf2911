"""The NetworkBackend: bridges per network, a namespace and veths per container, and
a project's nftables table (published ports, egress, isolation).

Thin trio layer over ``netlink`` (run in worker threads), ``netns``, ``firewall``
(pure) and ``ports``.  The firewall table is rewritten whole from the records on
disk after every change that affects it, under a lock, so concurrent operations
of one run never lose each other's rules.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Collection, Sequence
from functools import partial
from ipaddress import (
    IPv4Address,
    IPv4Interface,
    IPv4Network,
    IPv6Address,
    IPv6Interface,
    IPv6Network,
    ip_interface,
)
from pathlib import Path

import trio

from common import state
from common.concurrency import open_nursery
from common.paths import Layout
from common.records import Attachment, ContainerRecord, NetworkRecord
from common.statefiles import write_atomic
from network import firewall, netlink, netlinkworker, nsidentity, ports, procnet, sysctl
from network.deletions import LinkDeletions
from network.hosts import container_resolv_conf
from network.netns import bind_netns, make_netns, remove_netns
from network.nft import apply_nft
from network.nsthread import in_own_thread

HOST_RESOLV_CONF = Path("/etc/resolv.conf")


class NetworkDriver:
    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self._firewall_lock = trio.Lock()
        self._bridges_leaving: set[str] = set()
        """Bridges of networks being removed: their rules are left out of tables."""
        self._rules_gone: set[str] = set()
        """Bridges deleted with a container, the table written without them meanwhile."""
        self._no_table: set[str] = set()
        """Projects whose table the last write deleted (nothing needed rules then)."""
        self._deletions = LinkDeletions(self._delete_links)  # containers removed side by side

    def netns_path(self, record: ContainerRecord) -> Path:
        return self.layout.netns / record.id

    async def create_network(self, network: NetworkRecord) -> None:
        gateways: list[IPv4Interface | IPv6Interface] = [
            ip_interface(f"{network.gateway}/{network.subnet.split('/')[1]}")]
        if network.subnet6:
            gateways.append(ip_interface(f"{network.gateway6}/{network.subnet6.split('/')[1]}"))
        await trio.to_thread.run_sync(netlinkworker.run, netlink.ensure_bridge,
                                      network.bridge, gateways, network.mtu)
        await trio.to_thread.run_sync(sysctl.prepare_bridge, network.bridge,
                                      bool(network.subnet6))
        await self.sync_firewall(network.project)

    async def remove_network(self, network: NetworkRecord) -> None:
        """The bridge and its firewall rules go side by side: deleting the bridge
        waits out the kernel's RCU grace periods (30-60 ms), meanwhile libnftables
        rewrites the project's table without it (8-20 ms)."""
        if network.bridge not in await self.link_names():  # went with its last container
            if network.bridge in self._rules_gone and network.project in self._no_table:
                self._rules_gone.discard(network.bridge)
                return  # no table: written without it, and by nobody since
            await self.sync_firewall(network.project)
            return
        self._bridges_leaving.add(network.bridge)  # every table written meanwhile skips it
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(partial(trio.to_thread.run_sync, netlinkworker.run,
                                           netlink.delete_link, network.bridge))
                nursery.start_soon(self.sync_firewall, network.project)
        finally:
            self._bridges_leaving.discard(network.bridge)

    async def connect(self, record: ContainerRecord, *,
                      task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Idempotent: a restart keeps the namespace, its interfaces and addresses.
        Started once the namespace and ``resolv.conf`` are in place (what runc
        create needs), then the interfaces are attached (what the start needs)."""
        path = self.netns_path(record)
        if os.path.ismount(path):
            task_status.started()
            return
        mode = record.network.mode
        own = mode != "host" and not mode.startswith("container:")  # "" or "none"
        if mode == "host":
            await trio.to_thread.run_sync(bind_netns, Path(f"/proc/{os.getpid()}/ns/net"), path)
        elif not own:
            joined = self.layout.netns / mode[len("container:"):]
            if os.path.ismount(joined):  # else joined when it starts, after its owner
                await trio.to_thread.run_sync(bind_netns, joined, path)
        try:
            if own:  # the namespace and resolv.conf in one trip to a worker thread
                await trio.to_thread.run_sync(self._own_namespace, record, path)
            elif mode == "host":
                await trio.to_thread.run_sync(self._write_resolv_conf, record)
            task_status.started()
            if own and record.attachments:  # its interfaces (lo is up since it was made)
                await self._attach(record, path)
        except BaseException:
            if own:
                with trio.CancelScope(shield=True):  # half a namespace would look connected
                    await self._unmake(record)
            raise

    async def _attach(self, record: ContainerRecord, path: Path) -> None:
        veths = [netlink.Veth(a.bridge, a.veth, _interface(a)) for a in record.attachments]
        await trio.to_thread.run_sync(  # in a thread of its own: it enters the namespace
            netlinkworker.run, in_own_thread, partial(netlink.attach_veths, str(path), veths))
        if record.network.ports:
            await self.sync_firewall(record.project)

    def _own_namespace(self, record: ContainerRecord, path: Path) -> None:
        """A container's own namespace, then its ``resolv.conf`` (on networks): one
        worker thread rather than two in a row before runc may create it."""
        make_netns(path)
        if record.network.mode == "":
            self._write_resolv_conf(record)

    def _write_resolv_conf(self, record: ContainerRecord) -> None:
        """A container on networks resolves through the embedded DNS server on
        127.0.0.11 (its ``dns`` servers become the server's upstreams for it); a
        host-mode one uses the host's file.  The runtime writes a default file at
        create; this replaces it before the container first starts."""
        target = self.layout.container_dir(record.id) / "resolv.conf"
        if not target.parent.is_dir():
            return
        try:
            host = HOST_RESOLV_CONF.read_text(errors="replace")
        except OSError:
            host = ""
        text = container_resolv_conf(record.network, bool(record.attachments), host)
        with contextlib.suppress(OSError):
            if target.read_text() == text:
                return  # as the bundle wrote it: no write, no two fsyncs
        write_atomic(target, text.encode())

    async def disconnect(self, record: ContainerRecord, bridges: Sequence[str] = (), *,
                         links_with_namespace: bool = False) -> None:
        """Before the container's record goes (a removal cut short is then finished
        by the next one): its ports leave the firewall though the record is there.
        ``bridges`` go in the same batch as its links; their networks' records stay
        until ``remove_network`` (which finds them gone), so a removal cut short
        between the two is finished by the next.  The table is written while the
        kernel deletes the links (a wait on its RCU grace periods, 15-50 ms), the
        bridges counting as gone from the start: ``down`` of one service waited
        for the deletion, then for libnftables (5-10 ms) in ``remove_network``.

        With ``links_with_namespace`` (and no bridge), the container's veths are not
        deleted here: the kernel deletes a namespace's links with it, once its last
        user is gone (its processes, the namespace's mount removed here, and the
        supervisor's DNS sockets, which its next rescan closes).  Deleting them here
        waited for RCU grace periods, 15 ms of every ``run --rm``; the kernel's
        cleanup waits in its own worker.  Not when another container joins the
        namespace: that one keeps it, and the links would stay with it."""
        self._bridges_leaving.update(bridges)
        try:
            async with open_nursery() as nursery:
                nursery.start_soon(partial(self._unmake, record, bridges,
                                           links_with_namespace and not bridges))
                if record.network.ports or bridges:
                    nursery.start_soon(partial(self.sync_firewall, record.project,
                                               leaving=record.id))
        finally:
            self._bridges_leaving.difference_update(bridges)
        self._rules_gone.update(bridges)

    async def _unmake(self, record: ContainerRecord, bridges: Sequence[str] = (),
                      links_with_namespace: bool = False) -> None:
        links = [a.veth for a in record.attachments]
        if links_with_namespace and not await trio.to_thread.run_sync(self._joined, record):
            links = []  # the kernel deletes them with the namespace
        await self._deletions.delete([*links, *bridges])
        await trio.to_thread.run_sync(remove_netns, self.netns_path(record))

    def _joined(self, record: ContainerRecord) -> bool:
        """Whether another container shares ``record``'s namespace (``network_mode:
        container:`` or ``service:``)."""
        mode = f"container:{record.id}"
        return any(other.network.mode == mode for other in state.container_records(self.layout)
                   if other.id != record.id)

    async def _delete_links(self, names: list[str]) -> None:
        await trio.to_thread.run_sync(netlinkworker.run, netlink.delete_links, names)

    async def reserve_ports(self, records: Sequence[ContainerRecord],
                            leaving: Collection[str]) -> list[ContainerRecord]:
        """``records`` with their host ports checked and random ones chosen; the
        containers in ``leaving`` are about to be removed and free theirs."""
        starting = {r.id for r in records}

        def others() -> list[ContainerRecord]:
            return [r for r in state.container_records(self.layout)
                    if r.id not in starting and r.id not in leaving]

        return await trio.to_thread.run_sync(
            lambda: ports.reserve(records, others(), ports.bind_probe))

    async def sync_firewall(self, project: str, *, leaving: str | None = None) -> None:
        """Write the project's table from its records, or delete it when nothing
        needs it.  A network counts while its bridge exists and is not being
        deleted: it is removed before its record, and other removals may run
        meanwhile.  ``leaving``: a container that counts as gone already."""
        async with self._firewall_lock:
            links = await self.link_names() - self._bridges_leaving
            networks = [n for n in (await trio.to_thread.run_sync(
                state.project_networks, self.layout, project)).values() if n.bridge in links]
            containers = [r for r in await trio.to_thread.run_sync(
                state.container_records, self.layout, project) if r.id != leaving]
            table = firewall.table_name(self.layout.tag, project)
            comment = f"pycompose project {project} (state root {self.layout.root})"
            body = firewall.render(table, comment, networks, containers)
            self._no_table.discard(project)  # until this write is known to have gone through
            await apply_nft(firewall.replace_script(table, body), needed=body is not None)
            if body is None:
                self._no_table.add(project)

    async def routed_networks(self) -> list[IPv4Network | IPv6Network]:
        return procnet.read_routed_networks()  # a few small /proc files: no thread

    async def link_names(self) -> set[str]:
        return set(procnet.read_link_names())

    def namespace(self) -> str:
        return nsidentity.here()

    async def elsewhere(self, network: NetworkRecord) -> str | None:
        if not network.netns or network.netns == nsidentity.here():
            return None
        return await trio.to_thread.run_sync(nsidentity.where, network.netns)


def mac_for(address: IPv4Interface) -> str:
    """Docker's MAC for a container address: ``02:42`` then the address's four bytes.
    A container that gets the address of one removed before it gets its MAC too,
    so its peers' neighbour entries stay right and it is reachable at once."""
    return "02:42:" + ":".join(f"{byte:02x}" for byte in address.ip.packed)


def _interface(attachment: Attachment) -> netlink.Interface:
    address = IPv4Interface(attachment.address)
    return netlink.Interface(
        ifname=attachment.ifname,
        address=address,
        gateway=IPv4Address(attachment.gateway) if attachment.default_route else None,
        address6=IPv6Interface(attachment.address6) if attachment.address6 else None,
        gateway6=IPv6Address(attachment.gateway6)
        if attachment.default_route and attachment.gateway6 else None,
        mac=attachment.mac or mac_for(address), mtu=attachment.mtu,
    )
