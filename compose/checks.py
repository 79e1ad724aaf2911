"""Loader phase: what the schema cannot say (undefined references, cycles)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compose.graph import DependencyCycle, start_order
from compose.sources import Sources


def check_project(canonical: Mapping[str, Any], sources: Sources) -> None:
    """docker compose's consistency checks (``config --no-consistency`` skips them)."""
    services = canonical.get("services", {})
    for name, service in services.items():
        if not service.get("image") and service.get("build") is None \
                and service.get("provider") is None:
            raise sources.error(
                ("services", name),
                f"service {name!r} has neither an image nor a build context specified")
        for dep, entry in (service.get("depends_on") or {}).items():
            if dep not in services and entry.get("required", True):
                raise sources.error(
                    ("services", name, "depends_on", dep),
                    f"service {name!r} depends on undefined service {dep!r}",
                )
    graph = {
        name: tuple(d for d in (s.get("depends_on") or {}) if d in services)
        for name, s in services.items()
    }
    try:
        start_order(graph)
    except DependencyCycle as exc:
        raise sources.error(("services", exc.cycle[0], "depends_on"), str(exc)) from None
