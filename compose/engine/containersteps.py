"""One container's steps that several verbs share, beside the executor's plans: a
stop a user asked for (``stop_by_user``), its network connected while the runtime
creates it (``start_connecting``), and its removal with its links
(``remove_container``): ``run``, ``rm``, attached ``up`` and the executor itself
call them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import trio

from common.concurrency import run_concurrently
from common.paths import Layout
from common.records import ContainerRecord
from compose.engine import hooks, runstate
from compose.engine.backends import ContainerBackend, NetworkBackend


def ignore_warning(message: str) -> None:
    """Where warnings go when nobody is told."""


async def stop_by_user(layout: Layout, containers: ContainerBackend, record: ContainerRecord,
                       timeout: float | None = None,
                       warn: Callable[[str], None] = ignore_warning) -> None:
    """Stop a container so that its supervisor leaves it stopped: the mark is on disk
    before the signal, so the exit is never mistaken for a crash.  Every stop a
    user asks for (``stop``, ``restart``, ``down``, a recreate, Ctrl-C) comes here,
    so its ``pre_stop`` hooks run here first (a failure is warned about)."""
    # fsync'd with its directory: from a thread, or a down of many containers
    # would stop them one disk wait after another
    await trio.to_thread.run_sync(runstate.mark_stopped_by_user,
                                  layout.container_dir(record.id))
    await hooks.pre_stop(layout, containers, record, warn)
    await containers.stop(record, timeout)



async def start_connecting(nursery: trio.Nursery, networks: NetworkBackend,
                           record: ContainerRecord) -> trio.Event:
    """The container's network, connecting in ``nursery``; returns once its namespace
    exists (the runtime may create the container in it), with the event set once its
    interfaces are attached (before it may start)."""
    connected = trio.Event()

    async def connect(task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        await networks.connect(record, task_status=task_status)
        connected.set()

    await nursery.start(connect)
    return connected


async def remove_container(containers: ContainerBackend, networks: NetworkBackend,
                           record: ContainerRecord, bridges: Sequence[str] = (),
                           limit: trio.CapacityLimiter | None = None, *,
                           links_with_namespace: bool = False) -> None:
    """Its links and namespace go while the runtime deletes it and its files; its
    record last, once both are done: while the record is on disk, a removal cut
    short (a crash) is found and finished by the next.  The links are not held by
    the limit: deleting them is a wait on the kernel's RCU grace periods, one per
    batch of links (network/deletions.py), so the more containers ask at once, the
    fewer waits (20: 7 batches of up to 4 took 300 ms).  Nor is the wait for them:
    a removal that held its place until its links were gone kept the next ones
    from starting (``down`` of 20: the runtime's deletes ran 4 at a time behind
    the first batch of links; 30-40 ms more in interleaved runs).
    ``links_with_namespace``: see ``NetworkBackend.disconnect``."""
    disconnected = trio.Event()

    async def disconnect() -> None:
        await networks.disconnect(record, bridges, links_with_namespace=links_with_namespace)
        disconnected.set()

    await run_concurrently([disconnect, partial(
        _remove_limited, containers, record, disconnected, limit)])


async def _remove_limited(containers: ContainerBackend, record: ContainerRecord,
                          disconnected: trio.Event,
                          limit: trio.CapacityLimiter | None) -> None:
    """The runtime's removal under ``limit``, let go while it waits for the links."""
    if limit is None:
        await containers.remove(record, forget_after=disconnected.wait)
        return
    await limit.acquire()
    held = True

    async def links_gone() -> None:
        nonlocal held
        if held:
            limit.release()
            held = False
        await disconnected.wait()

    try:
        await containers.remove(record, forget_after=links_gone)
    finally:
        if held:
            limit.release()
