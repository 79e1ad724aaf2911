"""The executor and observe over in-memory backends: stage order, concurrency
within a stage, errors surfacing as the user's error, records on disk."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

import pytest
import trio
from trio.testing import MockClock

from common import state
from common.errors import RuntimeFailure, UsageError
from common.paths import Layout
from common.records import ContainerRecord
from common.statefiles import write_json
from compose.engine.containersteps import remove_container
from compose.engine.executor import Dependencies, Executor
from compose.engine.observe import observe
from compose.planning.plan import plan_down, plan_up
from compose.spec.loader import LoadOptions, load_project
from tests.fakes import FakeContainers, FakeNetworks

COMPOSE = """
services:
  db:
    image: busybox
  api:
    image: busybox
    depends_on: [db]
  web:
    image: busybox
    depends_on: [api]
  worker:
    image: busybox
    depends_on: [db]
"""


class RecordingContainers(FakeContainers):
    """Writes records as the real driver does, so observe can find them."""

    def __init__(self, layout: Layout, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.layout = layout

    async def create(self, record: ContainerRecord, service: object, hosts: str,
                     files: Mapping[str, bytes] | None = None) -> None:
        directory = self.layout.container_dir(record.id)
        write_json(directory / "container.json", record.to_json())
        for name, data in (files or {}).items():  # the supervisor's file, with the bundle
            (directory / name).write_bytes(data)
        await super().create(record, service, hosts, files)  # type: ignore[arg-type]

    async def remove(self, record: ContainerRecord, *,
                     forget_after: Callable[[], Awaitable[object]] | None = None) -> None:
        if forget_after is not None:
            await forget_after()
        shutil.rmtree(self.layout.container_dir(record.id))
        await super().remove(record)


def _setup(tmp_path: Path, compose: str = COMPOSE, containers: type[RecordingContainers] =
           RecordingContainers, **kwargs: object
           ) -> tuple[Layout, RecordingContainers, FakeNetworks]:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "compose.yaml").write_text(compose)
    layout = Layout(tmp_path / "root", tmp_path / "run")
    return layout, containers(layout, **kwargs), FakeNetworks()


def _plan(layout: Layout, observed, tmp_path: Path):  # type: ignore[no-untyped-def]
    project = load_project(LoadOptions(cwd=str(tmp_path / "proj"), environ={})).project
    counter = itertools.count(1)
    return plan_up(project, dict.fromkeys(project.services, "sha256:" + "a" * 64), observed,
                   root_tag="t", new_id=lambda: f"{next(counter):064x}", now=0.0,
                   runtime="/usr/sbin/runc")


async def test_up_then_down_in_dependency_order(tmp_path: Path, autojump_clock: object) -> None:
    layout, containers, networks = _setup(tmp_path, start_delay=1.0)
    observed = await observe(layout, "proj", containers, networks)
    plan = _plan(layout, observed, tmp_path)
    started = trio.current_time()
    await Executor(layout, containers, networks, lambda event: None).run(plan)
    # three dependency levels, each started concurrently: three start delays, not four
    assert trio.current_time() - started == pytest.approx(3.0)
    starts = [line for line in containers.log if line.startswith("start")]
    assert starts.index("start proj-db-1") < starts.index("start proj-api-1")
    assert starts.index("start proj-api-1") < starts.index("start proj-web-1")
    assert networks.log[0].startswith("bridge pc")

    observed = await observe(layout, "proj", containers, networks)
    assert {c.record.name for c in observed.containers if c.running} == {
        "proj-db-1", "proj-api-1", "proj-web-1", "proj-worker-1"}
    assert not _plan(layout, observed, tmp_path).ops  # nothing to do the second time

    containers.log.clear()
    await Executor(layout, containers, networks, lambda event: None).run(plan_down(observed))
    stops = [line for line in containers.log if line.startswith("stop")]
    assert stops.index("stop proj-web-1") < stops.index("stop proj-api-1")
    assert stops.index("stop proj-api-1") < stops.index("stop proj-db-1")
    assert stops.index("stop proj-worker-1") < stops.index("stop proj-db-1")
    assert networks.links == set()
    assert not (layout.projects / "proj").exists()


async def test_a_network_is_recorded_with_its_namespace_and_used_only_from_it(
        tmp_path: Path) -> None:
    """A network made here says where (``NetworkRecord.netns``); a command of
    another network namespace, while this one lives, refuses before it plans."""
    layout, containers, networks = _setup(tmp_path)
    plan = _plan(layout, await observe(layout, "proj", containers, networks), tmp_path)
    await Executor(layout, containers, networks, lambda event: None).run(plan)
    (network,) = state.project_networks(layout, "proj").values()
    assert network.netns == networks.namespace() == "net:[1]"

    elsewhere = FakeNetworks()
    elsewhere.here, elsewhere.alive = "net:[2]", {"net:[1]": "/run/netns/first"}
    with pytest.raises(UsageError, match="was made in another network namespace, "
                                         "/run/netns/first"):
        await observe(layout, "proj", containers, elsewhere)
    elsewhere.alive = {}  # ended, and its bridge with it: absent, as after a reboot
    observed = await observe(layout, "proj", containers, elsewhere)
    assert observed.absent_networks == {"default"}


async def test_what_follows_the_plan_runs_beside_its_last_stage_of_starts(
        tmp_path: Path, autojump_clock: object) -> None:
    """``up`` asks the supervisor to watch the project while the last containers
    start, every container made by then; after a plan that ends otherwise."""
    layout, containers, networks = _setup(tmp_path, start_delay=1.0)
    seen: list[tuple[float, int]] = []

    async def then() -> None:
        made = len(list(layout.containers.glob("*/container.json")))
        seen.append((trio.current_time() - started, made))
        await trio.sleep(0.5)

    plan = _plan(layout, await observe(layout, "proj", containers, networks), tmp_path)
    started = trio.current_time()
    await Executor(layout, containers, networks, lambda event: None).run(plan, then)
    assert trio.current_time() - started == pytest.approx(3.0)  # not 3.5
    assert seen == [(pytest.approx(2.0), 4)]  # beside the last level's start

    seen.clear()
    observed = await observe(layout, "proj", containers, networks)
    started = trio.current_time()
    await Executor(layout, containers, networks, lambda event: None).run(
        plan_down(observed), then)
    assert seen == [(pytest.approx(trio.current_time() - started - 0.5), 0)]  # after it


async def test_a_containers_dns_is_made_ready_while_the_runtime_creates_it(
        tmp_path: Path, autojump_clock: object) -> None:
    """Each start asks for the container's DNS server and meanwhile has the runtime
    create it (the start delay here): a level takes the longer of the two, not their
    sum, and no process starts before its DNS server is up."""
    layout, containers, networks = _setup(tmp_path, start_delay=1.0)
    asked: list[str] = []
    up: set[str] = set()

    async def dns_ready(record: ContainerRecord) -> None:
        asked.append(record.name)
        await trio.sleep(0.9)
        up.add(record.name)

    async def watch() -> None:
        pass

    observed = await observe(layout, "proj", containers, networks)
    plan = _plan(layout, observed, tmp_path)
    started = trio.current_time()
    original = containers.start

    async def start(record: ContainerRecord, **kwargs: object) -> None:
        await original(record, **kwargs)  # type: ignore[arg-type]
        assert record.name in up  # its process ran only once its DNS server was up

    containers.start = start  # type: ignore[method-assign]
    dependencies = Dependencies(watch=watch, image_config=lambda record: {},
                                warn=lambda message: None, ready=dns_ready)
    await Executor(layout, containers, networks, lambda event: None,
                   dependencies=dependencies).run(plan)
    assert trio.current_time() - started == pytest.approx(3.0)  # 3 levels, not 5.7
    assert sorted(asked) == ["proj-api-1", "proj-db-1", "proj-web-1", "proj-worker-1"]


async def test_a_failing_start_is_the_users_error(tmp_path: Path, autojump_clock: object) -> None:
    layout, containers, networks = _setup(tmp_path, fail_start={"db"})
    observed = await observe(layout, "proj", containers, networks)
    with pytest.raises(RuntimeFailure, match="cannot start proj-db-1"):
        await Executor(layout, containers, networks, lambda e: None).run(
            _plan(layout, observed, tmp_path))
    # dependents were never started, and the records let `down` clean up
    assert not any(line.startswith("start proj-api") for line in containers.log)
    observed = await observe(layout, "proj", containers, networks)
    assert len(observed.containers) == 4


async def test_a_missing_bridge_is_made_again(tmp_path: Path, autojump_clock: object) -> None:
    layout, containers, networks = _setup(tmp_path)
    observed = await observe(layout, "proj", containers, networks)
    await Executor(layout, containers, networks, lambda e: None).run(
        _plan(layout, observed, tmp_path))
    networks.links.clear()  # as after a reboot
    observed = await observe(layout, "proj", containers, networks)
    assert observed.absent_networks == {"default"}
    rendered = _plan(layout, observed, tmp_path).render()
    assert rendered.startswith("1. create network proj_default")


class SlowInterfaces(FakeNetworks):
    """The namespace at once, its interfaces half a second later."""

    def __init__(self) -> None:
        super().__init__()
        self.attached: set[str] = set()

    async def connect(self, record: ContainerRecord, *,
                      task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        await trio.sleep(0.5)
        self.attached.add(record.name)


async def test_a_containers_interfaces_are_attached_while_the_runtime_creates_it(
        tmp_path: Path, autojump_clock: object) -> None:
    """Connected when it starts, as under Docker: the runtime creates it in its
    namespace while the interfaces are attached and then its DNS server asked for;
    its process starts only after both."""
    layout, containers, _ = _setup(tmp_path, start_delay=1.0)
    networks = SlowInterfaces()

    async def dns_ready(record: ContainerRecord) -> None:
        assert record.name in networks.attached  # the server binds on its loopback
        await trio.sleep(0.3)

    async def watch() -> None:
        pass

    original = containers.start

    async def start(record: ContainerRecord, **kwargs: object) -> None:
        await original(record, **kwargs)  # type: ignore[arg-type]
        assert record.name in networks.attached

    containers.start = start  # type: ignore[method-assign]
    observed = await observe(layout, "proj", containers, networks)
    plan = _plan(layout, observed, tmp_path)
    started = trio.current_time()
    dependencies = Dependencies(watch=watch, image_config=lambda record: {},
                                warn=lambda message: None, ready=dns_ready)
    await Executor(layout, containers, networks, lambda event: None,
                   dependencies=dependencies).run(plan)
    assert trio.current_time() - started == pytest.approx(3.0)  # 3 levels, the attach hidden


async def test_removals_let_go_of_the_limit_while_their_links_go(
        autojump_clock: object) -> None:
    """The runtime's part of each removal runs under the limit; the wait for the
    container's links (the kernel's grace periods, 2 s here) does not hold it, so
    the next removals' runtime work goes on meanwhile: 4 removals, one at a time,
    1 s each, end at 4 s, not 5 (the first one holding the limit until 2 s)."""

    class SlowRuntime(FakeContainers):
        async def remove(self, record: ContainerRecord, *,
                         forget_after: Callable[[], Awaitable[object]] | None = None) -> None:
            await trio.sleep(1)
            await super().remove(record, forget_after=forget_after)

    class SlowLinks(FakeNetworks):
        async def disconnect(self, record: ContainerRecord, bridges: object = (), *,
                             links_with_namespace: bool = False) -> None:
            await trio.sleep_until(2)
            await super().disconnect(record)

    containers, networks = SlowRuntime(), SlowLinks()
    records = [ContainerRecord(id=f"{n:064x}", name=f"p-web-{n}", project="p", service="web",
                               number=n, image="busybox", image_id="sha256:" + "a" * 64,
                               config_hash="h", created=0.0, command=(), hostname="h",
                               runtime="runc") for n in range(1, 5)]
    limit = trio.CapacityLimiter(1)
    async with trio.open_nursery() as nursery:
        for record in records:
            nursery.start_soon(remove_container, containers, networks, record, (), limit)
    assert trio.current_time() == pytest.approx(4.0)
    assert sorted(line for line in containers.log if line.startswith("remove")) == [
        f"remove p-web-{n}" for n in range(1, 5)]
    assert limit.borrowed_tokens == 0


class SlowlyMade(RecordingContainers):
    """Containers made in a time of their own by service (``a`` 3 s, the others
    0.5 s), ``a`` failing when ``fail``; the runtime refusing to create ``b`` when
    ``refuse``; what happens when, in ``seen``."""

    def __init__(self, layout: Layout, *, fail: bool = False, refuse: bool = False,
                 **kwargs: object) -> None:
        super().__init__(layout, start_delay=1.0, **kwargs)
        self.fail, self.refuse = fail, refuse
        self.seen: list[tuple[float, str]] = []

    async def create(self, record: ContainerRecord, service: object, hosts: str,
                     files: Mapping[str, bytes] | None = None) -> None:
        await trio.sleep(3.0 if record.service == "a" else 0.5)
        if self.fail and record.service == "a":
            raise RuntimeFailure(f"cannot create {record.name}: refused")
        await super().create(record, service, hosts, files)
        self.seen.append((trio.current_time(), f"made {record.service}"))

    async def start(self, record: ContainerRecord, **kwargs: object) -> None:
        self.seen.append((trio.current_time(), f"preparing {record.service}"))
        if self.refuse and record.service == "b":
            await trio.sleep(1.0)
            raise RuntimeFailure(f"conmon failed for {record.name} (exit 1)")
        await super().start(record, **kwargs)  # type: ignore[arg-type]
        self.seen.append((trio.current_time(), f"running {record.service}"))


THREE = "services:\n" + "".join(f"  {s}:\n    image: busybox\n" for s in "abc")


async def _up_three(tmp_path: Path, fail: bool, refuse: bool = False
                    ) -> tuple[SlowlyMade, list[str], RuntimeFailure | None]:
    """(The test's clock jumps only after 50 ms idle: a network's record is written
    from a thread, which must not look like everyone waiting.)"""
    clock = trio.lowlevel.current_clock()
    assert isinstance(clock, MockClock)
    clock.autojump_threshold = 0.05
    layout, containers, networks = _setup(tmp_path, THREE, SlowlyMade, fail=fail,
                                          refuse=refuse)
    assert isinstance(containers, SlowlyMade)
    said: list[str] = []

    async def nothing(*args: object) -> None:
        pass

    dependencies = Dependencies(watch=nothing, image_config=lambda record: {},
                                warn=lambda message: None, ready=nothing)
    plan = _plan(layout, await observe(layout, "proj", containers, networks), tmp_path)
    executor = Executor(layout, containers, networks,
                        lambda e: said.append(f"{e.status} {e.name}"), dependencies=dependencies)
    try:
        await executor.run(plan)
    except RuntimeFailure as exc:
        return containers, said, exc
    return containers, said, None


async def test_starts_are_prepared_while_the_others_are_made(
        tmp_path: Path, autojump_clock: MockClock) -> None:
    """The runtime creates b and c (their start's first part, 1 s) while a is still
    being made, so their cores are not left idle; no process starts before all three
    are made, and "Starting" is said only then, as docker compose creates every
    container before it starts one."""
    containers, said, error = await _up_three(tmp_path, fail=False)
    assert error is None
    seen = dict((what, when) for when, what in containers.seen)
    assert seen["preparing b"] == seen["preparing c"] == pytest.approx(0.5)
    assert seen["made a"] == pytest.approx(3.0)
    # (a thread's state write before each process starts lets the test's clock jump)
    assert 3.0 <= seen["running b"] <= 4.0 and 3.0 <= seen["running c"] <= 4.0
    assert seen["running a"] == pytest.approx(4.0)
    starting = [i for i, line in enumerate(said) if line.startswith("Starting")]
    created = [i for i, line in enumerate(said) if line.startswith("Created")]
    assert len(starting) == 3 and max(created) < min(starting)


async def test_a_container_that_cannot_be_made_starts_none(
        tmp_path: Path, autojump_clock: MockClock) -> None:
    """a fails to be made after b and c were prepared: neither process ran, and the
    failure is the user's error."""
    containers, said, error = await _up_three(tmp_path, fail=True)
    assert str(error) == "cannot create proj-a-1: refused"
    assert sorted(what for _, what in containers.seen) == [
        "made b", "made c", "preparing b", "preparing c"]
    assert not [line for line in said if line.startswith("Start")]
    layout = Layout(tmp_path / "root", tmp_path / "run")
    records = state.container_records(layout, "proj")
    assert sorted(r.service for r in records) == ["b", "c"]  # found by the next down


async def test_a_container_that_cannot_be_made_is_the_error_told(
        tmp_path: Path, autojump_clock: MockClock) -> None:
    """b's start fails while a is still being made, and then a cannot be made (a full
    disk fails both, conmon saying less): the error told is a's, as when nothing
    starts before everything is made."""
    _, _, error = await _up_three(tmp_path, fail=True, refuse=True)
    assert str(error) == "cannot create proj-a-1: refused"
    assert trio.current_time() == pytest.approx(3.0)
