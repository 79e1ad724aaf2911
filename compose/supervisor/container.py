"""One container's watcher: the state machine of ``steps.py`` over one container.

It waits for the container to exit (a pidfd on its conmon, no polling), applies
the restart policy with Docker's back-off (the next run staged ahead, so the
restart is only its start), restarts ``depends_on: {restart: true}`` dependents
along, appends the container's events, and while it runs keeps its rotated logs
and probes its health (``probing.py``).  A step that fails is counted and tried
again after a back-off: one container's trouble never ends the others' watch.

Each container has a watcher of its own, a task of the supervisor (``watch.py``);
what they share with it and with each other is the ``Project`` below, and nothing
else.  The loop ends when the policy lets the container rest or its directory is
gone (``down``).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import trio

from common.errors import PycomposeError
from common.paths import Layout
from common.records import ContainerRecord
from common.status import CREATED, DEAD, EXITED, RUNNING
from compose.engine import depwait, eventlog, hooks, runstate
from compose.engine.backends import ContainerBackend, NetworkBackend
from compose.planning.lifecycle import Restart, RestartPolicy, next_delay, restart_decision
from compose.planning.supervision import Supervision
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


class Project(Protocol):
    """What a container's watcher shares with its supervisor and the other watchers
    (the ``Supervisor`` of ``watch.py``)."""

    layout: Layout
    containers: ContainerBackend
    networks: NetworkBackend
    prober: Prober
    image_config: ImageConfig
    clock: Callable[[], float]
    log: Any
    along: dict[str, tuple[ContainerRecord, depwait.Condition]]
    """Dependents stopped to be restarted after a dependency, by container id: put
    by the dependency's watcher, taken by the dependent's."""

    @property
    def records(self) -> Mapping[str, ContainerRecord]:
        """The project's containers as the last rescan found them."""
        ...

    def bump(self) -> None:
        """Something a snapshot shows changed."""
        ...

    def note_backoff(self, container_id: str, restart_at: float | None) -> None:
        """A watcher's new state, for snapshots: in back-off until ``restart_at``."""
        ...

    async def refresh_dns(self, changed: str | None = None) -> None:
        """Who answers to which name changed: ``changed``'s container (None: any)."""
        ...


class ContainerWatcher:
    """Keeps one container running as its policy says; ``watch`` until it is removed
    or its policy lets it rest."""

    def __init__(self, project: Project, record: ContainerRecord) -> None:
        self.project = project
        self.record = record
        self.directory: Path = project.layout.container_dir(record.id)
        self.supervision = Supervision.of(runstate.read_supervision(self.directory),
                                          project.image_config(record))
        self.log: Any = project.log.bind(container=record.name)
        self.just_started = False
        """Once the watcher has started it, a container the runtime lost is looked at
        again before it counts as dead."""
        self.failures = 0
        """Steps that failed (restarts the runtime refused, unreadable states)."""
        self.failure_delay = 0.0
        """The last back-off after a failed step; 0 once the container runs."""

    async def watch(self) -> None:
        """Step from state to state; a step's error the supervisor outlives goes to
        ``_failed``, a bug propagates."""
        step: Step | None = Observe()
        try:
            while step is not None and self.directory.is_dir():
                current = step
                self._entered(current)
                try:
                    step = await self._STEPS[type(current)](self, current)
                except (PycomposeError, OSError, BaseExceptionGroup) as exc:
                    error = failure(exc)
                    if error is None:
                        raise  # a bug: keep its traceback
                    step = await self._failed(current, error)
        finally:
            self.project.note_backoff(self.record.id, None)

    def _entered(self, step: Step) -> None:
        """Note the watcher's new state for snapshots (in back-off: until when)."""
        restart_at: float | None = None
        if isinstance(step, Backoff):
            restart_at = self.project.clock() + step.due - trio.current_time()
        self.project.note_backoff(self.record.id, restart_at)

    async def _failed(self, step: Step, error: Exception) -> Step | None:
        """One container's error boundary: a step that failed (the runtime refused a
        restart, a state file could not be written) is logged and counted, and tried
        again after a back-off; the supervisor and the other containers go on.  A
        failed restart counts as a restart, so the policy's limits hold."""
        self.failures += 1
        if isinstance(step, Backoff):
            decision = restart_decision(self.supervision.policy, START_FAILED,
                                        step.decision.state, 0.0)
            self.log.warning("restart failed", error=str(error), failures=self.failures)
            if not isinstance(decision, Restart):
                self.log.warning("gave up restarting", reason=decision.reason)
                return None
            if self.directory.is_dir():
                runstate.write_restart(self.directory, decision.state)
            return Backoff(decision, trio.current_time() + decision.after)
        self.failure_delay = next_delay(self.failure_delay, 0.0)
        self.log.warning("supervision failed", step=type(step).__name__.lower(),
                         error=str(error), failures=self.failures,
                         retry_in=self.failure_delay)
        await trio.sleep(self.failure_delay)
        return Observe()

    # --- the states' handlers: each acts and returns the next state -------------------

    async def _observe(self, _: Observe) -> Step:
        """Read the container's status once it has settled."""
        containers = self.project.containers
        status = await containers.status(self.record)
        for _attempt in range(100):
            # The runtime may report a container stopped before conmon wrote its exit
            # code (and, right after a start that ended at once, may have let go of
            # it entirely): look again shortly.
            settling = status.state == EXITED and status.exit_code is None
            if not settling and not (self.just_started and status.state == DEAD):
                break
            await trio.sleep(0.01)
            status = await containers.status(self.record)
        run = Run(self.project.clock() if status.started_at is None else status.started_at)
        if status.state == RUNNING:
            self.failure_delay = 0.0  # it runs: the next failure backs off from the start
            # named to the DNS table, which asks only about containers named since
            # its last rebuild: started by us, by up, or by a user's start
            await self.project.refresh_dns(self.record.id)
            return Running(run)
        under_way = self._restart_under_way()
        if under_way is not None:
            return under_way  # a supervisor before this one had decided it
        if status.state == CREATED:
            return WaitStart()  # up starts it after its dependencies
        ran_for = (status.finished_at or run.started_at) - run.started_at
        return Exited(run, status.exit_code, ran_for, status.state, trio.current_time())

    def _restart_under_way(self) -> Backoff | None:
        """The back-off a supervisor before this one had written, if not called off."""
        due = runstate.restart_due(self.directory)
        restart_state = runstate.read_restart(self.directory)
        if due is None or restart_state.manually_stopped:
            return None
        after = max(0.0, due - self.project.clock())
        return Backoff(Restart(after, restart_state), trio.current_time() + after)

    async def _running(self, step: Running) -> Step:
        code = await self._while_running(step.run)
        return Exited(step.run, code, self.project.clock() - step.run.started_at, RUNNING,
                      trio.current_time())

    async def _wait_start(self, _: WaitStart) -> Step:
        await self.project.containers.wait_running(self.record)  # then observed running
        self.just_started = True
        return Observe()

    async def _exited(self, step: Exited) -> Step | None:
        """Record the death, then: start a stopped dependent again, leave the
        container stopped, or back off before restarting it."""
        record, directory = self.record, self.directory
        if not directory.is_dir():
            return None  # removed meanwhile (down)
        if (await self.project.containers.status(record)).state == RUNNING:
            return Observe()  # started again meanwhile: a user's start or restart
        await self._died(step.code, step.run.started_at)
        along = self.project.along.pop(record.id, None)
        if along is not None:
            await self._restart_after(along)
            self.just_started = True
            return Observe()
        restart_state = runstate.read_restart(directory)
        if step.run.autoheal in ("stop", "kill"):
            runstate.mark_stopped_by_user(directory)
            self.log.info("autoheal left the container stopped", action=step.run.autoheal)
            return None
        policy = self.supervision.policy
        if step.run.autoheal == "restart" and not restart_state.manually_stopped:
            policy = RestartPolicy("always", delay=policy.delay)
        decision = restart_decision(policy, step.code, restart_state, step.ran_for)
        await self.project.refresh_dns(record.id)
        if not isinstance(decision, Restart):
            self.log.info("container exited", exit_code=step.code, stays=decision.reason)
            return None
        self.log.info("restarting", exit_code=step.code, seen=step.seen,
                      after=decision.after, restarts=decision.state.restarts)
        due = step.seen_at + decision.after
        runstate.write_restart(directory, decision.state,
                               due=self.project.clock() + due - trio.current_time())
        return Backoff(decision, due)

    async def _backoff(self, step: Backoff) -> Step | None:
        """Docker's back-off, then the restart (unless a user stopped it meanwhile);
        the container is made ready meanwhile, so the restart is only its start."""
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._prepare_restart, step.due)
            await trio.sleep_until(step.due)
        if not self.directory.is_dir():
            return None
        if runstate.read_restart(self.directory).manually_stopped:
            await self.project.containers.unstage(self.record)
            return None
        if (await self.project.containers.status(self.record)).state == RUNNING:
            runstate.restart_done(self.directory)  # a user started it meanwhile: theirs,
            return Observe()  # not a restart of ours (no events, hooks, dependents)
        await self._start_again(staged=True)
        self.just_started = True
        await self._restart_dependents()
        return Observe()

    _STEPS: Mapping[type, Callable[[ContainerWatcher, Any], Awaitable[Step | None]]] = {
        Observe: _observe, Running: _running, WaitStart: _wait_start,
        Exited: _exited, Backoff: _backoff}

    # --- a restart, staged during the back-off ----------------------------------------

    async def _prepare_restart(self, due: float) -> None:
        """During the back-off: the runtime lets go of the exited container, then,
        ``STAGE_AHEAD`` before the restart is due, the new run is staged (created
        under conmon, its process not started): what is left at ``due`` is ``runc
        start``.  Not if the user stopped it meanwhile."""
        await self._release()
        await trio.sleep_until(due - STAGE_AHEAD)
        project, record, directory = self.project, self.record, self.directory
        if directory.is_dir() and not runstate.read_restart(directory).manually_stopped:
            await project.networks.connect(record)  # its namespace is in the runtime spec
            await project.containers.stage(record)

    async def _start_again(self, *, staged: bool = False) -> None:
        """Every start the supervisor makes (a restart, a dependent started along):
        the container, its events, its DNS records, a fresh health state, then its
        ``post_start`` hooks (one that fails is logged; the container runs on)."""
        project, record = self.project, self.record
        await project.networks.connect(record)
        await project.containers.start(record, staged=staged)
        self._event("restart")
        self._event("start")
        runstate.restart_done(self.directory)
        await project.refresh_dns(record.id)
        (self.directory / runstate.HEALTH).unlink(missing_ok=True)
        try:
            await hooks.post_start(project.layout, project.containers, record)
        except PycomposeError as exc:
            project.log.warning("post_start hook failed", container=record.name,
                                error=str(exc))

    async def _release(self) -> None:
        try:
            await self.project.containers.release(self.record)
        except PycomposeError as exc:  # the start does it again, and says why it failed
            self.project.log.warning("release failed", container=self.record.name,
                                     error=str(exc))

    # --- dependents restarted along ---------------------------------------------------

    async def _restart_dependents(self) -> None:
        """``depends_on: {<this service>: {restart: true}}``: stop those dependents now;
        their watchers start them again once this one meets their condition."""
        project, record = self.project, self.record
        records = {i: r for i, r in project.records.items() if i != record.id}
        services = {i: runstate.read_supervision(project.layout.container_dir(r.id))
                    for i, r in records.items()}
        dependents = depwait.restart_along(record.service, services)
        running = [records[i] for i in dependents
                   if (await project.containers.status(records[i])).state == RUNNING]
        for dependent in running:
            project.along[dependent.id] = (record, dependents[dependent.id])
            project.log.info("restarting dependent", container=dependent.name,
                             dependency=record.name)

        async def stop(dependent: ContainerRecord) -> None:
            await project.containers.stop(dependent)

        async with trio.open_nursery() as nursery:
            for dependent in running:
                nursery.start_soon(stop, dependent)

    async def _restart_after(self, along: tuple[ContainerRecord, depwait.Condition]) -> None:
        """Start this dependent, stopped by its dependency's ``_restart_dependents``,
        once the dependency meets the condition it waits for."""
        project, (dependency, condition) = self.project, along
        try:
            await depwait.wait_for(project.layout, project.containers, dependency,
                                   condition.condition, project.image_config)
        except depwait.DependencyFailed as exc:
            project.log.warning("dependent starts anyway", container=self.record.name,
                                error=str(exc))
        await self._start_again()

    # --- events -----------------------------------------------------------------------

    def _event(self, action: str, **attributes: object) -> None:
        if self.directory.is_dir():
            eventlog.append(self.project.layout, self.record, action, time.time(),
                            **attributes)

    async def _died(self, code: int | None, started_at: float | None) -> None:
        """``oom`` when the kernel killed in its cgroup, then ``die``: once per exit
        (a supervisor re-adopting an exited container has nothing new to say)."""
        runstate.claim_exit(self.directory, started_at, partial(self._announce_exit, code))

    def _announce_exit(self, code: int | None) -> None:
        try:
            oom = self.project.containers.oom_killed(self.record)  # one small cgroup file
        except OSError:
            oom = False
        if oom:
            self._event("oom")
        self._event("die", exitCode=-1 if code is None else code)

    # --- while it runs ----------------------------------------------------------------

    async def _while_running(self, run: Run) -> int | None:
        """Probe health while the container runs; its exit code once it exits."""
        project, record = self.project, self.record
        async with trio.open_nursery() as nursery:
            if self.supervision.health is not None:
                probes = HealthProbes(project.containers, project.prober, project.clock,
                                      project.bump, self._event, project.refresh_dns)
                nursery.start_soon(probes.loop, record, self.directory, self.supervision,
                                   run, self.log)
            nursery.start_soon(self._keep_logs)
            while True:
                code = await project.containers.wait(record)
                if code is not None:
                    break
                # No exit code yet: right after a start, conmon may not have written
                # its pid file, so there was nothing to wait on.  Look again.
                status = await project.containers.status(record)
                if status.state != RUNNING:
                    code = status.exit_code
                    break
                await trio.sleep(0.01)
            nursery.cancel_scope.cancel()
        return code

    async def _keep_logs(self) -> None:
        """Keep the log files conmon starts anew past its size cap."""
        files = Supervision.of(runstate.read_supervision(self.directory), {}).log_files
        log, name = self.project.log, self.record.name
        try:
            await self.project.containers.keep_rotated_logs(
                self.record, files, lambda: log.info("log rotated", container=name))
        except OSError as exc:
            log.warning("log rotation failed", container=name, error=str(exc))
