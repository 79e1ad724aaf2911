"""``post_start`` and ``pre_stop`` as the model's ``Hook`` values, from a service's
canonical form: the typed phase builds them, and the engine builds them again
from the canonical form a container keeps on disk (its supervision file), so a
container started or stopped without the Compose file runs the hooks it was
made with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compose.spec.model import Hook, frozen_map

HOOK_KEYS = frozenset({"post_start", "pre_stop"})


def service_hooks(service: Mapping[str, Any], key: str) -> tuple[Hook, ...]:
    """The hooks of ``key`` (``post_start`` or ``pre_stop``), in the file's order."""
    return tuple(_hook(entry) for entry in service.get(key) or ()
                 if isinstance(entry, Mapping))


def _hook(entry: Mapping[str, Any]) -> Hook:
    command = entry.get("command") or ()
    environment = entry.get("environment") or {}
    return Hook(
        command=tuple(str(word) for word in command),
        user=None if entry.get("user") in (None, "") else str(entry["user"]),
        privileged=bool(entry.get("privileged")),
        working_dir=entry.get("working_dir") or None,
        environment=frozen_map((str(k), str(v)) for k, v in environment.items()
                               if v is not None),
    )
