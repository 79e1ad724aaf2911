"""The NetworkBackend: bridges per network, a namespace and veths per container.

Thin trio layer over ``netlink`` (run in worker threads) and ``netns``.
"""

from __future__ import annotations

import os
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path

import trio

from compose.paths import Layout
from compose.records import ContainerRecord, NetworkRecord
from network import netlink
from network.netns import create_netns, remove_netns


class NetworkDriver:
    def __init__(self, layout: Layout) -> None:
        self.layout = layout

    def netns_path(self, record: ContainerRecord) -> Path:
        return self.layout.netns / record.id

    async def create_network(self, network: NetworkRecord) -> None:
        gateway = IPv4Interface(f"{network.gateway}/{IPv4Network(network.subnet).prefixlen}")
        await trio.to_thread.run_sync(netlink.ensure_bridge, network.bridge, gateway)

    async def remove_network(self, network: NetworkRecord) -> None:
        await trio.to_thread.run_sync(netlink.delete_link, network.bridge)

    async def connect(self, record: ContainerRecord) -> None:
        path = self.netns_path(record)
        if os.path.ismount(path):
            return  # connected before (a restart keeps the namespace and its address)
        await create_netns(path)
        for attachment in record.attachments:
            await trio.to_thread.run_sync(
                netlink.attach_veth, attachment.bridge, attachment.veth, attachment.peer,
                str(path), IPv4Interface(attachment.address), IPv4Address(attachment.gateway),
            )

    async def disconnect(self, record: ContainerRecord) -> None:
        for attachment in record.attachments:
            await trio.to_thread.run_sync(netlink.delete_link, attachment.veth)
        await trio.to_thread.run_sync(remove_netns, self.netns_path(record))

    async def routed_networks(self) -> list[IPv4Network]:
        return await trio.to_thread.run_sync(netlink.routed_networks)

    async def link_names(self) -> set[str]:
        return set(await trio.to_thread.run_sync(netlink.link_names))
