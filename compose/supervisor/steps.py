"""The states of one container's watcher (``container.py``), and which errors it
outlives.

    Observe ──running──▶ Running ──exit──▶ Exited ──policy: restart──▶ Backoff
       ▲  └─created──▶ WaitStart ─┐          │  └─stays / autoheal stop──▶ (done)
       └──────────────────────────┴──────────┴───── started again ◀────────┘

Each state is a small frozen value; its handler acts and returns the next state,
or None when the watcher is done.  Values, not flags on the watcher, so a state
carries exactly what its handler needs and a supervisor's log names where a
container's watcher stood.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from common.errors import PycomposeError
from compose.planning.health import HealthState
from compose.planning.lifecycle import Restart


def failure(exc: BaseException) -> Exception | None:
    """The error a container's step failed of, if it is one the supervisor outlives
    (a user-facing error or an OSError, alone or in a nursery's group); None for
    anything else: a bug, which must keep its traceback."""
    if isinstance(exc, BaseExceptionGroup):
        matched, rest = exc.split((PycomposeError, OSError))
        if matched is None or rest is not None:
            return None
        leaf: BaseException = matched
        while isinstance(leaf, BaseExceptionGroup):
            leaf = leaf.exceptions[0]
        exc = leaf
    return exc if isinstance(exc, (PycomposeError, OSError)) else None


@dataclass
class Run:
    """One run of a container, as its watcher sees it."""

    started_at: float
    autoheal: str | None = None  # an action taken because it turned unhealthy
    health: HealthState = field(default_factory=HealthState)


@dataclass(frozen=True)
class Observe:
    """Find out how the container is."""


@dataclass(frozen=True)
class Running:
    """Wait for its exit, probing its health meanwhile."""

    run: Run


@dataclass(frozen=True)
class WaitStart:
    """Created, not started yet: ``up`` starts it after its dependencies."""


@dataclass(frozen=True)
class Exited:
    """It exited, or was found exited: say so, then decide what follows."""

    run: Run
    code: int | None
    ran_for: float
    seen: str
    """The state the container was last seen in."""
    seen_at: float
    """When the exit was seen (trio's clock): the back-off counts from there."""


@dataclass(frozen=True)
class Backoff:
    """A restart decided: wait out its back-off, the next run staged meanwhile."""

    decision: Restart
    due: float
    """When the restart is due (trio's clock)."""


Step = Observe | Running | WaitStart | Exited | Backoff
