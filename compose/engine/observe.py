"""Read what exists for a project, once, into an ObservedState."""

from __future__ import annotations

from functools import partial

import trio

from common import state
from common.concurrency import bounded, parallel_limit
from common.paths import Layout
from common.status import ContainerStatus
from compose.engine import netstate
from compose.engine.backends import ContainerBackend, NetworkBackend, VolumeBackend
from compose.planning.observed import ObservedState


async def observe(
    layout: Layout,
    project: str,
    containers: ContainerBackend,
    network: NetworkBackend | None = None,
    volumes: VolumeBackend | None = None,
) -> ObservedState:
    """Records joined with live status; with ``network``, also the subnets in use;
    with ``volumes``, the volumes of the state root."""
    records = await trio.to_thread.run_sync(state.container_records, layout, project)
    statuses: list[ContainerStatus] = [ContainerStatus(r, "") for r in records]

    async def one(index: int) -> None:
        statuses[index] = await containers.status(records[index])

    limiter = trio.CapacityLimiter(parallel_limit())  # each may read runtime state files
    async with trio.open_nursery() as nursery:
        for index in range(len(records)):
            nursery.start_soon(bounded(limiter, partial(one, index)))
    networks = await trio.to_thread.run_sync(state.project_networks, layout, project)
    taken = []
    absent: set[str] = set()
    if network is not None:
        taken = await network.routed_networks()
        taken += await trio.to_thread.run_sync(state.other_subnets, layout, project)
        links = await network.link_names()
        absent = {key for key, record in networks.items() if record.bridge not in links}
    surroundings = await trio.to_thread.run_sync(netstate.surroundings, layout, project)
    return ObservedState(
        project=project,
        networks=networks,
        containers=tuple(statuses),
        taken_subnets=tuple(taken),
        absent_networks=frozenset(absent),
        surroundings=surroundings,
        volumes=await volumes.volumes() if volumes is not None else {},
    )
