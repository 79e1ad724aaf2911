"""Restart policies and back-off, as a table (Docker's restartmanager semantics)."""

from __future__ import annotations

import pytest

from compose.planning.lifecycle import (
    Restart,
    RestartPolicy,
    RestartState,
    Stay,
    next_delay,
    parse_policy,
    restart_decision,
    restart_on_start,
)


@pytest.mark.parametrize(("service", "policy"), [
    ({}, RestartPolicy("no")),
    ({"restart": "no"}, RestartPolicy("no")),
    ({"restart": "always"}, RestartPolicy("always")),
    ({"restart": "unless-stopped"}, RestartPolicy("unless-stopped")),
    ({"restart": "on-failure"}, RestartPolicy("on-failure", 0)),
    ({"restart": "on-failure:3"}, RestartPolicy("on-failure", 3)),
    ({"deploy": {"restart_policy": {"condition": "on-failure", "max_attempts": 2,
                                    "delay": "5s"}}, "restart": "always"},
     RestartPolicy("on-failure", 2, 5.0)),
    ({"deploy": {"restart_policy": {"condition": "none"}}}, RestartPolicy("no")),
    ({"deploy": {"restart_policy": {}}}, RestartPolicy("no")),
    ({"deploy": {"restart_policy": {"condition": "any"}}}, RestartPolicy("always")),
])
def test_parse_policy(service: dict[str, object], policy: RestartPolicy) -> None:
    assert parse_policy(service) == policy


def test_backoff_doubles_to_a_minute_and_resets_after_ten_seconds() -> None:
    delays, previous = [], 0.0
    for _ in range(12):
        previous = next_delay(previous, ran_for=0.5)
        delays.append(previous)
    assert delays[:4] == [0.1, 0.2, 0.4, 0.8]
    assert delays[-1] == 60.0 and max(delays) == 60.0
    assert next_delay(60.0, ran_for=10.0) == 0.1
    assert next_delay(60.0, ran_for=9.99) == 60.0


def test_a_crash_loop_is_restarted_with_growing_delays() -> None:
    policy, state, delays = RestartPolicy("always"), RestartState(), []
    for _ in range(5):
        decision = restart_decision(policy, 1, state, ran_for=0.2)
        assert isinstance(decision, Restart)
        delays.append(decision.after)
        state = decision.state
    assert delays == [0.1, 0.2, 0.4, 0.8, 1.6]
    assert state.restarts == 5


@pytest.mark.parametrize(("policy", "code", "state", "expected"), [
    (RestartPolicy("no"), 1, RestartState(), "stay"),
    (RestartPolicy("always"), 0, RestartState(), "restart"),
    (RestartPolicy("always"), 0, RestartState(manually_stopped=True), "stay"),
    (RestartPolicy("unless-stopped"), 3, RestartState(), "restart"),
    (RestartPolicy("unless-stopped"), 3, RestartState(manually_stopped=True), "stay"),
    (RestartPolicy("on-failure"), 0, RestartState(), "stay"),
    (RestartPolicy("on-failure"), 2, RestartState(restarts=100), "restart"),
    (RestartPolicy("on-failure", 3), 2, RestartState(restarts=2), "restart"),
    (RestartPolicy("on-failure", 3), 2, RestartState(restarts=3), "stay"),
    (RestartPolicy("on-failure", 3), None, RestartState(), "restart"),
])
def test_restart_decision(policy: RestartPolicy, code: int | None, state: RestartState,
                          expected: str) -> None:
    decision = restart_decision(policy, code, state, ran_for=1.0)
    assert ("restart" if isinstance(decision, Restart) else "stay") == expected
    if isinstance(decision, Stay):
        assert decision.reason


def test_a_fixed_delay_from_deploy_wins_over_backoff() -> None:
    decision = restart_decision(RestartPolicy("always", delay=5.0), 1, RestartState(), 0.1)
    assert isinstance(decision, Restart) and decision.after == 5.0


@pytest.mark.parametrize(("policy", "stopped", "expected"), [
    ("always", False, True), ("always", True, True),
    ("unless-stopped", False, True), ("unless-stopped", True, False),
    ("on-failure", False, False), ("no", False, False),
])
def test_restart_on_start(policy: str, stopped: bool, expected: bool) -> None:
    state = RestartState(manually_stopped=stopped)
    assert restart_on_start(RestartPolicy(policy), state) is expected
