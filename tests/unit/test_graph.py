"""compose/spec/graph.py: start order, stop order, levels, cycles."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from common.errors import UsageError
from compose.spec.graph import (
    DependencyCycle,
    dependencies,
    levels,
    start_order,
    stop_order,
    with_dependencies,
)
from compose.spec.model import Dependency, Network, Project, Service

# web -> api -> db, web -> cache, worker -> db
GRAPH = {
    "web": ("api", "cache"),
    "api": ("db",),
    "cache": (),
    "db": (),
    "worker": ("db",),
}


def _respects(order: list[str], graph: dict[str, tuple[str, ...]]) -> bool:
    return all(order.index(dep) < order.index(name) for name in graph for dep in graph[name])


def test_start_order() -> None:
    order = start_order(GRAPH)
    assert order == ["db", "api", "cache", "web", "worker"]
    assert _respects(order, GRAPH)


def test_start_order_keeps_file_order_for_independent_services() -> None:
    assert start_order({"c": (), "a": (), "b": ()}) == ["c", "a", "b"]
    assert start_order({}) == []


def test_start_order_chain_written_backwards() -> None:
    assert start_order({"a": ("b",), "b": ("c",), "c": ()}) == ["c", "b", "a"]


def test_stop_order_is_reverse_start_order() -> None:
    assert stop_order(GRAPH) == ["worker", "web", "cache", "api", "db"]
    order = stop_order(GRAPH)
    assert all(order.index(dep) > order.index(name) for name in GRAPH for dep in GRAPH[name])


@pytest.mark.parametrize(
    ("graph", "cycle"),
    [
        ({"a": ("a",)}, ["a", "a"]),
        ({"a": ("b",), "b": ("a",)}, ["a", "b", "a"]),
        ({"a": ("b",), "b": ("c",), "c": ("a",)}, ["a", "b", "c", "a"]),
        # the cycle does not include the service that leads into it
        ({"x": ("a",), "a": ("b",), "b": ("a",)}, ["a", "b", "a"]),
        ({"ok": (), "p": ("q",), "q": ("r",), "r": ("q",)}, ["q", "r", "q"]),
    ],
)
def test_cycles_are_detected(graph: dict[str, tuple[str, ...]], cycle: list[str]) -> None:
    with pytest.raises(DependencyCycle) as info:
        start_order(graph)
    assert info.value.cycle == cycle
    assert str(info.value) == f"dependency cycle between services: {' -> '.join(cycle)}"


def test_cycle_is_a_usage_error_everywhere() -> None:
    graph = {"a": ("b",), "b": ("a",)}
    assert issubclass(DependencyCycle, UsageError)
    for function in (start_order, stop_order, levels):
        with pytest.raises(DependencyCycle):
            function(graph)


def test_diamond_is_not_a_cycle() -> None:
    graph = {"top": ("left", "right"), "left": ("base",), "right": ("base",), "base": ()}
    assert start_order(graph) == ["base", "left", "right", "top"]
    assert levels(graph) == [["base"], ["left", "right"], ["top"]]


def test_levels() -> None:
    assert levels(GRAPH) == [["cache", "db"], ["api", "worker"], ["web"]]


def test_levels_depth_is_the_longest_path() -> None:
    # `a` depends on both a deep and a shallow service: it goes after the deep one
    graph = {"a": ("b", "d"), "b": ("c",), "c": ("d",), "d": ()}
    assert levels(graph) == [["d"], ["c"], ["b"], ["a"]]


def test_levels_of_independent_and_empty_graphs() -> None:
    assert levels({"x": (), "y": ()}) == [["x", "y"]]
    assert levels({}) == []


def test_with_dependencies() -> None:
    assert with_dependencies(GRAPH, ["web"]) == ["web", "api", "cache", "db"]
    assert with_dependencies(GRAPH, ["api"]) == ["api", "db"]
    assert with_dependencies(GRAPH, ["db"]) == ["db"]
    assert with_dependencies(GRAPH, ["worker", "cache"]) == ["cache", "db", "worker"]
    assert with_dependencies(GRAPH, []) == []


def test_with_dependencies_tolerates_cycles_and_unknown_names() -> None:
    assert with_dependencies({"a": ("b",), "b": ("a",), "c": ()}, ["a"]) == ["a", "b"]
    assert with_dependencies(GRAPH, ["nope"]) == []


def test_dependencies_of_a_project_keep_only_services_in_it() -> None:
    services = {
        "web": Service("web", "x", depends_on=MappingProxyType(
            {"db": Dependency(), "gone": Dependency(required=False)})),
        "db": Service("db", "x"),
    }
    project = Project("p", "/p", (), MappingProxyType(services),
                      MappingProxyType({"default": Network("default", "p_default")}))
    assert dependencies(project) == {"web": ("db",), "db": ()}
    narrowed = project.with_selected_services(["web"])
    assert dependencies(narrowed) == {"web": ()}
