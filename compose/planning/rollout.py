"""Rolling updates: how ``up`` replaces the running replicas of a changed service
(pure), from ``deploy.update_config`` as Swarm reads it.

``parallelism`` replicas at a time (0: all), ``order`` ``stop-first`` (the old
replica stops before its replacement starts) or ``start-first``, ``delay`` between
batches, ``monitor``: how long a new replica must keep running once it is running
(or healthy, when it has a health check), and ``failure_action``: ``pause`` (stop
the update; the failed batch gets its old replicas back), ``continue`` or
``rollback`` (every replaced replica gets its old container back).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from common.durations import parse_duration

T = TypeVar("T")
ORDERS = ("stop-first", "start-first")
FAILURE_ACTIONS = ("pause", "continue", "rollback")


@dataclass(frozen=True)
class UpdateConfig:
    parallelism: int = 1
    delay: float = 0.0
    order: str = "stop-first"
    failure_action: str = "pause"
    monitor: float = 0.0

    @classmethod
    def of(cls, service: Mapping[str, Any]) -> UpdateConfig:
        """From a canonical service's ``deploy.update_config``."""
        raw = (service.get("deploy") or {}).get("update_config") or {}
        order = str(raw.get("order") or "stop-first")
        action = str(raw.get("failure_action") or "pause")
        return cls(
            parallelism=max(0, int(raw.get("parallelism", 1))),
            delay=_seconds(raw.get("delay")),
            order=order if order in ORDERS else "stop-first",
            failure_action=action if action in FAILURE_ACTIONS else "pause",
            monitor=_seconds(raw.get("monitor")),
        )

    def describe(self) -> str:
        at_once = "all at once" if self.parallelism == 0 else f"{self.parallelism} at a time"
        return f"{at_once}, {self.order}"


def _seconds(value: object) -> float:
    if value is None:
        return 0.0
    try:
        return max(0.0, parse_duration(value))  # type: ignore[arg-type]
    except ValueError:
        return 0.0


def rolls(service: Mapping[str, Any], replicas: int) -> bool:
    """Whether a changed service is replaced replica by replica: when it has more than
    one, or asks for it with ``update_config``."""
    return replicas > 1 or bool((service.get("deploy") or {}).get("update_config"))


def batches(items: Sequence[T], parallelism: int) -> list[list[T]]:
    """``items`` in groups of ``parallelism`` (0: one group of all)."""
    size = parallelism or len(items) or 1
    return [list(items[i:i + size]) for i in range(0, len(items), size)]
