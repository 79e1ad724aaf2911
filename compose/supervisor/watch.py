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
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import structlog
import trio

from common import state
from common.concurrency import bounded, parallel_limit
from common.errors import PycomposeError
from common.paths import Layout
from common.records import ContainerRecord
from common.status import CREATED, DEAD, EXITED, RUNNING
from compose.engine import depwait, eventlog, hooks, runstate
from compose.engine.backends import ContainerBackend, NetworkBackend
from compose.engine.snapshot import Snapshot
from compose.planning.lifecycle import Restart, RestartPolicy, next_delay, restart_decision
from compose.planning.supervision import Supervision
from compose.supervisor import control, snapshots
from compose.supervisor.dnshost import DnsHost
from compose.supervisor.probing import HealthProbes, Prober
from compose.supervisor.steps import (
    Backoff,
    Exited,
    Observe,
    Run,
    Running,
    Step,
    WaitStart,
    failure,
)

ImageConfig = Callable[[ContainerRecord], Mapping[str, Any]]

START_FAILED = 128
"""The exit code a refused restart counts as for the restart policy (non-zero:
``on-failure`` retries it, up to its maximum)."""
STAGE_AHEAD = 0.25
"""How long before a restart is due its container is staged (conmon + ``runc
create``: ~50 ms here); Docker's first back-off (0.1 s) is staged at once."""


@dataclass
class _Watch:
    """What one container's watcher carries from state to state."""

    record: ContainerRecord
    supervision: Supervision
    log: Any
    just_started: bool = False
    """Once the watcher has started it, a container the runtime lost is looked at
    again before it counts as dead."""
    failures: int = 0
    """Steps that failed (restarts the runtime refused, unreadable states)."""
    failure_delay: float = 0.0
    """The last back-off after a failed step; 0 once the container runs."""


class Supervisor:
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
        self._along: dict[str, tuple[ContainerRecord, depwait.Condition]] = {}
        """Dependents stopped to be restarted after a dependency, by container id."""
        self.dns = dns
        self._restart_at: dict[str, float] = {}
        """Containers in back-off, by id: when their restart is due."""
        self._generation = 0
        self._changed = trio.Event()
        """Set (and replaced) at each change a snapshot would show."""

    def _bump(self) -> None:
        """Something a snapshot shows changed: wake whoever waits for one."""
        self._generation += 1
        self._changed.set()
        self._changed = trio.Event()

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
        records = await trio.to_thread.run_sync(
            state.container_records, self.layout, self.project)
        present = {r.id for r in records}
        self._records = {r.id: r for r in records}
        for container_id in list(self._watchers):
            if container_id not in present:
                self._watchers.pop(container_id).cancel()
                if self.dns is not None:
                    self.dns.forget(container_id)
        if self.dns is not None:
            dns = self.dns

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
            if record.id not in self._watchers:
                self._watchers[record.id] = await nursery.start(self._watch_task, record)
        await self.refresh_dns()
        self._bump()
        self.log.info("watching", containers=len(self._watchers))
        return bool(records)

    async def _watch_task(self, record: ContainerRecord,
                          task_status: trio.TaskStatus[trio.CancelScope]) -> None:
        with trio.CancelScope() as scope:
            task_status.started(scope)
            try:
                await self.watch(record)
            finally:
                if self._watchers.get(record.id) is scope:
                    del self._watchers[record.id]

    async def refresh_dns(self) -> None:
        """Who answers to which name changed (a start, an exit, a health status)."""
        if self.dns is not None:
            self.dns.refresh(await trio.to_thread.run_sync(state.container_records, self.layout))

    def _directory(self, record: ContainerRecord) -> Any:
        return self.layout.container_dir(record.id)

    # --- one container's watcher: a state machine --------------------------------------
    #
    #   Observe ──running──▶ Running ──exit──▶ Exited ──policy: restart──▶ Backoff
    #      ▲  └─created──▶ WaitStart ─┐          │  └─stays / autoheal stop──▶ (done)
    #      └──────────────────────────┴──────────┴───── started again ◀────────┘
    #
    # Each state is a small frozen value; each handler acts and returns the next
    # state, or None when the watcher is done.  The loop ends too when the
    # container's directory is gone (``down``).

    async def watch(self, record: ContainerRecord) -> None:
        """Keep one container running as its policy says, until it is removed or its
        policy lets it rest."""
        directory = self._directory(record)
        supervision = Supervision.of(runstate.read_supervision(directory),
                                     self.image_config(record))
        watch = _Watch(record, supervision, self.log.bind(container=record.name))
        step: Step | None = Observe()
        try:
            while step is not None and directory.is_dir():
                current = step
                self._entered(record, current)
                try:
                    step = await self._STEPS[type(current)](self, watch, current)
                except (PycomposeError, OSError, BaseExceptionGroup) as exc:
                    error = failure(exc)
                    if error is None:
                        raise  # a bug: keep its traceback
                    step = await self._failed(watch, current, error)
        finally:
            self._restart_at.pop(record.id, None)
            self._bump()

    def _entered(self, record: ContainerRecord, step: Step) -> None:
        """Note the watcher's new state for snapshots (in back-off: until when)."""
        if isinstance(step, Backoff):
            self._restart_at[record.id] = self.clock() + step.due - trio.current_time()
        else:
            self._restart_at.pop(record.id, None)
        self._bump()

    async def _failed(self, watch: _Watch, step: Step, error: Exception) -> Step | None:
        """One container's error boundary: a step that failed (the runtime refused a
        restart, a state file could not be written) is logged and counted, and tried
        again after a back-off; the supervisor and the other containers go on.  A
        failed restart counts as a restart, so the policy's limits hold."""
        watch.failures += 1
        directory = self._directory(watch.record)
        if isinstance(step, Backoff):
            decision = restart_decision(watch.supervision.policy, START_FAILED,
                                        step.decision.state, 0.0)
            watch.log.warning("restart failed", error=str(error), failures=watch.failures)
            if not isinstance(decision, Restart):
                watch.log.warning("gave up restarting", reason=decision.reason)
                return None
            if directory.is_dir():
                runstate.write_restart(directory, decision.state)
            return Backoff(decision, trio.current_time() + decision.after)
        watch.failure_delay = next_delay(watch.failure_delay, 0.0)
        watch.log.warning("supervision failed", step=type(step).__name__.lower(),
                          error=str(error), failures=watch.failures,
                          retry_in=watch.failure_delay)
        await trio.sleep(watch.failure_delay)
        return Observe()

    async def _observe(self, watch: _Watch, _: Observe) -> Step:
        """Read the container's status once it has settled."""
        status = await self.containers.status(watch.record)
        for _attempt in range(100):
            # The runtime may report a container stopped before conmon wrote its exit
            # code (and, right after a start that ended at once, may have let go of
            # it entirely): look again shortly.
            settling = status.state == EXITED and status.exit_code is None
            if not settling and not (watch.just_started and status.state == DEAD):
                break
            await trio.sleep(0.01)
            status = await self.containers.status(watch.record)
        run = Run(self.clock() if status.started_at is None else status.started_at)
        if status.state == RUNNING:
            watch.failure_delay = 0.0  # it runs: the next failure backs off from the start
            return Running(run)
        under_way = self._restart_under_way(watch.record)
        if under_way is not None:
            return under_way  # a supervisor before this one had decided it
        if status.state == CREATED:
            return WaitStart()  # up starts it after its dependencies
        ran_for = (status.finished_at or run.started_at) - run.started_at
        return Exited(run, status.exit_code, ran_for, status.state, trio.current_time())

    def _restart_under_way(self, record: ContainerRecord) -> Backoff | None:
        directory = self._directory(record)
        due = runstate.restart_due(directory)
        restart_state = runstate.read_restart(directory)
        if due is None or restart_state.manually_stopped:
            return None
        after = max(0.0, due - self.clock())
        return Backoff(Restart(after, restart_state), trio.current_time() + after)

    async def _running(self, watch: _Watch, step: Running) -> Step:
        code = await self._while_running(watch.record, watch.supervision, step.run)
        return Exited(step.run, code, self.clock() - step.run.started_at, RUNNING,
                      trio.current_time())

    async def _wait_start(self, watch: _Watch, _: WaitStart) -> Step:
        await self.containers.wait_running(watch.record)
        await self.refresh_dns()
        watch.just_started = True
        return Observe()

    async def _exited(self, watch: _Watch, step: Exited) -> Step | None:
        """Record the death, then: start a stopped dependent again, leave the
        container stopped, or back off before restarting it."""
        record, directory = watch.record, self._directory(watch.record)
        if not directory.is_dir():
            return None  # removed meanwhile (down)
        if (await self.containers.status(record)).state == RUNNING:
            return Observe()  # started again meanwhile: a user's start or restart
        await self._died(record, step.code, step.run.started_at)
        along = self._along.pop(record.id, None)
        if along is not None:
            await self._restart_after(record, along)
            watch.just_started = True
            return Observe()
        restart_state = runstate.read_restart(directory)
        if step.run.autoheal in ("stop", "kill"):
            runstate.mark_stopped_by_user(directory)
            watch.log.info("autoheal left the container stopped", action=step.run.autoheal)
            return None
        policy = watch.supervision.policy
        if step.run.autoheal == "restart" and not restart_state.manually_stopped:
            policy = RestartPolicy("always", delay=policy.delay)
        decision = restart_decision(policy, step.code, restart_state, step.ran_for)
        await self.refresh_dns()
        if not isinstance(decision, Restart):
            watch.log.info("container exited", exit_code=step.code, stays=decision.reason)
            return None
        watch.log.info("restarting", exit_code=step.code, seen=step.seen,
                       after=decision.after, restarts=decision.state.restarts)
        due = step.seen_at + decision.after
        runstate.write_restart(directory, decision.state,
                               due=self.clock() + due - trio.current_time())
        return Backoff(decision, due)

    async def _backoff(self, watch: _Watch, step: Backoff) -> Step | None:
        """Docker's back-off, then the restart (unless a user stopped it meanwhile);
        the container is made ready meanwhile, so the restart is only its start."""
        record, directory = watch.record, self._directory(watch.record)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._prepare_restart, record, step.due)
            await trio.sleep_until(step.due)
        if not directory.is_dir():
            return None
        if runstate.read_restart(directory).manually_stopped:
            await self.containers.unstage(record)
            return None
        await self._start_again(record, staged=True)
        watch.just_started = True
        await self._restart_dependents(record)
        return Observe()

    async def _prepare_restart(self, record: ContainerRecord, due: float) -> None:
        """During the back-off: the runtime lets go of the exited container, then,
        ``STAGE_AHEAD`` before the restart is due, the new run is staged (created
        under conmon, its process not started): what is left at ``due`` is ``runc
        start``.  Not if the user stopped it meanwhile."""
        await self._release(record)
        await trio.sleep_until(due - STAGE_AHEAD)
        directory = self._directory(record)
        if directory.is_dir() and not runstate.read_restart(directory).manually_stopped:
            await self.networks.connect(record)  # its namespace is in the runtime spec
            await self.containers.stage(record)

    async def _start_again(self, record: ContainerRecord, *, staged: bool = False) -> None:
        """Every start the supervisor makes (a restart, a dependent started along):
        the container, its events, its DNS records, a fresh health state, then its
        ``post_start`` hooks (one that fails is logged; the container runs on)."""
        await self.networks.connect(record)
        await self.containers.start(record, staged=staged)
        self._event(record, "restart")
        self._event(record, "start")
        runstate.restart_done(self._directory(record))
        await self.refresh_dns()
        (self._directory(record) / runstate.HEALTH).unlink(missing_ok=True)
        try:
            await hooks.post_start(self.layout, self.containers, record)
        except PycomposeError as exc:
            self.log.warning("post_start hook failed", container=record.name, error=str(exc))

    async def _release(self, record: ContainerRecord) -> None:
        try:
            await self.containers.release(record)
        except PycomposeError as exc:  # the start does it again, and says why it failed
            self.log.warning("release failed", container=record.name, error=str(exc))

    _STEPS: Mapping[type, Callable[[Supervisor, _Watch, Any], Awaitable[Step | None]]] = {
        Observe: _observe, Running: _running, WaitStart: _wait_start,
        Exited: _exited, Backoff: _backoff}

    async def _restart_dependents(self, record: ContainerRecord) -> None:
        """``depends_on: {<this service>: {restart: true}}``: stop those dependents now;
        their watchers start them again once this one meets their condition."""
        records = {i: r for i, r in self._records.items() if i != record.id}
        services = {i: runstate.read_supervision(self._directory(r)) for i, r in records.items()}
        dependents = depwait.restart_along(record.service, services)
        running = [records[i] for i in dependents
                   if (await self.containers.status(records[i])).state == RUNNING]
        for dependent in running:
            self._along[dependent.id] = (record, dependents[dependent.id])
            self.log.info("restarting dependent", container=dependent.name,
                          dependency=record.name)

        async def stop(dependent: ContainerRecord) -> None:
            await self.containers.stop(dependent)

        async with trio.open_nursery() as nursery:
            for dependent in running:
                nursery.start_soon(stop, dependent)

    async def _restart_after(self, record: ContainerRecord,
                             along: tuple[ContainerRecord, depwait.Condition]) -> None:
        """Start a dependent stopped by ``_restart_dependents`` once its dependency
        meets the condition it waits for."""
        dependency, condition = along
        try:
            await depwait.wait_for(self.layout, self.containers, dependency,
                                   condition.condition, self.image_config)
        except depwait.DependencyFailed as exc:
            self.log.warning("dependent starts anyway", container=record.name, error=str(exc))
        await self._start_again(record)

    def _event(self, record: ContainerRecord, action: str, **attributes: object) -> None:
        if self.layout.container_dir(record.id).is_dir():
            eventlog.append(self.layout, record, action, time.time(), **attributes)

    async def _died(self, record: ContainerRecord, code: int | None,
                    started_at: float | None) -> None:
        """``oom`` when the kernel killed in its cgroup, then ``die``: once per exit
        (a supervisor re-adopting an exited container has nothing new to say)."""
        if not runstate.claim_exit(self._directory(record), started_at):
            return
        try:
            oom = self.containers.oom_killed(record)  # one small cgroup file: no thread
        except OSError:
            oom = False
        if oom:
            self._event(record, "oom")
        self._event(record, "die", exitCode=-1 if code is None else code)

    async def _while_running(self, record: ContainerRecord, supervision: Supervision,
                             run: Run) -> int | None:
        """Probe health while the container runs; its exit code once it exits."""
        async with trio.open_nursery() as nursery:
            if supervision.health is not None:
                probes = HealthProbes(self.containers, self.prober, self.clock, self._bump,
                                      self._event, self.refresh_dns)
                nursery.start_soon(probes.loop, record, self._directory(record), supervision,
                                   run, self.log.bind(container=record.name))
            nursery.start_soon(self._keep_logs, record)
            while True:
                code = await self.containers.wait(record)
                if code is not None:
                    break
                # No exit code yet: right after a start, conmon may not have written
                # its pid file, so there was nothing to wait on.  Look again.
                status = await self.containers.status(record)
                if status.state != RUNNING:
                    code = status.exit_code
                    break
                await trio.sleep(0.01)
            nursery.cancel_scope.cancel()
        return code

    async def _keep_logs(self, record: ContainerRecord) -> None:
        """Keep the log files conmon starts anew past its size cap."""
        directory = self._directory(record)
        files = Supervision.of(runstate.read_supervision(directory), {}).log_files
        try:
            await self.containers.keep_rotated_logs(
                record, files, lambda: self.log.info("log rotated", container=record.name))
        except OSError as exc:
            self.log.warning("log rotation failed", container=record.name, error=str(exc))
