"""Health checks as a pure state machine, with Docker's defaults and semantics.

Defaults (moby ``daemon/health.go``): interval 30 s, timeout 30 s, 3 retries,
start period 0 s, start interval 5 s.  ``starting`` becomes ``healthy`` on the
first passing probe; ``retries`` consecutive failures make it ``unhealthy``;
failures inside the start period, while still ``starting``, do not count.  The
last five probe results are kept, each output cut to 4096 bytes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from common.durations import parse_duration
from common.status import Probe

STARTING, HEALTHY, UNHEALTHY = "starting", "healthy", "unhealthy"
DEFAULT_INTERVAL = 30.0
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 3
DEFAULT_START_INTERVAL = 5.0
MAX_OUTPUT = 4096
MAX_LOG = 5


@dataclass(frozen=True)
class HealthConfig:
    command: tuple[str, ...]  # what the probe runs inside the container
    interval: float = DEFAULT_INTERVAL
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    start_period: float = 0.0
    start_interval: float = DEFAULT_START_INTERVAL


@dataclass(frozen=True)
class HealthState:
    status: str = STARTING
    failing_streak: int = 0
    log: tuple[Probe, ...] = ()


def probe_command(test: Sequence[str] | str | None) -> tuple[str, ...] | None:
    """``["CMD", ...]`` runs as is, ``["CMD-SHELL", s]`` and a string through
    ``/bin/sh -c``; ``["NONE"]``, an empty test or none disable the check."""
    if test is None:
        return None
    if isinstance(test, str):
        return ("/bin/sh", "-c", test) if test else None
    words = [str(w) for w in test]
    if not words or words[0] == "NONE":
        return None
    if words[0] == "CMD":
        return tuple(words[1:]) or None
    if words[0] == "CMD-SHELL":
        return ("/bin/sh", "-c", " ".join(words[1:]))
    return tuple(words)


def _seconds(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) / 1e9  # the image config counts nanoseconds
    try:
        return parse_duration(str(value))
    except ValueError:
        return None


def health_config(service: Mapping[str, Any],
                  image_config: Mapping[str, Any]) -> HealthConfig | None:
    """The service's ``healthcheck`` over the image's ``Healthcheck``, field by field,
    as Docker merges them; None when there is no check."""
    mine = service.get("healthcheck") or {}
    theirs = image_config.get("Healthcheck") or {}
    if mine.get("disable"):
        return None
    command = probe_command(mine["test"] if "test" in mine else theirs.get("Test"))
    if command is None:
        return None

    def pick(key: str, image_key: str, default: float) -> float:
        for value in (_seconds(mine.get(key)), _seconds(theirs.get(image_key))):
            if value:
                return value
        return default

    retries = mine.get("retries") or theirs.get("Retries") or DEFAULT_RETRIES
    return HealthConfig(
        command=command,
        interval=pick("interval", "Interval", DEFAULT_INTERVAL),
        timeout=pick("timeout", "Timeout", DEFAULT_TIMEOUT),
        retries=int(retries),
        start_period=pick("start_period", "StartPeriod", 0.0),
        start_interval=pick("start_interval", "StartInterval", DEFAULT_START_INTERVAL),
    )


def in_start_period(config: HealthConfig, state: HealthState, started_at: float,
                    now: float) -> bool:
    return state.status == STARTING and now - started_at < config.start_period


def record(config: HealthConfig, state: HealthState, probe: Probe,
           started_at: float) -> HealthState:
    """The state after one probe of a container started at ``started_at``."""
    kept = replace(probe, output=probe.output[:MAX_OUTPUT])
    log = (*state.log, kept)[-MAX_LOG:]
    if probe.exit_code == 0:
        return HealthState(HEALTHY, 0, log)
    if in_start_period(config, state, started_at, probe.end):
        return HealthState(state.status, state.failing_streak, log)
    streak = state.failing_streak + 1
    status = UNHEALTHY if streak >= config.retries else state.status
    return HealthState(status, streak, log)


def next_probe_in(config: HealthConfig, state: HealthState, started_at: float,
                  now: float, *, awaited: bool = False) -> float:
    """Seconds from the end of a probe (or from the start) to the next probe: the
    start interval inside the start period, as Docker does, and also while a
    dependent waits for a container still ``starting`` (``awaited``), so a chain of
    health-gated services comes up as soon as each is ready."""
    if state.status == STARTING and (
            awaited or in_start_period(config, state, started_at, now)):
        return config.start_interval
    return config.interval
