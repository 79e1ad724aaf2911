"""Whether a container's embedded DNS server is up, for ``up`` to wait on before
the container first starts (``dnshost.py`` serves it; this module stays light, so
the command that waits does not import the DNS server).  The supervisor writes a
``dns.ready`` file in the container's directory once the sockets are bound."""

from __future__ import annotations

import trio

from common.filewatch import DIRECTORY_CHANGES, FileWatch
from common.paths import Layout
from common.records import ContainerRecord

READY = "dns.ready"


def resolves_here(record: ContainerRecord) -> bool:
    """Containers with a namespace of their own and a network use the embedded server
    (host-mode ones use the host's resolvers, joined ones their owner's socket)."""
    return record.network.mode == "" and bool(record.attachments)


async def wait_ready(layout: Layout, record: ContainerRecord, timeout: float = 15.0) -> bool:
    """In ``up``: wait until the supervisor serves DNS in this container's namespace."""
    if not resolves_here(record):
        return True
    directory = layout.container_dir(record.id)
    with FileWatch(directory, DIRECTORY_CHANGES) as changes, trio.move_on_after(timeout):
        while not (directory / READY).exists():
            await changes.changed()
        return True
    return False
