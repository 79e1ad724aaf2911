"""What a load gives: the typed project, its canonical form, warnings, and the
files it depended on.  A module of its own, light to import: the load cache
(``loadcache.py``) hands back a ``Loaded`` without importing the loader."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from compose.spec.model import Project


@dataclass(frozen=True)
class Loaded:
    project: Project
    canonical: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    """Every file the load read or looked for, absolute."""
    variables: tuple[str, ...] | None = None
    """Every variable of the environment the load looked up, set or not (None: it
    went through all of them)."""
