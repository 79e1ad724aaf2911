"""What the supervisor acts on for one container (pure): its restart policy, its
health check and what to do when it turns unhealthy, read from the service as
recorded in the container's ``supervision.json``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from common.logoptions import DEFAULT_MAX_FILES, max_files
from compose.planning import health as health_rules
from compose.planning.health import HealthConfig
from compose.planning.lifecycle import RestartPolicy, parse_policy

AUTOHEAL_ACTIONS = ("restart", "stop", "kill", "none")



@dataclass(frozen=True)
class Supervision:
    """What the supervisor acts on for one container, from its ``supervision.json``."""

    policy: RestartPolicy
    health: HealthConfig | None
    on_unhealthy: str = "none"
    log_files: int = DEFAULT_MAX_FILES
    """How many log files to keep, the current one included."""

    @classmethod
    def of(cls, service: Mapping[str, Any], image_config: Mapping[str, Any]) -> Supervision:
        extension = service.get("x-pycompose") or {}
        action = str(extension.get("on_unhealthy", "none")) if isinstance(extension, dict) \
            else "none"
        return cls(parse_policy(service), health_rules.health_config(service, image_config),
                   action if action in AUTOHEAL_ACTIONS else "none",
                   max_files(service.get("logging")))
