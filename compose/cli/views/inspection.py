"""``inspect``: a container as ``docker inspect`` shows it, in the fields users
script against (pure): State with Health and its last probes, Config, Mounts of
the record, NetworkSettings."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from common.status import RUNNING, ContainerStatus
from compose.planning.health import HealthState

ZERO_TIME = "0001-01-01T00:00:00Z"


def _when(seconds: float | None) -> str:
    if not seconds:
        return ZERO_TIME
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def health_json(health: HealthState) -> dict[str, Any]:
    return {
        "Status": health.status,
        "FailingStreak": health.failing_streak,
        "Log": [{"Start": _when(p.start), "End": _when(p.end), "ExitCode": p.exit_code,
                 "Output": p.output} for p in health.log],
    }


def inspect_json(status: ContainerStatus, health: HealthState | None,
                 service: Mapping[str, Any]) -> dict[str, Any]:
    record = status.record
    state: dict[str, Any] = {
        "Status": status.state,
        "Running": status.state == RUNNING,
        "Paused": False,
        "Restarting": False,
        "Dead": status.state == "dead",
        "Pid": status.pid or 0,
        "ExitCode": status.exit_code or 0,
        "StartedAt": _when(status.started_at),
        "FinishedAt": _when(status.finished_at),
    }
    if health is not None:
        state["Health"] = health_json(health)
    return {
        "Id": record.id,
        "Created": _when(record.created),
        "Name": "/" + record.name,
        "State": state,
        "Image": record.image_id,
        "Config": {
            "Hostname": record.hostname,
            "Image": record.image,
            "Cmd": list(record.command),
            "Labels": dict(sorted(record.labels.items())),
            "StopSignal": record.stop_signal,
            "Healthcheck": service.get("healthcheck"),
        },
        "NetworkSettings": {
            "Networks": {
                (a.network_name or f"{record.project}_{a.network}"): {
                    "IPAddress": a.address.split("/")[0],
                    "IPPrefixLen": int(a.address.split("/")[1]) if "/" in a.address else 0,
                    "Gateway": a.gateway,
                } for a in record.attachments
            },
        },
    }
