"""Image transfer progress as data: what pull and push are doing, for the CLI to
render (as docker compose does: one line per image, one per layer under it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Transfer:
    """One step of pulling or pushing ``image``; ``layer`` is empty for the image
    line itself, else the layer's short digest (12 hex digits, as docker prints)."""

    image: str
    status: str  # "Pulling", "Pulled", "Waiting", "Downloading", "Download complete",
    # "Already exists", "Pull complete", "Pushing", "Pushed", "Layer already exists"
    layer: str = ""
    current: int = 0
    total: int = 0
    done: bool = False
    error: bool = False


TransferReporter = Callable[[Transfer], None]


def ignore(_: Transfer) -> None:
    """A reporter that shows nothing."""


def short_id(digest: str) -> str:
    return digest.removeprefix("sha256:")[:12]
