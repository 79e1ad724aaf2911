"""The supervisor: one long-lived trio process per project that keeps it healthy.

(Its small state files are read and written synchronously: they are a few
hundred bytes, and it keeps the supervisor testable on trio's virtual clock.)

For every container of the project a watcher task waits for the container to
exit (a pidfd on its conmon, no polling), applies the restart policy with
Docker's back-off, and while the container runs, probes its health check and
records the result.  ``x-pycompose: {on_unhealthy: restart | stop | kill}``
acts on an unhealthy container (autoheal).  Everything the supervisor knows is
also on disk (``runstate.py``), so a supervisor killed with SIGKILL is replaced by
one that picks up where it left off: containers keep running under conmon
meanwhile, and exit codes wait in conmon's exit files.

The supervisor never decides what should exist (that is ``up``'s plan); it only
keeps what exists running.  SIGHUP makes it look for new or removed containers;
SIGTERM ends it, leaving the containers alone.

This module is the project's side (the watchers, requests, snapshots, DNS); one
container's watcher is ``container.py``, its states ``steps.py``, its health
checks ``probing.py``.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import structlog
import trio

from common import state
from common.concurrency import Coalesced, bounded, parallel_limit
from common.errors import PycomposeError
from common.paths import Layout
from common.records import ContainerRecord
from compose.engine import depwait
from compose.engine.backends import ContainerBackend, NetworkBackend
from compose.engine.snapshot import Snapshot
from compose.supervisor import control, snapshots
from compose.supervisor.container import STAGE_AHEAD, START_FAILED, ContainerWatcher, ImageConfig
from compose.supervisor.dnshost import DnsHost
from compose.supervisor.probing import Prober

__all__ = ["STAGE_AHEAD", "START_FAILED", "ImageConfig", "Prober", "Supervisor"]


class Supervisor:
    """The project's side: its containers' watchers (one task each), the control
    socket, snapshots and DNS; what the watchers share is ``container.Project``."""

    def __init__(self, layout: Layout, project: str, containers: ContainerBackend,
                 networks: NetworkBackend, prober: Prober, image_config: ImageConfig,
                 clock: Callable[[], float] = time.time, dns: DnsHost | None = None,
                 control: Path | None = None) -> None:
        self.layout = layout
        self.project = project
        self.containers = containers
        self.networks = networks
        self.prober = prober
        self.image_config = image_config
        self.clock = clock
        self.log = structlog.get_logger("supervisor").bind(project=project)
        self._watchers: dict[str, trio.CancelScope] = {}
        self._rescanning = trio.Lock()
        self.control = control
        """Where to answer requests (compose/supervisor/control.py); None: signals only."""
        self._records: dict[str, ContainerRecord] = {}
        """The project's containers as the last rescan found them."""
        self.along: dict[str, tuple[ContainerRecord, depwait.Condition]] = {}
        """Dependents stopped to be restarted after a dependency, by container id."""
        self.dns = dns
        self._dns_rebuild = Coalesced(self._rebuild_dns)
        self._dns_changed: set[str] | None = set()
        """Containers whose serving may have changed since the last rebuild (None:
        any of them)."""
        self._restart_at: dict[str, float] = {}
        """Containers in back-off, by id: when their restart is due."""
        self._generation = 0
        self._changed = trio.Event()
        """Set (and replaced) at each change a snapshot would show."""

    @property
    def records(self) -> Mapping[str, ContainerRecord]:
        """The project's containers as the last rescan found them."""
        return self._records

    def bump(self) -> None:
        """Something a snapshot shows changed: wake whoever waits for one."""
        self._generation += 1
        self._changed.set()
        self._changed = trio.Event()

    def note_backoff(self, container_id: str, restart_at: float | None) -> None:
        """A watcher's new state, for snapshots: in back-off until ``restart_at`` (the
        supervisor's clock), or not (None)."""
        if restart_at is None:
            self._restart_at.pop(container_id, None)
        else:
            self._restart_at[container_id] = restart_at
        self.bump()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
                  ) -> None:
        """Watch every container until SIGTERM, or until the project has none left."""
        with trio.open_signal_receiver(signal.SIGHUP, signal.SIGTERM, signal.SIGINT) as signals:
            async with trio.open_nursery() as nursery:
                if not await self.rescan(nursery):
                    nursery.cancel_scope.cancel()
                    task_status.started()
                    return
                if self.control is not None:
                    await nursery.start(control.serve, self.control,
                                        partial(self._on_request, nursery))
                task_status.started()
                async for signum in signals:
                    if signum != signal.SIGHUP:
                        self.log.info("stopping", signal=signal.Signals(signum).name)
                        break
                    if not await self.rescan(nursery):
                        break
                nursery.cancel_scope.cancel()

    async def _on_request(self, nursery: trio.Nursery, request: dict[str, Any]
                          ) -> dict[str, Any]:
        """A request on the control socket (compose/supervisor/control.py)."""
        op = request.get("op")
        if op == "rescan":
            if not await self.rescan(nursery):
                nursery.cancel_scope.cancel()
            return {"ok": True, "watching": len(self._watchers)}
        if op == "dns":
            return await self._serve_dns(nursery, request.get("container"))
        if op == "status":
            return {"ok": True, "pid": os.getpid(), "watching": sorted(
                self._records[i].name for i in self._watchers if i in self._records)}
        if op == "snapshot":
            since, wait = request.get("since"), request.get("wait", 0)
            if isinstance(since, int) and isinstance(wait, int | float) \
                    and since == self._generation:
                with trio.move_on_after(min(float(wait), 5.0)):
                    await self._changed.wait()  # a change is pushed as soon as it happens
            return {"ok": True, "snapshot": (await self.snapshot()).to_json()}
        return {"ok": False, "error": f"unknown op {op!r}"}

    async def _serve_dns(self, nursery: trio.Nursery, container: object) -> dict[str, Any]:
        """One new container, before it first starts: DNS answered in its namespace,
        the container watched and named, as a rescan would (a rescan per container
        made ``up`` of many read every record once per container, one at a time)."""
        record = await trio.to_thread.run_sync(
            state.container_record, self.layout, container if isinstance(container, str) else "")
        if record is None or record.project != self.project or self.dns is None:
            return {"ok": False, "error": f"no container {container!r} here"}
        try:
            await self.dns.serve(record, nursery)
        except PycomposeError as exc:
            self.log.warning("no dns", container=record.name, error=str(exc))
            return {"ok": False, "error": str(exc)}
        async with self._rescanning:
            self._records[record.id] = record
            await self._start_watching(record, nursery)
        await self.refresh_dns(record.id)
        self.bump()
        return {"ok": True}

    async def snapshot(self) -> Snapshot:
        """Every container of the project as the dashboard shows it."""
        generation, now = self._generation, self.clock()
        views = [await snapshots.container_view(
            self.containers, self._directory(record), record, self.image_config,
            restart_at=self._restart_at.get(record.id), watched=record.id in self._watchers)
            for record in self._records.values()]
        views.sort(key=lambda v: (v.service, v.number, v.name))
        return Snapshot(self.project, now, generation, tuple(views))

    async def rescan(self, nursery: trio.Nursery) -> bool:
        """Watch new containers, stop watching removed ones; False when none are left."""
        async with self._rescanning:  # a signal and a request may ask at once
            return await self._rescan(nursery)

    async def _rescan(self, nursery: trio.Nursery) -> bool:
        # what is known before the records are read: a container served or noted
        # meanwhile (a DNS request is answered outside the rescan's lock) may be
        # newer than what the read found, and is not forgotten
        known = {*self._restart_at, *self.along, *(self.dns.answering() if self.dns else ())}
        found = await trio.to_thread.run_sync(
            state.container_records, self.layout, self.project)
        present = {r.id for r in found}
        # one still being made (its first record, without a config hash: no bundle,
        # no supervision file yet) is watched once made: up asks then
        records = [r for r in found if r.config_hash]
        gone = known - present
        self._records = {r.id: r for r in records}
        for container_id in list(self._watchers):
            if container_id not in present:
                self._watchers.pop(container_id).cancel()
        for kept in (self._restart_at, self.along):  # a removal during a back-off
            for container_id in gone & kept.keys():
                del kept[container_id]
        if self.dns is not None:
            dns = self.dns
            dns.forget(gone)

            async def serve(record: ContainerRecord) -> None:
                try:
                    await dns.serve(record, nursery)
                except PycomposeError as exc:
                    self.log.warning("no dns", container=record.name, error=str(exc))

            limiter = trio.CapacityLimiter(parallel_limit())  # each joins a namespace
            async with trio.open_nursery() as starting:
                for record in records:
                    starting.start_soon(bounded(limiter, partial(serve, record)))
        for record in records:
            await self._start_watching(record, nursery)
        await self.refresh_dns()
        self.bump()
        self.log.info("watching", containers=len(self._watchers))
        return bool(found)

    async def _start_watching(self, record: ContainerRecord, nursery: trio.Nursery) -> None:
        if record.id not in self._watchers:
            self._watchers[record.id] = await nursery.start(self._watch_task, record)

    async def _watch_task(self, record: ContainerRecord,
                          task_status: trio.TaskStatus[trio.CancelScope]) -> None:
        with trio.CancelScope() as scope:
            task_status.started(scope)
            try:
                await self.watch(record)
            finally:
                if self._watchers.get(record.id) is scope:
                    del self._watchers[record.id]

    async def watch(self, record: ContainerRecord) -> None:
        """Keep one container running as its policy says, until it is removed or its
        policy lets it rest (``container.py``)."""
        await ContainerWatcher(self, record).watch()

    async def refresh_dns(self, changed: str | None = None) -> None:
        """Who answers to which name changed (a start, an exit, a health status of
        ``changed``; None: of any container): the table is rebuilt from every
        record, once for a burst of changes."""
        if self.dns is None:
            return
        if changed is None:
            self._dns_changed = None
        elif self._dns_changed is not None:
            self._dns_changed.add(changed)
        await self._dns_rebuild()

    async def _rebuild_dns(self) -> None:
        """Whether a container serves is asked again of those that changed and of
        other projects' (their supervisors tell us nothing): a rebuild asking the
        runtime about every container, many times in an ``up``, took half of the
        supervisor's time there."""
        if self.dns is None:
            return
        changed, self._dns_changed = self._dns_changed, set()
        try:
            records = await trio.to_thread.run_sync(state.container_records, self.layout)
            if changed is not None:
                changed |= {r.id for r in records if r.project != self.project}
            self.dns.refresh(records, changed)
        except BaseException:  # the next rebuild asks them
            self._dns_changed = None
            raise

    def _directory(self, record: ContainerRecord) -> Any:
        return self.layout.container_dir(record.id)
