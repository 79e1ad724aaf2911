"""Restart policies and Docker's back-off, as pure decisions.

Docker (moby ``restartmanager``): delays of 100 ms doubling up to one minute;
a container that ran at least 10 s before exiting starts again from 100 ms.
``always`` restarts always, ``unless-stopped`` unless the user stopped it,
``on-failure[:N]`` on a non-zero exit while fewer than N restarts were made
(0 means no limit).  A user's stop cancels any pending restart.  Unhealthy
containers are not restarted by policy; that is autoheal's job (``x-pycompose``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from common.durations import parse_duration

INITIAL_DELAY = 0.1
MAX_DELAY = 60.0
RESET_AFTER = 10.0

POLICIES = ("no", "always", "on-failure", "unless-stopped")


@dataclass(frozen=True)
class RestartPolicy:
    name: str = "no"
    max_attempts: int = 0  # on-failure only; 0 = no limit
    delay: float | None = None  # deploy.restart_policy.delay: a fixed delay
    window: float | None = None  # deploy.restart_policy.window (kept for the record)


@dataclass(frozen=True)
class RestartState:
    """What the supervisor remembers of a container between its runs."""

    restarts: int = 0
    delay: float = 0.0  # the last back-off delay used (0 before the first restart)
    manually_stopped: bool = False


@dataclass(frozen=True)
class Restart:
    after: float
    state: RestartState


@dataclass(frozen=True)
class Stay:
    reason: str


Decision = Restart | Stay


def parse_policy(service: Mapping[str, Any]) -> RestartPolicy:
    """From a canonical service: ``deploy.restart_policy`` wins over ``restart``."""
    deploy = (service.get("deploy") or {}).get("restart_policy")
    if deploy:
        condition = deploy.get("condition", "any")
        name = {"none": "no", "any": "always", "on-failure": "on-failure"}.get(condition, "no")
        return RestartPolicy(
            name=name,
            max_attempts=int(deploy.get("max_attempts") or 0),
            delay=_seconds(deploy.get("delay")),
            window=_seconds(deploy.get("window")),
        )
    text = str(service.get("restart") or "no")
    name, _, count = text.partition(":")
    if name not in POLICIES:
        return RestartPolicy()
    return RestartPolicy(name=name, max_attempts=int(count) if count.isdigit() else 0)


def _seconds(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError:
        return None


def next_delay(previous: float, ran_for: float) -> float:
    """Docker's back-off: doubled each time, capped, reset after a long enough run."""
    if previous <= 0 or ran_for >= RESET_AFTER:
        return INITIAL_DELAY
    return min(previous * 2, MAX_DELAY)


def restart_decision(policy: RestartPolicy, exit_code: int | None, state: RestartState,
                     ran_for: float) -> Decision:
    """Should a container that just exited (``exit_code``, after ``ran_for`` seconds)
    be started again, and after how long?"""
    if state.manually_stopped:
        return Stay("stopped by the user")
    if policy.name == "no":
        return Stay("restart policy is no")
    if policy.name == "on-failure":
        if exit_code == 0:
            return Stay("exited successfully (restart: on-failure)")
        if policy.max_attempts and state.restarts >= policy.max_attempts:
            return Stay(f"gave up after {state.restarts} restarts (max {policy.max_attempts})")
    delay = policy.delay if policy.delay is not None else next_delay(state.delay, ran_for)
    return Restart(delay, RestartState(state.restarts + 1, delay, False))


def restart_on_start(policy: RestartPolicy, state: RestartState) -> bool:
    """After pycompose (or the host) went away, which exited containers come back
    (Docker's restore): ``always`` ones, even if the user stopped them, and
    ``unless-stopped`` ones the user did not stop."""
    if policy.name == "always":
        return True
    return policy.name == "unless-stopped" and not state.manually_stopped
