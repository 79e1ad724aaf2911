"""``healthcheck`` as Kubernetes probes.

Docker runs the test inside the container every ``interval`` (30 s), gives it
``timeout`` (30 s), calls the container unhealthy after ``retries`` (3) failures
in a row, and does not count failures during ``start_period`` (probing every
``start_interval``, 5 s, meanwhile).  Kubernetes gets:

- ``readinessProbe``: the same test, period, timeout and threshold; a pod that is
  not ready drops out of its Service, as an unhealthy container drops out of
  pycompose's DNS, and dependents waiting on ``service_healthy`` wait for it;
- ``livenessProbe``: the same, so an unhealthy container is restarted;
- ``startupProbe`` when there is a start period: probed every ``start_interval``
  for as long as the start period lasts (plus ``retries``), holding the two
  others back, as Docker does not count early failures.

Kubernetes counts in whole seconds (at least 1): other durations are rounded up,
with a warning.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from common.durations import parse_duration
from compose.convert.base import Notes

DEFAULT_INTERVAL = 30.0
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 3
DEFAULT_START_INTERVAL = 5.0


def exec_command(test: list[str]) -> list[str] | None:
    """The probe's command, or None for ``NONE``/an empty test (no check)."""
    if not test or test[0] == "NONE":
        return None
    if test[0] == "CMD":
        return list(test[1:])
    if test[0] == "CMD-SHELL":
        return ["/bin/sh", "-c", " ".join(test[1:])]
    return list(test)  # compose-go keeps a bare list as the command itself


def seconds(value: Any, default: float, service: str, key: str, notes: Notes) -> int:
    """Whole seconds, at least 1, for a Compose duration (rounded up, with a warning)."""
    amount = default if value is None else parse_duration(value)
    whole = max(1, math.ceil(amount))
    if whole != amount:
        notes.warn(service, key, f"{value} is rounded up to {whole}s "
                                 "(Kubernetes counts whole seconds, at least 1)")
    return whole


def probes(service: str, healthcheck: Mapping[str, Any] | None,
           notes: Notes) -> dict[str, Any]:
    """The container's probe fields (possibly none)."""
    if not healthcheck or healthcheck.get("disable"):
        return {}
    command = exec_command(list(healthcheck.get("test") or []))
    if command is None:
        if healthcheck.get("test") is None:  # only timings: the image's HEALTHCHECK
            notes.warn(service, "healthcheck", "no test given (the image's HEALTHCHECK is "
                                               "not read); no probes")
        return {}
    period = seconds(healthcheck.get("interval"), DEFAULT_INTERVAL, service,
                     "healthcheck.interval", notes)
    timeout = seconds(healthcheck.get("timeout"), DEFAULT_TIMEOUT, service,
                      "healthcheck.timeout", notes)
    retries = healthcheck.get("retries")
    threshold = max(1, DEFAULT_RETRIES if retries is None else int(retries))
    probe = {"exec": {"command": command}, "periodSeconds": period,
             "timeoutSeconds": timeout, "failureThreshold": threshold,
             "successThreshold": 1}
    result: dict[str, Any] = {"readinessProbe": dict(probe), "livenessProbe": dict(probe)}
    start = parse_duration(healthcheck["start_period"]) if healthcheck.get("start_period") \
        else 0.0
    if start > 0:
        start_interval = seconds(healthcheck.get("start_interval"), DEFAULT_START_INTERVAL,
                                 service, "healthcheck.start_interval", notes)
        result["startupProbe"] = {
            **probe, "periodSeconds": start_interval,
            "failureThreshold": math.ceil(start / start_interval) + threshold,
        }
    return result
