"""Which containers start, stop and restart touch, and in what order."""

from __future__ import annotations

import pytest

from common.records import ContainerRecord
from common.status import ContainerStatus
from compose.planning.observed import ObservedState
from compose.planning.startstop import (
    dependents_of,
    plan_restart,
    plan_start,
    plan_stop,
    recorded_graph,
)

# web -> api -> db, and cache on its own; api has two replicas.
DEPENDS = {"db": "", "api": "db:service_healthy:false", "web": "api:service_started:false",
           "cache": ""}


def record(service: str, number: int = 1, oneoff: bool = False) -> ContainerRecord:
    labels = {"com.docker.compose.depends_on": DEPENDS[service]}
    if oneoff:
        labels["com.docker.compose.oneoff"] = "True"
    name = f"p-{service}-{'run-' if oneoff else ''}{number}"
    return ContainerRecord(id=name, name=name, project="p", service=service, number=number,
                           image="busybox", image_id="i", config_hash="h", created=0.0,
                           command=(), hostname=name, runtime="runc", labels=labels)


def observed(**states: str) -> ObservedState:
    """Every container running unless ``states`` names it (by container name)."""
    records = [record("db"), record("api"), record("api", 2), record("web"), record("cache"),
               record("web", 1, oneoff=True)]
    return ObservedState("p", containers=tuple(
        ContainerStatus(r, states.get(r.name.replace("-", "_"), "running")) for r in records))


def test_the_graph_comes_from_the_records() -> None:
    assert recorded_graph(observed()) == {"db": (), "api": ("db",), "web": ("api",),
                                          "cache": ()}


def test_dependents_are_found_transitively() -> None:
    graph = recorded_graph(observed())
    assert dependents_of(graph, ["db"]) == {"db", "api", "web"}
    assert dependents_of(graph, ["web"]) == {"web"}


def test_stop_all_goes_dependents_first_and_skips_one_off_containers() -> None:
    assert plan_stop(observed()).render() == (
        "1. stop container p-web-1\n"
        "2. stop container p-api-1\n"
        "2. stop container p-api-2\n"
        "3. stop container p-db-1\n"
        "3. stop container p-cache-1"
    )


def test_stopping_a_service_stops_its_dependents_not_its_dependencies() -> None:
    assert plan_stop(observed(), ["api"]).render() == (
        "1. stop container p-web-1\n"
        "2. stop container p-api-1\n"
        "2. stop container p-api-2"
    )


def test_stop_takes_exited_containers_too_but_not_created_ones() -> None:
    # an exited container may have a restart pending: stopping it cancels that
    assert plan_stop(observed(p_web_1="exited", p_api_2="created")).render() == (
        "1. stop container p-web-1\n"
        "2. stop container p-api-1\n"
        "3. stop container p-db-1\n"
        "3. stop container p-cache-1"
    )


def test_start_all_starts_only_stopped_ones_dependencies_first() -> None:
    states = {"p_db_1": "exited", "p_api_1": "exited", "p_web_1": "created"}
    assert plan_start(observed(**states)).render() == (
        "1. start container p-db-1\n"
        "2. start container p-api-1\n"
        "3. start container p-web-1"
    )


def test_starting_a_service_starts_its_dependencies_but_not_its_dependents() -> None:
    states = {"p_db_1": "exited", "p_web_1": "exited", "p_api_1": "exited",
              "p_cache_1": "exited"}
    assert plan_start(observed(**states), ["api"]).render() == (
        "1. start container p-db-1\n"
        "2. start container p-api-1"
    )


def test_nothing_to_start_when_all_run() -> None:
    assert plan_start(observed()).stages == ()


def test_restart_leaves_dependents_alone_unless_they_say_restart_true() -> None:
    """Docker Compose restarts only the named services, plus the dependents whose
    ``depends_on`` entry says ``restart: true`` (web's on api does not)."""
    assert plan_restart(observed(), ["api"]).render() == (
        "1. stop container p-api-1\n"
        "1. stop container p-api-2\n"
        "2. start container p-api-1\n"
        "2. start container p-api-2"
    )


def test_restart_takes_dependents_with_restart_true_dependents_first(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(DEPENDS, "web", "api:service_started:true")
    assert plan_restart(observed(), ["api"]).render() == (
        "1. stop container p-web-1\n"
        "2. stop container p-api-1\n"
        "2. stop container p-api-2\n"
        "3. start container p-api-1\n"
        "3. start container p-api-2\n"
        "4. start container p-web-1"
    )
    assert "p-web-1" not in plan_restart(observed(), ["api"], no_deps=True).render()


def test_restart_no_deps_leaves_dependents_alone() -> None:
    assert plan_restart(observed(), ["api"], no_deps=True).render() == (
        "1. stop container p-api-1\n"
        "1. stop container p-api-2\n"
        "2. start container p-api-1\n"
        "2. start container p-api-2"
    )


def test_restart_takes_stopped_containers_too_but_not_created_ones() -> None:
    assert plan_restart(observed(p_api_2="exited", p_web_1="created"), ["api"]).render() == (
        "1. stop container p-api-1\n"
        "1. stop container p-api-2\n"
        "2. start container p-api-1\n"
        "2. start container p-api-2"
    )
    assert plan_restart(observed(p_cache_1="created"), ["cache"]).stages == ()
