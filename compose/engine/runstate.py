"""What the supervisor and the CLI share about a container, in its directory.

``supervision.json``: the service's canonical form, written when the container is
created, so the supervisor knows the restart policy and health check without the
Compose file.  ``restart.json``: restarts so far, the back-off delay, whether the
user stopped it (the CLI writes that *before* stopping, so the supervisor never
restarts what the user stopped).  ``health.json``: the health check's state.
``awaited``: present while a dependent waits for the container to turn healthy
(the supervisor probes it every ``start_interval`` meanwhile).
``died``: the run whose exit was last announced, so each exit gets one ``die``
event whoever sees it first (the supervisor, a new supervisor re-adopting the
container, or the command that stopped it).
All written atomically; a missing file reads as the initial state.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from common.statefiles import json_bytes, read_json, write_atomic, write_json
from common.status import Probe
from compose.planning.health import HealthState
from compose.planning.lifecycle import RestartState

SUPERVISION = "supervision.json"
RESTART = "restart.json"
HEALTH = "health.json"
DIED = "died"
AWAITED = "awaited"
"""Which run's exit has had its ``die`` event (the run known by its start time)."""


def _read(path: Path) -> dict[str, Any] | None:
    try:
        value = read_json(path)
    except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None


def write_supervision(directory: Path, service: Mapping[str, Any]) -> None:
    write_atomic(directory / SUPERVISION, supervision_file(service)[SUPERVISION])


def supervision_file(service: Mapping[str, Any]) -> dict[str, bytes]:
    """``supervision.json`` by name, for the runtime to write with the container's
    bundle (``ContainerBackend.create``'s ``files``)."""
    return {SUPERVISION: json_bytes({"service": dict(service)})}


def read_supervision(directory: Path) -> dict[str, Any]:
    data = _read(directory / SUPERVISION) or {}
    service = data.get("service")
    return service if isinstance(service, dict) else {}


def read_restart(directory: Path) -> RestartState:
    data = _read(directory / RESTART) or {}
    return RestartState(int(data.get("restarts", 0)), float(data.get("delay", 0.0)),
                        bool(data.get("manually_stopped", False)))


def _write_if_present(path: Path, value: Any) -> None:
    """A container's state file, unless its directory is gone: the container was
    removed meanwhile (by another process), and its directory must stay gone."""
    with contextlib.suppress(FileNotFoundError):
        write_json(path, value, make_parent=False)


def write_restart(directory: Path, state: RestartState, due: float | None = None) -> None:
    """``due``: when the supervisor's restart in progress starts the container
    (seconds since the epoch); a new supervisor re-adopting the container finishes
    that restart.  Any other write (a user's stop or start) calls it off."""
    value: dict[str, Any] = asdict(state)
    if due is not None:
        value["due"] = due
    _write_if_present(directory / RESTART, value)


def restart_due(directory: Path) -> float | None:
    due = (_read(directory / RESTART) or {}).get("due")
    return float(due) if isinstance(due, int | float) else None


def restart_done(directory: Path) -> None:
    """The restart ``write_restart`` announced has happened."""
    data = _read(directory / RESTART) or {}
    if data.pop("due", None) is not None:
        _write_if_present(directory / RESTART, data)


def mark_stopped_by_user(directory: Path) -> None:
    current = read_restart(directory)
    write_restart(directory, RestartState(current.restarts, current.delay, True))


def mark_started_by_user(directory: Path) -> None:
    """A start by the user: no longer stopped, a fresh back-off, health from scratch.
    Without a restart file (never stopped nor restarted: its absence reads as that
    fresh state) none is written: a new container's first start made one, two
    fsyncs, for nothing."""
    if (directory / RESTART).exists():
        write_restart(directory, RestartState())
    (directory / HEALTH).unlink(missing_ok=True)


def read_health(directory: Path) -> HealthState | None:
    data = _read(directory / HEALTH)
    if data is None:
        return None
    log = tuple(Probe(**entry) for entry in data.get("log", []))
    return HealthState(str(data.get("status", "starting")), int(data.get("failing_streak", 0)),
                       log)


def write_health(directory: Path, state: HealthState) -> None:
    _write_if_present(directory / HEALTH, asdict(state))


def claim_exit(directory: Path, started_at: float | None,
               announce: Callable[[], object]) -> bool:
    """Call ``announce`` (which writes the ``die`` event) the first time the exit of
    the run started at ``started_at`` is claimed, and say whether it did.  It runs
    under the claim's lock: whoever claims second (the supervisor, or the command
    that stopped the container) waits for it, so an event written after a failed
    claim (``stop``) always follows the ``die``."""
    key = f"{started_at!r}\n".encode()
    try:
        fd = os.open(directory / DIED, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except FileNotFoundError:
        return False  # the container is gone
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if os.read(fd, 64) == key:
            return False
        os.lseek(fd, 0, os.SEEK_SET)
        os.ftruncate(fd, 0)
        os.write(fd, key)
        announce()
        return True
    finally:
        os.close(fd)


@contextlib.contextmanager
def awaited(directory: Path) -> Iterator[None]:
    """Say, while inside, that a dependent waits for this container's health."""
    with contextlib.suppress(FileNotFoundError):
        (directory / AWAITED).touch()
    try:
        yield
    finally:
        (directory / AWAITED).unlink(missing_ok=True)


def is_awaited(directory: Path) -> bool:
    return (directory / AWAITED).exists()
