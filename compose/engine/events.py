"""Progress as data: what the executor did, for the CLI to render."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    kind: str  # "Network" | "Container"
    name: str
    status: str  # "Creating", "Created", "Starting", "Started", "Stopping", "Stopped", ...
    done: bool = False


Reporter = Callable[[Progress], None]


def ignore(_: Progress) -> None:
    """A reporter that shows nothing."""
