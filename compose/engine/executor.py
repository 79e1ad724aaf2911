"""Carry out a plan: no decisions here, only the order the plan gives.

Records are written before the kernel or runtime object they describe is made,
and forgotten only after it is gone, so an interrupted run leaves nothing that
``down`` cannot find.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, TypeVar

import trio

from common import state, trace
from common.concurrency import meanwhile, open_nursery, parallel_limit, run_concurrently
from common.errors import PycomposeError
from common.paths import Layout
from common.records import ContainerRecord
from compose.engine import depwait, eventlog, hooks, runstate
from compose.engine.backends import ContainerBackend, NetworkBackend, VolumeBackend
from compose.engine.containersteps import (
    ignore_warning,
    remove_container,
    start_connecting,
    stop_by_user,
)
from compose.engine.events import Progress, Reporter
from compose.planning import rollout
from compose.planning.ops import (
    CreateContainer,
    CreateNetwork,
    CreateVolume,
    Op,
    Plan,
    RemoveContainer,
    RemoveNetwork,
    RemoveVolume,
    ReplaceContainers,
    StartContainer,
    StopContainer,
    WriteHosts,
)
from compose.spec.model import Service

T = TypeVar("T")


class Executor:
    def __init__(self, layout: Layout, containers: ContainerBackend, networks: NetworkBackend,
                 report: Reporter, stop_timeout: float | None = None,
                 dependencies: Dependencies | None = None,
                 volumes: VolumeBackend | None = None,
                 warn: Callable[[str], None] | None = None) -> None:
        self.layout = layout
        self.warn = warn or (dependencies.warn if dependencies else ignore_warning)
        self.volumes = volumes
        self.containers = containers
        self.networks = networks
        self.report = report
        self.stop_timeout = stop_timeout
        self.dependencies = dependencies
        # project.json is read, changed and rewritten: one network op at a time
        self._project_file = trio.Lock()
        # A stage's containers are made side by side, as many at once as keeps both
        # the cores and the disk busy without a hundred threads contending.
        self._containers_at_once = trio.CapacityLimiter(parallel_limit())
        # Containers are made under a limit of their own: starts prepared beside
        # them (``_made_and_started``) hold their places until the stage is made.
        self._creates_at_once = trio.CapacityLimiter(parallel_limit())

    async def run(self, plan: Plan,
                  then: Callable[[], Awaitable[object]] | None = None) -> None:
        """The plan, stage after stage; ``then`` after it, or beside its last stage
        when that one only starts containers: what follows the plan (the supervisor
        asked to watch the project) finds them made, and did not add its 3-5 ms to
        every ``up``."""
        plan = await self._reserve_ports(plan)
        if trace.enabled():  # --verbose: the plan, step by step
            for line in plan.render().splitlines():
                trace.event("plan", step=line)
        stages = list(plan.stages)
        beside = then is not None and bool(stages) and all(
            isinstance(op, StartContainer) for op in stages[-1])

        async def after() -> None:
            if then is not None:
                await then()

        number = 0
        while number < len(stages):
            stage, last = stages[number], number == len(stages) - 1
            if not last and overlaps(stage, stages[number + 1]):
                together = [op for op in stages[number + 1] if isinstance(op, StartContainer)]
                ends = beside and number + 1 == len(stages) - 1
                await self._made_and_started(stage, together, after if ends else None)
                number += 2
                continue
            jobs: list[Callable[[], Awaitable[None]]] = [partial(self._do, op) for op in stage]
            await run_concurrently([*jobs, after] if beside and last else jobs)
            number += 1
        if not beside:
            await after()

    async def _made_and_started(self, made: Sequence[Op], starts: Sequence[StartContainer],
                                after: Callable[[], Awaitable[None]] | None) -> None:
        """A stage making networks and containers, and the next one starting those
        containers, at once: each start is prepared (connected, its DNS server asked
        for, created by the runtime under conmon) as soon as its container and the
        networks are made, while the others are being made; its process starts only
        once the whole stage is made.  So one container that cannot be made starts
        none, as docker compose creates everything before it starts anything, and
        the runtime's work fills the cores that making leaves idle (file writes and
        fsyncs, in one interpreter): ``up`` of 20 spent 130 ms making them with a
        core idle 40% of the time."""
        containers = [op for op in made if isinstance(op, CreateContainer)]
        made_one = {op.record.id: trio.Event() for op in containers}
        networks, everything, settled = trio.Event(), trio.Event(), trio.Event()

        async def make_networks() -> None:
            await run_concurrently([partial(self._do, op) for op in made
                                    if not isinstance(op, CreateContainer)])
            networks.set()

        async def make(op: CreateContainer) -> None:
            await self._do(op)
            made_one[op.record.id].set()

        async def make_all() -> None:
            try:
                await run_concurrently([make_networks, *(partial(make, op) for op in containers)])
            finally:
                settled.set()
            everything.set()

        async def start(record: ContainerRecord) -> None:
            async def opened() -> None:
                await everything.wait()
                self.report(Progress("Container", record.name, "Starting"))

            await made_one[record.id].wait()
            await networks.wait()
            try:
                await self._start_container(record, gate=opened)
            except PycomposeError:
                # a container that could not be made meanwhile is the error to tell
                # (a full disk fails both, the start's less clearly): cancelled here
                await settled.wait()
                await trio.lowlevel.checkpoint()
                raise

        async def then(after: Callable[[], Awaitable[None]]) -> None:
            await everything.wait()
            await after()

        await run_concurrently([make_all, *([partial(then, after)] if after else []),
                                *(partial(start, op.record) for op in starts)])

    async def _await_dependencies(self, record: ContainerRecord) -> None:
        """Before a container starts: its dependencies' conditions, as docker compose
        waits for them (``service_healthy``, ``service_completed_successfully``)."""
        if self.dependencies is None:
            return
        service = runstate.read_supervision(self.layout.container_dir(record.id))
        waits = [c for c in depwait.conditions(service) if c.condition != depwait.STARTED
                 and c.service not in self.dependencies.ignore]
        if not waits:
            return
        await self.dependencies.watch()
        records = await trio.to_thread.run_sync(
            state.container_records, self.layout, record.project)
        for condition in waits:
            targets = [r for r in records if r.service == condition.service]
            self.report(Progress("Container", record.name, "Waiting"))
            try:
                for target in targets:
                    await depwait.wait_for(self.layout, self.containers, target,
                                           condition.condition, self.dependencies.image_config)
            except depwait.DependencyFailed as exc:
                if condition.required:
                    raise
                self.dependencies.warn(f"{exc}; {record.service} starts anyway "
                                       "(required: false)")
            for target in targets:
                self.report(Progress("Container", target.name,
                                     "Healthy" if condition.condition == depwait.HEALTHY_CONDITION
                                     else "Exited", done=True))

    async def _roll(self, op: ReplaceContainers) -> None:
        """A rolling update (compose/planning/rollout.py).  Old containers are only stopped
        until the whole service is replaced, so a failure can give them back."""
        config, name = op.config, op.service.name
        replaced: list[tuple[ContainerRecord, ContainerRecord]] = []
        work = list(zip(op.pairs, op.hosts, strict=True))
        for number, batch in enumerate(rollout.batches(work, config.parallelism)):
            if number and config.delay:
                await trio.sleep(config.delay)
            try:
                await run_concurrently([partial(self._replace_one, op.service, old, new, hosts,
                                                config) for (old, new), hosts in batch])
            except PycomposeError as exc:
                failed = [pair for pair, _ in batch]
                if config.failure_action == "continue":
                    self.warn(f"service {name}: {exc}; the update continues "
                               "(failure_action: continue)")
                    replaced += failed
                    continue
                if config.failure_action == "rollback":
                    await self._give_back(replaced + failed)
                    raise UpdateFailed(f"service {name}: update failed ({exc}); rolled back "
                                       "to the previous configuration") from None
                await self._give_back(failed)
                await self._drop_old(replaced)
                raise UpdateFailed(f"service {name}: update paused after a failure ({exc}); "
                                   f"{len(replaced)} of {len(op.pairs)} replicas updated") \
                    from None
            replaced += [pair for pair, _ in batch]
        await self._drop_old(replaced)

    async def _replace_one(self, service: Service, old: ContainerRecord, new: ContainerRecord,
                           hosts: str, config: rollout.UpdateConfig) -> None:
        if config.order == "stop-first":
            await self._do(StopContainer(old))
        await self._do(CreateContainer(new, service, hosts))
        await self._do(StartContainer(new))
        if self.dependencies is not None:
            await self.dependencies.watch()  # the supervisor probes its health
        image_config = self.dependencies.image_config if self.dependencies else _no_config
        await depwait.wait_running_or_healthy(self.layout, self.containers, new, image_config)
        if config.monitor:
            await trio.sleep(config.monitor)
            if not (await self.containers.status(new)).running:
                raise depwait.DependencyFailed(f"container {new.name} stopped within "
                                               f"{config.monitor:g}s of starting")
        if config.order == "start-first":
            await self._do(StopContainer(old))

    async def _give_back(self, pairs: list[tuple[ContainerRecord, ContainerRecord]]) -> None:
        """Remove the new containers, start the old ones again."""
        async def one(old: ContainerRecord, new: ContainerRecord) -> None:
            if self.layout.container_dir(new.id).is_dir():
                if (await self.containers.status(new)).running:
                    await self._do(StopContainer(new))
                await self._do(RemoveContainer(new))
            await self._do(StartContainer(old))

        await run_concurrently([partial(one, old, new) for old, new in pairs])

    async def _drop_old(self, pairs: list[tuple[ContainerRecord, ContainerRecord]]) -> None:
        async def one(old: ContainerRecord) -> None:
            if (await self.containers.status(old)).running:
                await self._do(StopContainer(old))
            await self._do(RemoveContainer(old))

        await run_concurrently([partial(one, old) for old, _ in pairs])

    def _event(self, record: ContainerRecord, action: str, **attributes: object) -> None:
        eventlog.append(self.layout, record, action, time.time(), **attributes)

    async def _reserve_ports(self, plan: Plan) -> Plan:
        """Host ports depend on what the host holds, so the network backend checks
        them, and picks the random ones, before anything changes."""
        wanted = [r for r in plan.starting() if r.network.ports]
        if not wanted:
            return plan
        leaving = {r.id for r in plan.removing()}
        return plan.with_records(await self.networks.reserve_ports(wanted, leaving))

    def _volume_backend(self) -> VolumeBackend:
        if self.volumes is None:
            raise TypeError("this plan has volume operations: the executor needs a "
                            "volume backend")
        return self.volumes

    async def _died(self, record: ContainerRecord) -> None:
        """The ``die`` of a container this stopped, before its ``stop`` (Docker's
        order), unless its supervisor announced the exit already (or does so now:
        the claim waits for it)."""
        status = await self.containers.status(record)
        if not status.running:
            code = -1 if status.exit_code is None else status.exit_code
            runstate.claim_exit(self.layout.container_dir(record.id), status.started_at,
                                partial(self._event, record, "die", exitCode=code))

    async def _do(self, op: Op) -> None:
        match op:
            case CreateNetwork(network):
                self.report(Progress("Network", network.name, "Creating"))
                network = replace(network, netns=self.networks.namespace())
                async with self._project_file:
                    await trio.to_thread.run_sync(state.save_network, self.layout, network)
                await self.networks.create_network(network)
                self.report(Progress("Network", network.name, "Created", done=True))
            case RemoveNetwork(network):
                self.report(Progress("Network", network.name, "Removing"))
                await self.networks.remove_network(network)
                async with self._project_file:  # and the project, if it was its last
                    await trio.to_thread.run_sync(state.forget_network, self.layout, network)
                self.report(Progress("Network", network.name, "Removed", done=True))
            case CreateVolume(volume):
                self.report(Progress("Volume", volume.name, "Creating"))
                await self._volume_backend().create_volume(volume)
                self.report(Progress("Volume", volume.name, "Created", done=True))
            case RemoveVolume(volume):
                self.report(Progress("Volume", volume.name, "Removing"))
                await self._volume_backend().remove_volume(volume)
                self.report(Progress("Volume", volume.name, "Removed", done=True))
            case CreateContainer(record, service, hosts):
                self.report(Progress("Container", record.name, "Creating"))
                async with self._creates_at_once:
                    # what the supervisor needs, written with the bundle: the file's
                    # own directory fsync and worker thread were 2-4 ms a container
                    await self.containers.create(record, service, hosts,
                                                 runstate.supervision_file(service.canonical))
                self._event(record, "create")
                self.report(Progress("Container", record.name, "Created", done=True))
            case WriteHosts(hosts):
                for record, content in hosts:
                    await self.containers.write_hosts(record, content)
            case ReplaceContainers():
                await self._roll(op)
            case StartContainer(record):
                await self._start_container(record)
            case StopContainer(record):
                self.report(Progress("Container", record.name, "Stopping"))
                await stop_by_user(self.layout, self.containers, record, self.stop_timeout,
                                   self.warn)
                await self._died(record)
                self._event(record, "stop")
                self.report(Progress("Container", record.name, "Stopped", done=True))
            case RemoveContainer(record, bridges):
                self.report(Progress("Container", record.name, "Removing"))
                await remove_container(self.containers, self.networks, record, bridges,
                                       self._containers_at_once)
                self._event(record, "destroy")
                self.report(Progress("Container", record.name, "Removed", done=True))


    async def _start_container(self, record: ContainerRecord,
                               gate: Callable[[], Awaitable[None]] | None = None) -> None:
        """``gate``: awaited before the process starts (``_made_and_started``); it
        says "Starting" itself."""
        await self._await_dependencies(record)
        if gate is None:
            self.report(Progress("Container", record.name, "Starting"))
        async with self._containers_at_once:
            await self._start(record, gate)
        self._event(record, "start")
        await hooks.post_start(self.layout, self.containers, record)
        self.report(Progress("Container", record.name, "Started", done=True))

    async def _start(self, record: ContainerRecord,
                     gate: Callable[[], Awaitable[None]] | None = None) -> None:
        """A new container's interfaces are attached, then its DNS server asked for,
        while the runtime creates it in its namespace (connected when it first
        starts, as under Docker).  One that ran before gets its DNS server first,
        then is marked as started by the user, then starts: a supervisor asked
        meanwhile must find it stopped by the user, not dead (it would restart it,
        and its dependents along)."""
        user = partial(runstate.mark_started_by_user, self.layout.container_dir(record.id))
        ready = self.dependencies.ready if self.dependencies else None
        async with open_nursery() as nursery:
            connected = await start_connecting(nursery, self.networks, record)

            async def prepare() -> None:
                await connected.wait()
                if ready is not None:
                    await ready(record)
                if gate is not None:
                    await gate()

            if ready is not None and not (self.layout.exits / record.id).exists():
                await meanwhile(prepare, partial(self.containers.start, record), then=user)
                return
            await prepare()
            user()  # inline: a container that ran before, or no supervisor to ask (tests)
            await self.containers.start(record)

@dataclass(frozen=True)
class Dependencies:
    """What waiting on ``depends_on`` conditions needs: the supervisor watching the
    dependencies (``watch``: start or wake it), and image configs for health checks."""

    watch: Callable[[], Awaitable[object]]
    image_config: Callable[[ContainerRecord], Mapping[str, Any]]
    warn: Callable[[str], None]
    ready: Callable[[ContainerRecord], Awaitable[None]] | None = None
    """What must be in place before a container starts (its DNS server)."""
    ignore: frozenset[str] = frozenset()
    """Services whose conditions are not waited for (``up --no-deps``)."""


class UpdateFailed(PycomposeError):
    """A rolling update stopped on a replica that did not come up."""


def _no_config(record: ContainerRecord) -> Mapping[str, Any]:
    return {}


def overlaps(made: Sequence[Op], starting: Sequence[Op]) -> bool:
    """Whether ``starting`` may be prepared while ``made`` is carried out
    (``Executor._made_and_started``): ``made`` only makes networks and containers,
    and ``starting`` only starts containers it makes."""
    ids = {op.record.id for op in made if isinstance(op, CreateContainer)}
    return bool(ids) and all(isinstance(op, CreateContainer | CreateNetwork) for op in made) \
        and bool(starting) and all(isinstance(op, StartContainer) and op.record.id in ids
                                   for op in starting)
