"""The service dependency graph: start order, stop order, cycles."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from common.errors import UsageError
from compose.spec.model import Project


class DependencyCycle(UsageError):
    """``depends_on`` loops back on itself; ``cycle`` lists it, first name repeated last."""

    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        super().__init__(f"dependency cycle between services: {' -> '.join(cycle)}")


def dependencies(project: Project) -> dict[str, tuple[str, ...]]:
    """Each service's dependencies that are part of the project (others are not
    waited for; ``required: false`` or narrowed away)."""
    return {
        name: tuple(d for d in service.depends_on if d in project.services)
        for name, service in project.services.items()
    }


def start_order(graph: Mapping[str, Sequence[str]]) -> list[str]:
    """Services so that each comes after its dependencies; ties keep file order.

    Raises DependencyCycle when there is one.
    """
    order: list[str] = []
    state: dict[str, int] = {}  # 1 = visiting, 2 = done

    def visit(name: str, trail: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            raise DependencyCycle([*trail[trail.index(name):], name])
        state[name] = 1
        for dep in graph.get(name, ()):
            visit(dep, [*trail, name])
        state[name] = 2
        order.append(name)

    for name in graph:
        visit(name, [])
    return order


def stop_order(graph: Mapping[str, Sequence[str]]) -> list[str]:
    """Dependents before their dependencies."""
    return list(reversed(start_order(graph)))


def with_dependencies(graph: Mapping[str, Sequence[str]], names: Sequence[str]) -> list[str]:
    """``names`` plus everything they depend on, transitively."""
    seen: dict[str, None] = {}
    stack = list(names)
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen[name] = None
        stack.extend(graph.get(name, ()))
    return [n for n in graph if n in seen]


def levels(graph: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Services grouped so that each group depends only on earlier groups: every
    group can start at once when the ones before it have started."""
    depth: dict[str, int] = {}
    for name in start_order(graph):
        depth[name] = 1 + max((depth[d] for d in graph.get(name, ()) if d in depth), default=-1)
    grouped: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for name in graph:
        grouped[depth[name]].append(name)
    return grouped
