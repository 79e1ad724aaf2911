"""Which containers ``start``, ``stop`` and ``restart`` touch, and in what order.

Pure planning over what ``observe`` saw.  The dependency graph comes from the
containers' own records (their ``depends_on`` label), so these verbs act on what
was created, as docker compose does, even when the file has changed since.

docker compose's choices, kept: ``stop db`` also stops what depends on ``db``
(dependents first), never what ``db`` depends on; ``start web`` also starts what
``web`` depends on (dependencies first); ``restart db`` restarts ``db`` and only the
dependents whose ``depends_on`` entry says ``restart: true`` (none with
``--no-deps``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from common.records import is_oneoff
from common.status import CREATED, ContainerStatus
from compose.planning.observed import ObservedState
from compose.planning.ops import Plan, StartContainer, StopContainer
from compose.planning.plan import recorded_dependencies
from compose.spec import graph


def recorded_graph(observed: ObservedState) -> dict[str, tuple[str, ...]]:
    """Each service's dependencies among the services that have containers."""
    services: dict[str, list[ContainerStatus]] = {}
    for status in observed.containers:
        services.setdefault(status.record.service, []).append(status)
    return {
        service: tuple(dict.fromkeys(d for c in statuses for d in recorded_dependencies(c.record)
                                     if d in services and d != service))
        for service, statuses in services.items()
    }


def restart_graph(observed: ObservedState) -> dict[str, tuple[str, ...]]:
    """Each service's dependencies whose ``depends_on`` entry says ``restart: true``
    (the label's third field), as the containers' records have them."""
    found: dict[str, list[str]] = {}
    for status in observed.containers:
        label = status.record.labels.get("com.docker.compose.depends_on", "")
        entries = [entry.split(":") for entry in label.split(",") if entry]
        found.setdefault(status.record.service, []).extend(
            e[0] for e in entries if len(e) > 2 and e[2] == "true")
    return {service: tuple(dict.fromkeys(needs)) for service, needs in found.items()}


def dependents_of(deps: Mapping[str, Sequence[str]], names: Iterable[str]) -> set[str]:
    """``names`` and every service that depends on one of them, transitively."""
    reverse: dict[str, list[str]] = {}
    for service, needs in deps.items():
        for need in needs:
            reverse.setdefault(need, []).append(service)
    seen: set[str] = set()
    stack = list(names)
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            stack.extend(reverse.get(name, ()))
    return seen


def _service_containers(observed: ObservedState) -> dict[str, list[ContainerStatus]]:
    by_service: dict[str, list[ContainerStatus]] = {}
    for status in sorted(observed.containers, key=lambda c: (c.record.number, c.record.name)):
        if not is_oneoff(status.record):
            by_service.setdefault(status.record.service, []).append(status)
    return by_service


def stopping(observed: ObservedState, services: Sequence[str] = (), *,
             with_dependents: bool = True) -> list[list[ContainerStatus]]:
    """The containers to stop, grouped so each group may stop at once once the groups
    before it (their dependents) have stopped.  Exited ones count too: stopping
    them cancels a restart their supervisor has pending (as ``docker stop`` does)."""
    deps = recorded_graph(observed)
    chosen = set(deps) if not services else \
        dependents_of(deps, services) if with_dependents else set(services)
    by_service = _service_containers(observed)
    groups = [[c for name in level if name in chosen for c in by_service.get(name, ())
               if c.state != CREATED]
              for level in reversed(graph.levels(deps))]
    return [g for g in groups if g]


def starting(observed: ObservedState, services: Sequence[str] = (), *,
             with_dependencies: bool = True,
             also: Iterable[str] = ()) -> list[list[ContainerStatus]]:
    """The containers to start (those not running), grouped so each group may start
    once the groups before it (their dependencies) have.  ``also`` names services
    to start even though they run now (``restart`` stops them first)."""
    deps = recorded_graph(observed)
    if not services:
        chosen = set(deps)
    elif with_dependencies:
        chosen = set(graph.with_dependencies(deps, list(services)))
    else:
        chosen = set(services)
    restarted = set(also)
    by_service = _service_containers(observed)
    groups = [[c for name in level if name in chosen for c in by_service.get(name, ())
               if not c.running or name in restarted]
              for level in graph.levels(deps)]
    return [g for g in groups if g]


def plan_stop(observed: ObservedState, services: Sequence[str] = ()) -> Plan:
    return Plan(stages=tuple(tuple(StopContainer(c.record) for c in group)
                             for group in stopping(observed, services)))


def plan_start(observed: ObservedState, services: Sequence[str] = ()) -> Plan:
    return Plan(stages=tuple(tuple(StartContainer(c.record) for c in group)
                             for group in starting(observed, services)))


def plan_restart(observed: ObservedState, services: Sequence[str] = (), *,
                 no_deps: bool = False) -> Plan:
    """Stop the services (and, unless ``no_deps``, their dependents declared with
    ``restart: true``), dependents first, then start the same containers again,
    dependencies first: running and stopped ones alike, as ``docker compose restart``
    does (not those never started)."""
    named = list(services) or list(recorded_graph(observed))
    if not no_deps:
        named = sorted(dependents_of(restart_graph(observed), named))
    stop_groups = stopping(observed, named, with_dependents=False)
    running = {c.record.id for group in stop_groups for c in group}
    names = {c.record.service for group in stop_groups for c in group}
    if not names:
        return Plan(stages=())
    start_groups = [[c for c in group if c.record.id in running]
                    for group in starting(observed, sorted(names), with_dependencies=False,
                                          also=names)]
    return Plan(stages=(
        *(tuple(StopContainer(c.record) for c in group) for group in stop_groups),
        *(tuple(StartContainer(c.record) for c in group) for group in start_groups if group),
    ))
