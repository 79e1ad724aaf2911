"""Image transfers and builds as progress data: what pulls, pushes and builds are
doing, reported by ``runtime/`` and drawn by the CLI's views (as docker compose
draws them), so neither side imports the other."""

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


@dataclass(frozen=True)
class BuildEvent:
    """One step of a build (BuildKit's ``[web 2/5] RUN make``), or one line of a
    step's output."""

    label: str
    step: int
    total: int
    text: str
    status: str
    """``running``, ``cached``, ``done``, ``error`` or ``output`` (one line in ``text``)."""
    elapsed: float = 0.0
    exit_code: int | None = None


BuildReporter = Callable[[BuildEvent], None]
