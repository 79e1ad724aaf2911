"""Names docker compose derives: project names and container names."""

from __future__ import annotations

import re

_PROJECT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def normalize_project_name(raw: str) -> str:
    """Lower-case, keep ``[a-z0-9_-]``, trim leading ``_``/``-`` (as compose-go does)."""
    kept = re.sub(r"[^a-z0-9_-]", "", raw.lower())
    return kept.lstrip("_-")


def is_valid_project_name(name: str) -> bool:
    return bool(_PROJECT_NAME.match(name))


def container_name(project: str, service: str, number: int) -> str:
    """``<project>-<service>-<n>``, docker compose v2's separator."""
    return f"{project}-{service}-{number}"


def network_name(project: str, key: str) -> str:
    """``<project>_<key>``, the name a Compose network gets unless it sets ``name:``."""
    return f"{project}_{key}"
