"""Read what exists for a project, once, into an ObservedState."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from ipaddress import IPv4Network

import trio

from common import state
from common.concurrency import bounded, parallel_limit
from common.errors import UsageError
from common.paths import Layout
from common.records import ContainerRecord, NetworkRecord, VolumeRecord
from common.status import ContainerStatus
from compose.engine import netstate
from compose.engine.backends import ContainerBackend, NetworkBackend, VolumeBackend
from compose.planning.observed import ObservedState, Surroundings


async def observe(
    layout: Layout,
    project: str,
    containers: ContainerBackend,
    network: NetworkBackend | None = None,
    volumes: VolumeBackend | None = None,
) -> ObservedState:
    """Records joined with live status; with ``network``, also the subnets in use;
    with ``volumes``, the volumes of the state root."""
    disk = await trio.to_thread.run_sync(_on_disk, layout, project, network is not None)
    records = disk.records
    statuses: list[ContainerStatus] = [ContainerStatus(r, "") for r in records]
    found: dict[str, VolumeRecord] = {}

    async def one(index: int) -> None:
        statuses[index] = await containers.status(records[index])

    async def listed(backend: VolumeBackend) -> None:
        found.update(await backend.volumes())

    limiter = trio.CapacityLimiter(parallel_limit())  # each may read runtime state files
    async with trio.open_nursery() as nursery:
        if volumes is not None:
            nursery.start_soon(listed, volumes)
        for index in range(len(records)):
            nursery.start_soon(bounded(limiter, partial(one, index)))
    taken = []
    absent: set[str] = set()
    if network is not None:
        await refuse_elsewhere(network, disk.networks.values())
        taken = [*await network.routed_networks(), *disk.other_subnets]
        links = await network.link_names()
        absent = {key for key, record in disk.networks.items() if record.bridge not in links}
    return ObservedState(
        project=project,
        networks=disk.networks,
        containers=tuple(statuses),
        taken_subnets=tuple(taken),
        absent_networks=frozenset(absent),
        surroundings=disk.surroundings,
        volumes=found,
    )


async def refuse_elsewhere(network: NetworkBackend, networks: Iterable[NetworkRecord]) -> None:
    """A project's networks are used only from the network namespace they were made
    in (``network/nsidentity.py``): from another one, their bridges are not found,
    and ``down`` forgot them while they lived on, or ``up`` made them twice.  A
    UsageError naming where they are, before anything is changed."""
    for record in networks:
        place = await network.elsewhere(record)
        if place is not None:
            raise UsageError(
                f"network {record.name} of project {record.project} was made in another "
                f"network namespace, {place}: run pycompose in that one "
                f"(nsenter --net={place} pycompose ...)")


@dataclass(frozen=True)
class _OnDisk:
    records: list[ContainerRecord]
    networks: dict[str, NetworkRecord]
    other_subnets: list[IPv4Network]
    surroundings: Surroundings


def _on_disk(layout: Layout, project: str, subnets: bool) -> _OnDisk:
    """What ``observe`` reads from the state root, in one worker thread rather than
    four one after the other, and every record once: the project's records and
    the surroundings each read them all (0.7 ms for 20 containers here)."""
    every = state.container_records(layout)
    return _OnDisk(
        records=[r for r in every if r.project == project],
        networks=state.project_networks(layout, project),
        other_subnets=state.other_subnets(layout, project) if subnets else [],
        surroundings=netstate.surroundings(layout, project, every),
    )
