"""The supervisor's decisions over a scripted runtime, on trio's virtual clock:
a minute of back-off takes no real time."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import trio

from common.errors import RuntimeFailure
from common.paths import Layout
from common.records import ContainerRecord
from common.status import CREATED, EXITED, RUNNING, ContainerStatus, Probe
from compose.engine import runstate
from compose.engine.snapshot import Snapshot
from compose.planning.health import HealthConfig
from compose.planning.lifecycle import RestartState
from compose.supervisor.watch import Supervisor
from tests.fakes import FakeContainers, FakeNetworks


class ScriptedContainer(FakeContainers):
    """One container whose runs last and end as scripted: ``(seconds, exit code)``."""

    def __init__(self, runs: list[tuple[float, int]]) -> None:
        super().__init__()
        self.runs = runs
        self.run = 0
        self.running = True
        self.started_at = trio.current_time()
        self.finished_at: float | None = None
        self.exit_code: int | None = None
        self.starts = [self.started_at]
        self.stopped = trio.Event()

    async def status(self, record: ContainerRecord) -> ContainerStatus:
        state = RUNNING if self.running else EXITED
        return ContainerStatus(record, state, None if self.running else self.exit_code,
                               started_at=self.started_at, finished_at=self.finished_at)

    async def wait(self, record: ContainerRecord) -> int | None:
        seconds, code = self.runs[min(self.run, len(self.runs) - 1)]
        with trio.move_on_at(self.started_at + seconds):
            await self.stopped.wait()
            code = 143
        self.running, self.exit_code = False, code
        self.finished_at = trio.current_time()
        return code

    async def start(self, record: ContainerRecord, *, staged: bool = False) -> None:
        self.run += 1
        self.running, self.stopped = True, trio.Event()
        self.started_at = trio.current_time()
        self.starts.append(self.started_at)

    async def stop(self, record: ContainerRecord, timeout: float | None = None) -> None:
        self.stopped.set()

    def oom_killed(self, record: ContainerRecord) -> bool:
        return False

    async def create(self, *args: object) -> None: ...
    async def write_hosts(self, *args: object) -> None: ...
    async def remove(self, record: ContainerRecord) -> None: ...


RECORD = ContainerRecord(id="c" * 64, name="p-web-1", project="p", service="web", number=1,
                         image="busybox", image_id="sha256:" + "a" * 64, config_hash="h",
                         created=0.0, command=(), hostname="h", runtime="runc")


def make(tmp_path: Path, service: dict[str, object], container: ScriptedContainer,
         probes: list[int] | None = None) -> tuple[Supervisor, Path]:
    layout = Layout(tmp_path / "root", tmp_path / "run")
    directory = layout.container_dir(RECORD.id)
    directory.mkdir(parents=True)
    runstate.write_supervision(directory, service)
    results = iter(probes or [])

    async def prober(record: ContainerRecord, config: HealthConfig) -> Probe:
        now = trio.current_time()
        return Probe(now, now, next(results, 0))

    supervisor = Supervisor(layout, "p", container, FakeNetworks(), prober,  # type: ignore[arg-type]
                            lambda record: {}, clock=trio.current_time)
    return supervisor, directory


async def test_crash_loop_backs_off_then_resets_after_a_long_run(
        tmp_path: Path, autojump_clock: trio.testing.MockClock) -> None:
    container = ScriptedContainer([(1, 1)] * 5 + [(20, 1), (1, 1)])
    supervisor, _ = make(tmp_path, {"restart": "always"}, container)
    with trio.move_on_after(200):
        await supervisor.watch(RECORD)
    gaps = [round(b - a, 3) for a, b in zip(container.starts, container.starts[1:],
                                              strict=False)]
    # each run lasts 1 s, then waits 0.1, 0.2, 0.4 ... before the next start;
    # a run of 10 s or more resets the back-off to 100 ms
    assert gaps[:6] == [1.1, 1.2, 1.4, 1.8, 2.6, 20.1]
    assert gaps[6] == 1.2


async def test_on_failure_gives_up_after_max_attempts(
        tmp_path: Path, autojump_clock: trio.testing.MockClock) -> None:
    container = ScriptedContainer([(1, 2)])
    supervisor, directory = make(tmp_path, {"restart": "on-failure:3"}, container)
    await supervisor.watch(RECORD)  # returns: the policy lets it rest
    assert len(container.starts) == 4
    assert runstate.read_restart(directory).restarts == 3


async def test_a_container_stopped_by_the_user_stays_stopped(
        tmp_path: Path, autojump_clock: trio.testing.MockClock) -> None:
    container = ScriptedContainer([(100, 0)])
    supervisor, directory = make(tmp_path, {"restart": "always"}, container)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(supervisor.watch, RECORD)
        await trio.sleep(5)
        runstate.mark_stopped_by_user(directory)
        await container.stop(RECORD)
    assert len(container.starts) == 1
    assert runstate.read_restart(directory) == RestartState(0, 0.0, True)


async def test_autoheal_restarts_an_unhealthy_container(
        tmp_path: Path, autojump_clock: trio.testing.MockClock) -> None:
    container = ScriptedContainer([(1000, 0)])
    service = {"healthcheck": {"test": ["CMD", "check"], "interval": "1s", "retries": 2},
               "x-pycompose": {"on_unhealthy": "restart"}}
    supervisor, directory = make(tmp_path, service, container, probes=[0, 0, 1, 1])
    with trio.move_on_after(10):
        await supervisor.watch(RECORD)
    # healthy at 1 s and 2 s, failing at 3 s and 4 s: unhealthy, stopped, restarted
    assert container.starts[1] == pytest.approx(4.1)
    health = runstate.read_health(directory)
    assert health is None or health.status != "unhealthy"  # a fresh run starts over


async def test_without_autoheal_unhealthy_is_only_reported(
        tmp_path: Path, autojump_clock: trio.testing.MockClock) -> None:
    container = ScriptedContainer([(1000, 0)])
    service = {"healthcheck": {"test": ["CMD", "check"], "interval": "1s", "retries": 1}}
    supervisor, directory = make(tmp_path, service, container, probes=[1] * 20)
    with trio.move_on_after(10):
        await supervisor.watch(RECORD)
    assert len(container.starts) == 1
    health = runstate.read_health(directory)
    assert health is not None and health.status == "unhealthy"


async def test_a_starting_container_a_dependent_waits_for_is_probed_every_start_interval(
        tmp_path: Path, autojump_clock: trio.testing.MockClock) -> None:
    """Docker would probe it first after the 30 s interval; once a dependent waits
    (``awaited``) it is probed every start_interval, healthy at the first pass."""
    container = ScriptedContainer([(1000, 0)])
    service = {"healthcheck": {"test": ["CMD", "check"], "interval": "30s",
                               "start_interval": "200ms"}}
    supervisor, directory = make(tmp_path, service, container, probes=[1, 1, 0])
    async with trio.open_nursery() as nursery:
        nursery.start_soon(supervisor.watch, RECORD)
        await trio.sleep(1.05)
        with runstate.awaited(directory):
            await trio.sleep(10)  # far less than the interval
        nursery.cancel_scope.cancel()
    health = runstate.read_health(directory)
    assert health is not None and health.status == "healthy"
    probed = [p.end for p in health.log]
    # looked at 0.2 s, 0.4 s ... (nobody waiting: no probe), then waited for from 1.05 s
    assert probed == pytest.approx([1.2, 1.4, 1.6])
    assert not (directory / runstate.AWAITED).exists()


class RefusingContainer(ScriptedContainer):
    """A crash-looping container whose first ``refusals`` restarts the runtime refuses
    (an image removed under it, a mount gone): the fakes' failure injection."""

    def __init__(self, runs: list[tuple[float, int]], refusals: int) -> None:
        super().__init__(runs)
        self.refusals = refusals
        self.attempts: list[float] = []

    async def start(self, record: ContainerRecord, *, staged: bool = False) -> None:
        self.attempts.append(trio.current_time())
        if len(self.attempts) <= self.refusals:
            raise RuntimeFailure(f"cannot start {record.name}: no such image")
        await super().start(record)


async def test_a_refused_restart_is_backed_off_and_tried_again(
        tmp_path: Path, autojump_clock: trio.testing.MockClock) -> None:
    container = RefusingContainer([(1, 1), (100, 0)], refusals=3)
    supervisor, directory = make(tmp_path, {"restart": "always"}, container)
    with trio.move_on_after(50):
        await supervisor.watch(RECORD)  # never raises: the watcher outlives the failures
    gaps = [round(b - a, 3) for a, b in zip(container.attempts, container.attempts[1:],
                                              strict=False)]
    assert gaps == [0.2, 0.4, 0.8]  # Docker's back-off goes on doubling
    assert len(container.starts) == 2  # the fourth attempt started it
    assert runstate.read_restart(directory).restarts == 4  # each attempt counted


async def test_refused_restarts_count_against_on_failure_max(
        tmp_path: Path, autojump_clock: trio.testing.MockClock) -> None:
    container = RefusingContainer([(1, 1)], refusals=100)
    supervisor, directory = make(tmp_path, {"restart": "on-failure:3"}, container)
    await supervisor.watch(RECORD)  # returns: the policy lets it rest
    assert len(container.attempts) == 3
    assert runstate.read_restart(directory).restarts == 3


async def test_one_container_failing_does_not_end_the_others_supervision(
        tmp_path: Path, autojump_clock: trio.testing.MockClock) -> None:
    broken = RefusingContainer([(1, 1)], refusals=10**6)
    supervisor, _ = make(tmp_path, {"restart": "always"}, broken)
    healthy = ScriptedContainer([(10, 1)])  # long enough runs: back-off stays at 0.1 s
    other = dataclasses.replace(RECORD, id="d" * 64, name="p-api-1", service="api")
    neighbour = Supervisor(supervisor.layout, "p", healthy, FakeNetworks(),  # type: ignore[arg-type]
                           supervisor.prober, lambda record: {}, clock=trio.current_time)
    directory = supervisor.layout.container_dir(other.id)
    directory.mkdir(parents=True)
    runstate.write_supervision(directory, {"restart": "always"})
    with trio.move_on_after(120):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(supervisor.watch, RECORD)
            nursery.start_soon(neighbour.watch, other)
    assert len(broken.attempts) > 5  # still tried, a minute apart at most
    assert len(healthy.starts) >= 11  # the neighbour kept being restarted meanwhile


async def test_a_bug_in_a_watcher_keeps_its_traceback(
        tmp_path: Path, autojump_clock: trio.testing.MockClock) -> None:
    class Buggy(ScriptedContainer):
        async def start(self, record: ContainerRecord, *, staged: bool = False) -> None:
            raise TypeError("a bug")

    supervisor, _ = make(tmp_path, {"restart": "always"}, Buggy([(1, 1)]))
    with pytest.raises(TypeError, match="a bug"):
        await supervisor.watch(RECORD)


async def test_a_snapshot_shows_the_back_off_and_is_pushed_on_a_change(
        tmp_path: Path, autojump_clock: trio.testing.MockClock) -> None:
    container = ScriptedContainer([(1, 1)])
    service = {"restart": "always",
               "healthcheck": {"test": ["CMD", "check"], "interval": "10s"}}
    supervisor, _ = make(tmp_path, service, container)
    supervisor._records = {RECORD.id: RECORD}
    async with trio.open_nursery() as nursery:
        supervisor._watchers[RECORD.id] = nursery.cancel_scope
        nursery.start_soon(supervisor.watch, RECORD)
        await trio.sleep(0.5)
        first = await supervisor.snapshot()
        (view,) = first.containers
        assert (view.name, view.state, view.restarts, view.health) == \
            ("p-web-1", "running", 0, "starting")  # no probe yet
        # asked with the generation it has, the answer waits for the exit at 1 s
        since = first.generation
        while view.state != "restarting":
            answer = await supervisor._on_request(
                nursery, {"op": "snapshot", "since": since, "wait": 3})
            snapshot = Snapshot.from_json(answer["snapshot"])
            assert snapshot.generation > since and trio.current_time() == pytest.approx(1.0)
            (view,), since = snapshot.containers, snapshot.generation
        assert view.state == "restarting" and view.restarts == 1 and view.backoff == 0.1
        assert view.restart_at == pytest.approx(1.1)
        await trio.sleep(0.5)
        (view,) = (await supervisor.snapshot()).containers
        assert (view.state, view.restart_at, view.started_at) == ("running", None, 1.1)
        nursery.cancel_scope.cancel()


class StagingContainer(ScriptedContainer):
    """Notes when a restart is staged, started (staged or not) and called off."""

    def __init__(self, runs: list[tuple[float, int]], *, created: bool = False) -> None:
        super().__init__(runs)
        self.steps: list[tuple[float, str]] = []
        self.created = created
        if created:
            self.running = False

    async def status(self, record: ContainerRecord) -> ContainerStatus:
        if self.created:
            return ContainerStatus(record, CREATED)
        return await super().status(record)

    async def stage(self, record: ContainerRecord) -> None:
        self.steps.append((trio.current_time(), "stage"))

    async def unstage(self, record: ContainerRecord) -> None:
        self.steps.append((trio.current_time(), "unstage"))

    async def start(self, record: ContainerRecord, *, staged: bool = False) -> None:
        self.steps.append((trio.current_time(), "start staged" if staged else "start"))
        self.created = False
        await super().start(record)


async def test_a_restart_is_staged_during_its_back_off_and_then_only_started(
        tmp_path: Path, autojump_clock: trio.testing.MockClock) -> None:
    container = StagingContainer([(1, 1), (100, 0)])
    supervisor, directory = make(tmp_path, {"restart": "always"}, container)
    dues = []
    async with trio.open_nursery() as nursery:
        nursery.start_soon(supervisor.watch, RECORD)
        await trio.sleep(1.05)
        dues.append(runstate.restart_due(directory))  # in the back-off
        await trio.sleep(1)
        dues.append(runstate.restart_due(directory))  # after the restart
        nursery.cancel_scope.cancel()
    # the exit at 1 s, Docker's 100 ms back-off: staged at once, started at 1.1 s
    assert [(round(t, 3), step) for t, step in container.steps] == [
        (1.0, "stage"), (1.1, "start staged")]
    assert dues[0] == pytest.approx(1.1)
    assert dues[1] is None


async def test_a_stop_during_the_back_off_calls_the_staged_restart_off(
        tmp_path: Path, autojump_clock: trio.testing.MockClock) -> None:
    container = StagingContainer([(1, 3)])
    supervisor, directory = make(tmp_path, {"restart": "always"}, container)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(supervisor.watch, RECORD)
        await trio.sleep(1.05)
        runstate.mark_stopped_by_user(directory)
    assert [step for _, step in container.steps] == ["stage", "unstage"]
    assert len(container.starts) == 1
    assert runstate.restart_due(directory) is None


async def test_a_start_by_the_user_during_the_back_off_is_not_a_restart_of_ours(
        tmp_path: Path, autojump_clock: trio.testing.MockClock) -> None:
    """``up`` or ``start`` may start the container while its supervisor backs off
    (a watcher that saw it exited just before the user's start marked it): at the
    end of the back-off it runs, and is left to run, without a second start."""
    container = StagingContainer([(1, 3), (100, 0)])
    supervisor, directory = make(tmp_path, {"restart": "always"}, container)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(supervisor.watch, RECORD)
        await trio.sleep(1.05)  # in the back-off
        runstate.mark_started_by_user(directory)
        await container.start(RECORD)  # the user's
        await trio.sleep(1)
        nursery.cancel_scope.cancel()
    assert [step for _, step in container.steps] == ["stage", "start"]
    assert len(container.starts) == 2
    assert runstate.restart_due(directory) is None


@pytest.mark.parametrize("created", [True, False])
async def test_a_new_supervisor_finishes_a_restart_under_way(
        tmp_path: Path, autojump_clock: trio.testing.MockClock, created: bool) -> None:
    # staged (it shows the last run's exit) or not yet
    container = StagingContainer([(100, 0)], created=created)
    if not created:
        container.running, container.exit_code = False, 1
    supervisor, directory = make(tmp_path, {"restart": "always"}, container)
    runstate.write_restart(directory, RestartState(1, 0.1), due=trio.current_time() + 0.05)
    with trio.move_on_after(1):
        await supervisor.watch(RECORD)
    assert [(round(t, 3), step) for t, step in container.steps] == [
        (0.0, "stage"), (0.05, "start staged")]


async def test_a_created_container_without_a_restart_under_way_waits_for_up(
        tmp_path: Path, autojump_clock: trio.testing.MockClock) -> None:
    container = StagingContainer([(100, 0)], created=True)
    supervisor, directory = make(tmp_path, {"restart": "always"}, container)
    runstate.write_restart(directory, RestartState(1, 0.1), due=5.0)
    runstate.mark_stopped_by_user(directory)  # calls the restart off
    container.state[RECORD.id] = CREATED  # its wait_running waits for a start
    with trio.move_on_after(10):
        await supervisor.watch(RECORD)
    assert container.steps == []


class RecordingDns:
    """The DNS host's members the supervisor calls, recorded."""

    def __init__(self) -> None:
        self.served: list[str] = []
        self.refreshed = 0
        self.changes: list[object] = []

    async def serve(self, record: ContainerRecord, nursery: trio.Nursery) -> None:
        self.served.append(record.name)

    def refresh(self, records: object, changed: object = None) -> None:
        self.refreshed += 1
        self.changes.append(changed)

    def answering(self) -> frozenset[str]:
        return frozenset()

    def forget(self, gone: object) -> None: ...


async def test_a_dns_rebuild_asks_again_about_what_changed_and_other_projects(
        tmp_path: Path) -> None:
    """The table's rebuild asks the runtime whether a container serves only for
    the containers named since the last one (a start, an exit, a health status)
    and for other projects' (whose supervisors tell this one nothing); a rescan
    asks about all."""
    supervisor, _ = make(tmp_path, {"restart": "no"}, ScriptedContainer([(3600, 0)]))
    dns = RecordingDns()
    supervisor.dns = dns  # type: ignore[assignment]
    ours = dataclasses.replace(RECORD, id="d" * 64, name="p-web-2", number=2)
    theirs = dataclasses.replace(RECORD, id="e" * 64, name="q-web-1", project="q")
    for record in (RECORD, ours, theirs):
        path = supervisor.layout.containers / record.id / "container.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record.to_json()))
    await supervisor.refresh_dns(RECORD.id)
    assert dns.changes == [{RECORD.id, theirs.id}]
    await supervisor.refresh_dns()
    assert dns.changes[-1] is None
    await supervisor.refresh_dns(ours.id)
    assert dns.changes[-1] == {ours.id, theirs.id}


async def test_a_container_found_running_is_named_to_the_dns_table(
        tmp_path: Path, autojump_clock: trio.testing.MockClock) -> None:
    """Started by a user's ``start`` after its watcher let it rest, by ``up``, or
    by the supervisor: whoever started it, its watcher finds it running and the
    table asks about it again (it asks only about containers named to it)."""
    container = ScriptedContainer([(5, 0)])
    supervisor, _ = make(tmp_path, {"restart": "no"}, container)
    dns = RecordingDns()
    supervisor.dns = dns  # type: ignore[assignment]
    await supervisor.watch(RECORD)  # runs 5 s, exits 0: the policy lets it rest
    assert dns.changes == [{RECORD.id}, {RECORD.id}]  # running, then exited
    await container.start(RECORD)  # a user's start; a rescan watches it again
    with trio.move_on_after(1):
        await supervisor.watch(RECORD)
    assert dns.changes[2] == {RECORD.id}


async def test_a_dns_request_serves_and_watches_that_container_alone(tmp_path: Path) -> None:
    """``up`` asks for each new container before it starts: that one gets DNS and
    a watcher (its names then resolve for the next level), without a rescan of
    every record (another container already on disk is left to the rescan)."""
    container = ScriptedContainer([(3600, 0)])
    supervisor, _ = make(tmp_path, {"restart": "no"}, container)
    dns = RecordingDns()
    supervisor.dns = dns  # type: ignore[assignment]
    other = dataclasses.replace(RECORD, id="d" * 64, name="p-web-2", number=2)
    for record in (RECORD, other):
        path = supervisor.layout.containers / record.id / "container.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record.to_json()))
    async with trio.open_nursery() as nursery:
        answer = await supervisor._on_request(nursery, {"op": "dns", "container": RECORD.id})
        assert answer == {"ok": True}
        # the table asked about that container alone (its watcher, finding it
        # running, names it too), not about the other one on disk
        assert dns.served == ["p-web-1"] and dns.refreshed >= 1
        assert all(changed == {RECORD.id} for changed in dns.changes)
        status = await supervisor._on_request(nursery, {"op": "status"})
        assert status["watching"] == ["p-web-1"]
        again = await supervisor._on_request(nursery, {"op": "dns", "container": RECORD.id})
        assert again == {"ok": True} and len(supervisor._watchers) == 1  # watched once
        for unknown in ("e" * 64, "../x", 7):
            refused = await supervisor._on_request(nursery, {"op": "dns", "container": unknown})
            assert refused["ok"] is False
        nursery.cancel_scope.cancel()


async def test_a_rescan_forgets_what_it_kept_for_removed_containers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A container removed during its back-off, or while it waited to be restarted
    after a dependency, leaves nothing behind in the supervisor: the DNS host
    stops serving it and its back-off and pending restart are dropped.  What
    appeared while the records were read (a DNS request answered meanwhile) is
    newer than the read, and kept."""
    supervisor, _ = make(tmp_path, {"restart": "always"}, ScriptedContainer([(3600, 0)]))
    gone, newer = "d" * 64, "e" * 64
    forgotten: list[object] = []

    class KeepingDns(RecordingDns):
        def answering(self) -> frozenset[str]:
            return frozenset({gone})

        def forget(self, ids: object) -> None:
            forgotten.append(set(ids))  # type: ignore[call-overload]

    def records(*args: object) -> list[ContainerRecord]:  # a back-off noted meanwhile
        supervisor._restart_at[newer] = 13.0
        return []

    monkeypatch.setattr("compose.supervisor.watch.state.container_records", records)
    supervisor.dns = KeepingDns()  # type: ignore[assignment]
    supervisor.note_backoff(gone, 12.0)
    supervisor.along[gone] = (RECORD, None)  # type: ignore[assignment]
    async with trio.open_nursery() as nursery:
        await supervisor.rescan(nursery)  # no record on disk
        nursery.cancel_scope.cancel()
    assert forgotten == [{gone}]
    assert gone not in supervisor._restart_at and gone not in supervisor.along
    assert newer in supervisor._restart_at


async def test_a_container_still_being_made_is_watched_only_once_made(tmp_path: Path) -> None:
    """``up`` prepares starts while other containers are made, so the supervisor may
    look while one is half made: its first record (no config hash) and no
    supervision file yet.  A rescan then leaves it alone (a watcher would keep the
    empty supervision it read: no health checks, no restarts) and does not end the
    supervisor for it; the rescan after it is made watches it as the file says."""
    container = ScriptedContainer([(3600, 0)])
    supervisor, directory = make(tmp_path, {"restart": "always"}, container)
    half = dataclasses.replace(RECORD, config_hash="")
    (directory / "container.json").write_text(json.dumps(half.to_json()))
    (directory / runstate.SUPERVISION).unlink()
    async with trio.open_nursery() as nursery:
        assert await supervisor.rescan(nursery)  # something is there: it goes on
        assert not supervisor._watchers
        runstate.write_supervision(directory, {"restart": "always"})
        (directory / "container.json").write_text(json.dumps(RECORD.to_json()))
        assert await supervisor.rescan(nursery)
        assert list(supervisor._watchers) == [RECORD.id]
        nursery.cancel_scope.cancel()
