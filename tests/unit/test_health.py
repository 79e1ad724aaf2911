"""Health checks: Docker's defaults, the start period, the failing streak."""

from __future__ import annotations

import pytest

from common.status import Probe
from compose.planning.health import (
    HEALTHY,
    STARTING,
    UNHEALTHY,
    HealthConfig,
    HealthState,
    health_config,
    next_probe_in,
    probe_command,
    record,
)


@pytest.mark.parametrize(("test", "command"), [
    (["CMD", "curl", "-f", "http://x"], ("curl", "-f", "http://x")),
    (["CMD-SHELL", "curl -f http://x || exit 1"], ("/bin/sh", "-c", "curl -f http://x || exit 1")),
    ("pg_isready", ("/bin/sh", "-c", "pg_isready")),
    (["NONE"], None), ([], None), ("", None), (None, None), (["CMD"], None),
])
def test_probe_command(test: object, command: tuple[str, ...] | None) -> None:
    assert probe_command(test) == command  # type: ignore[arg-type]


def test_defaults_and_image_fallback() -> None:
    config = health_config({"healthcheck": {"test": ["CMD", "true"]}}, {})
    assert config == HealthConfig(("true",), 30.0, 30.0, 3, 0.0, 5.0)
    image = {"Healthcheck": {"Test": ["CMD-SHELL", "check"], "Interval": 10_000_000_000,
                             "Retries": 5, "StartPeriod": 60_000_000_000}}
    config = health_config({"healthcheck": {"timeout": "2s"}}, image)
    assert config == HealthConfig(("/bin/sh", "-c", "check"), 10.0, 2.0, 5, 60.0, 5.0)
    assert health_config({}, {}) is None
    assert health_config({"healthcheck": {"disable": True}}, image) is None
    assert health_config({"healthcheck": {"test": ["NONE"]}}, image) is None


def probe(at: float, code: int, output: str = "") -> Probe:
    return Probe(at, at + 0.1, code, output)


def test_first_pass_makes_it_healthy_and_resets_the_streak() -> None:
    config = HealthConfig(("true",), retries=3)
    state = record(config, HealthState(), probe(1, 1), started_at=0)
    assert (state.status, state.failing_streak) == (STARTING, 1)
    state = record(config, state, probe(2, 0), started_at=0)
    assert (state.status, state.failing_streak) == (HEALTHY, 0)


def test_retries_consecutive_failures_make_it_unhealthy() -> None:
    config = HealthConfig(("false",), retries=3)
    state = HealthState(HEALTHY)
    for at in (1, 2):
        state = record(config, state, probe(at, 1), started_at=0)
        assert state.status == HEALTHY
    state = record(config, state, probe(3, 1), started_at=0)
    assert (state.status, state.failing_streak) == (UNHEALTHY, 3)
    state = record(config, state, probe(4, 0), started_at=0)
    assert state.status == HEALTHY


def test_failures_inside_the_start_period_do_not_count() -> None:
    config = HealthConfig(("false",), retries=1, start_period=30, start_interval=2)
    state = record(config, HealthState(), probe(5, 1), started_at=0)
    assert (state.status, state.failing_streak) == (STARTING, 0)
    assert next_probe_in(config, state, started_at=0, now=5.1) == 2
    state = record(config, state, probe(31, 1), started_at=0)
    assert state.status == UNHEALTHY
    assert next_probe_in(config, state, started_at=0, now=31.1) == 30


def test_a_healthy_container_inside_its_start_period_counts_failures() -> None:
    config = HealthConfig(("x",), retries=1, start_period=30)
    state = record(config, HealthState(HEALTHY), probe(5, 1), started_at=0)
    assert state.status == UNHEALTHY


def test_the_last_five_results_are_kept_and_output_is_cut() -> None:
    config = HealthConfig(("x",))
    state = HealthState()
    for at in range(7):
        state = record(config, state, probe(at, 0, "y" * 5000), started_at=0)
    assert [p.start for p in state.log] == [2, 3, 4, 5, 6]
    assert all(len(p.output) == 4096 for p in state.log)


def test_a_container_a_dependent_waits_for_is_probed_at_the_start_interval() -> None:
    """Outside any start period (none here), but someone waits: start_interval,
    until it is no longer starting."""
    config = HealthConfig(("x",), interval=30, start_interval=0.5)
    assert next_probe_in(config, HealthState(), started_at=0, now=1) == 30
    assert next_probe_in(config, HealthState(), started_at=0, now=1, awaited=True) == 0.5
    assert next_probe_in(config, HealthState(HEALTHY), started_at=0, now=1, awaited=True) == 30
