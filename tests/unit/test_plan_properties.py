"""The planner over generated valid projects (tests/strategies.py): ``plan_up`` and
``plan_down`` raise nothing but a user error, every service gets its replicas,
dependencies start first, addresses are free and in their subnets, a second
``up`` over what the first made does nothing, and ``down`` removes it all,
dependents stopped first.

Derandomized so a red run is a regression, not a new draw;
PYCOMPOSE_FUZZ_EXAMPLES=2000 runs more.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from ipaddress import ip_interface, ip_network
from typing import Any

from hypothesis import HealthCheck, assume, event, given, note, settings

from common.errors import ComposeFileError, PycomposeError
from common.records import ContainerRecord
from common.status import ContainerStatus
from compose.planning import ops
from compose.planning.observed import ObservedState
from compose.planning.plan import plan_down, plan_up, replicas
from compose.spec.model import Project
from tests.strategies import EXAMPLES, PROJECT, SUBNET, load, projects

FUZZ = settings(max_examples=EXAMPLES or 200, deadline=None, derandomize=True,
                database=None, suppress_health_check=[HealthCheck.too_slow])


def ids(start: int = 1) -> Callable[[], str]:
    counter = itertools.count(start)
    return lambda: f"{next(counter):064x}"


def up(project: Project, observed: ObservedState, start: int = 1) -> ops.Plan:
    image_ids = {name: f"sha256:{name}" for name in project.services}
    return plan_up(project, image_ids, observed, root_tag="fuzz", new_id=ids(start),
                   now=1.0, runtime="/usr/bin/runc")


def loaded(data: dict[str, Any]) -> Project:
    project = load(data)
    if isinstance(project, ComposeFileError):
        event("refused by the loader")
        note(f"loader: {project}")
    assume(not isinstance(project, ComposeFileError))
    assert not isinstance(project, ComposeFileError)
    return project


def stage_of(plan: ops.Plan, kind: type[Any]) -> dict[str, int]:
    """Container name -> the stage its operation of ``kind`` is in."""
    return {op.record.name: number for number, stage in enumerate(plan.stages)
            for op in stage if isinstance(op, kind)}


def made(plan: ops.Plan) -> ObservedState:
    """What is there once ``plan`` ran: its networks, volumes and running containers."""
    return ObservedState(
        PROJECT,
        networks={op.network.key: op.network for op in plan.ops
                  if isinstance(op, ops.CreateNetwork)},
        containers=tuple(ContainerStatus(op.record, "running") for op in plan.ops
                         if isinstance(op, ops.CreateContainer)),
        volumes={op.volume.name: op.volume for op in plan.ops
                 if isinstance(op, ops.CreateVolume)})


def check_replicas(project: Project, records: list[ContainerRecord]) -> None:
    """Each service has replicas numbered 1..n; names and ids are unique."""
    for name, service in project.services.items():
        numbers = sorted(r.number for r in records if r.service == name)
        assert numbers == list(range(1, replicas(service) + 1)), name
    assert len({r.name for r in records}) == len(records)
    assert len({r.id for r in records}) == len(records)


def check_start_order(project: Project, plan: ops.Plan) -> None:
    """Created before started; a dependency (and a shared namespace) before its dependents."""
    created, started = stage_of(plan, ops.CreateContainer), stage_of(plan, ops.StartContainer)
    assert set(started) == set(created)
    assert all(created[name] < started[name] for name in created)
    by_service: dict[str, list[ContainerRecord]] = {}
    for op in plan.ops:
        if isinstance(op, ops.CreateContainer):
            by_service.setdefault(op.record.service, []).append(op.record)
    for name, service in project.services.items():
        for dependency in service.depends_on:
            for mine, theirs in itertools.product(by_service.get(name, []),
                                                  by_service.get(dependency, [])):
                assert started[theirs.name] < started[mine.name], (name, dependency)
        mode = str(service.canonical.get("network_mode") or "")
        if mode.startswith("service:"):
            for mine, theirs in itertools.product(by_service.get(name, []),
                                                  by_service.get(mode[8:], [])[:1]):
                # one joining a joiner is made beside it: the network backend joins
                # the namespace when it starts, after the one it joins
                chained = theirs.network.mode.startswith("container:")
                assert created[theirs.name] < created[mine.name] + chained


def check_addresses(project: Project, plan: ops.Plan, records: list[ContainerRecord]) -> None:
    """Each address is unique, inside its network's subnet; a static one is honoured."""
    subnets = {op.network.key: ip_network(op.network.subnet) for op in plan.ops
               if isinstance(op, ops.CreateNetwork)}
    seen: set[str] = set()
    for record in records:
        for attachment in record.attachments:
            address = ip_interface(attachment.address)
            assert address.ip in subnets[attachment.network]
            assert address.ip != ip_network(subnets[attachment.network]).network_address
            assert attachment.address not in seen
            seen.add(attachment.address)
        wanted = project.services[record.service].canonical.get("networks") or {}
        static = (wanted.get("front") or {}).get("ipv4_address")
        if static:
            front = [a for a in record.attachments if a.network == "front"]
            assert [a.address for a in front] == [f"{static}/24"]
            assert static.startswith(SUBNET)


@FUZZ
@given(data=projects())
def test_plan_up_then_again_then_down(data: dict[str, Any]) -> None:
    project = loaded(data)
    try:
        first = up(project, ObservedState(PROJECT))
    except PycomposeError as exc:  # a user error is allowed, but none is expected here
        raise AssertionError(f"a valid project was refused: {exc}") from exc
    assert isinstance(first.render(), str)
    records = [op.record for op in first.ops if isinstance(op, ops.CreateContainer)]
    check_replicas(project, records)
    check_start_order(project, first)
    check_addresses(project, first, records)
    observed = made(first)
    again = up(project, observed, start=1000)
    assert again.render() == "", again.render()
    assert sorted(r.name for r in again.kept) == sorted(r.name for r in records)
    check_down(observed, records)


def check_down(observed: ObservedState, records: list[ContainerRecord]) -> None:
    """Everything removed; dependents stopped before their dependencies, networks last."""
    down = plan_down(observed, remove_volumes=True)
    down.render()
    removed = stage_of(down, ops.RemoveContainer)
    stopped = stage_of(down, ops.StopContainer)
    assert set(removed) == set(stopped) == {r.name for r in records}
    by_service: dict[str, list[ContainerRecord]] = {}
    for record in records:
        by_service.setdefault(record.service, []).append(record)
    for record in records:
        label = record.labels.get("com.docker.compose.depends_on", "")
        for dependency in {e.split(":", 1)[0] for e in label.split(",") if e}:
            for theirs in by_service.get(dependency, []):
                assert stopped[record.name] < stopped[theirs.name]
    last = max(removed.values(), default=-1)
    networks = [number for number, stage in enumerate(down.stages) for op in stage
                if isinstance(op, ops.RemoveNetwork)]
    assert all(number > last for number in networks)
    assert len(networks) == len(observed.networks)
