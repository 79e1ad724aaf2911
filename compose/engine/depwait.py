"""Waiting for a dependency before starting its dependent: ``depends_on`` conditions.

As docker compose checks them: ``service_started`` needs nothing more than the
start order; ``service_healthy`` waits for the health check to pass and fails at
once if the dependency turns unhealthy or exits; ``service_completed_successfully``
waits for the dependency to exit and fails unless it exits 0.  A dependency marked
``required: false`` that fails only produces a warning.  Health comes from the
supervisor's ``health.json``, watched with inotify: no polling.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trio

from common.errors import PycomposeError
from common.filewatch import DIRECTORY_CHANGES, FileWatch
from common.paths import Layout
from common.records import ContainerRecord
from common.status import EXITED, ContainerStatus
from compose.engine import runstate
from compose.engine.backends import ContainerBackend
from compose.planning.health import HEALTHY, UNHEALTHY, health_config

STARTED = "service_started"
HEALTHY_CONDITION = "service_healthy"
COMPLETED = "service_completed_successfully"
FIRST_LOOK = 0.5
"""Docker Compose's dependency ticker: its first look at a dependency's state."""


class DependencyFailed(PycomposeError):
    """A dependency did not reach the condition its dependent waits for."""


@dataclass(frozen=True)
class Condition:
    service: str
    condition: str = STARTED
    required: bool = True
    restart: bool = False
    """``restart: true``: the dependent is restarted after this dependency is."""


def conditions(service: Mapping[str, Any]) -> list[Condition]:
    """The ``depends_on`` of a canonical service, as conditions to wait for."""
    return [
        Condition(name, str(entry.get("condition", STARTED)), bool(entry.get("required", True)),
                  bool(entry.get("restart", False)))
        for name, entry in (service.get("depends_on") or {}).items()
    ]


def restart_along(dependency: str, services: Mapping[str, Mapping[str, Any]],
                  ) -> dict[str, Condition]:
    """Of ``services`` (canonical, by container id), those that depend on the service
    ``dependency`` with ``restart: true``, each with its condition on it."""
    found = {}
    for container_id, service in services.items():
        for condition in conditions(service):
            if condition.service == dependency and condition.restart:
                found[container_id] = condition
    return found


async def wait_for(layout: Layout, containers: ContainerBackend, dependency: ContainerRecord,
                   condition: str, image_config: Callable[[ContainerRecord], Mapping[str, Any]],
                   ) -> None:
    """Return when ``dependency`` meets ``condition``; DependencyFailed if it cannot."""
    if condition == COMPLETED:
        code = await containers.wait(dependency)
        if code is None:
            code = (await containers.status(dependency)).exit_code
        if code != 0:
            raise DependencyFailed(
                f"service {dependency.service} didn't complete successfully: exit {code}")
        return
    if condition != HEALTHY_CONDITION:
        return
    # Docker Compose's order: an exit first, then a missing health check, then health.
    directory = layout.container_dir(dependency.id)
    status = await containers.status(dependency)
    if status.state == EXITED:
        raise DependencyFailed(f"dependency failed to start: container {dependency.name} "
                               f"exited ({await _exit_code(containers, status)})")
    service = runstate.read_supervision(directory)
    if health_config(service, image_config(dependency)) is None:
        raise DependencyFailed(f"dependency failed to start: container {dependency.name} "
                               + await _exited_or_unchecked(containers, dependency))
    with runstate.awaited(directory):  # probed every start_interval meanwhile
        result = await _health_or_exit(containers, dependency, directory)
    if result == UNHEALTHY:
        raise DependencyFailed(
            f"dependency failed to start: container {dependency.name} is unhealthy")
    if result != HEALTHY:
        raise DependencyFailed(f"dependency failed to start: container {dependency.name} "
                               f"{result}")


async def _exit_code(containers: ContainerBackend, status: ContainerStatus) -> int | None:
    """The exit code of a container the runtime found stopped: conmon writes it a
    moment after the process ends, and is waited for then."""
    if status.exit_code is not None or status.state != EXITED:
        return status.exit_code
    return await containers.wait(status.record)


async def _exited_or_unchecked(containers: ContainerBackend, dependency: ContainerRecord,
                               ) -> str:
    """Why a dependency without a health check fails: Docker Compose looks first
    after half a second (its ticker), so a container that exits at once is reported
    as exited, not as unchecked."""
    with trio.move_on_after(FIRST_LOOK) as still_running:
        code = await containers.wait(dependency)
    if still_running.cancelled_caught:
        return "has no healthcheck configured"
    if code is None:
        code = (await containers.status(dependency)).exit_code
    return f"exited ({code})"


async def _health_or_exit(containers: ContainerBackend, dependency: ContainerRecord,
                          directory: Path) -> str:
    """``healthy``/``unhealthy`` or ``exited (N)``, whichever comes first."""
    outcome: list[str] = []
    async with trio.open_nursery() as nursery:

        async def healthy() -> None:
            with FileWatch(directory, DIRECTORY_CHANGES) as changes:
                while True:
                    state = runstate.read_health(directory)
                    if state is not None and state.status in (HEALTHY, UNHEALTHY):
                        outcome.append(state.status)
                        break
                    await changes.changed()
            nursery.cancel_scope.cancel()

        async def exited() -> None:
            code = await containers.wait(dependency)
            outcome.append(f"exited ({code})")
            nursery.cancel_scope.cancel()

        nursery.start_soon(healthy)
        nursery.start_soon(exited)
    return outcome[0] if outcome else "gone"


async def wait_running_or_healthy(layout: Layout, containers: ContainerBackend,
                                  record: ContainerRecord,
                                  image_config: Callable[[ContainerRecord], Mapping[str, Any]],
                                  *, completes: bool = False) -> None:
    """What ``up --wait`` waits for: healthy when the container has a health check,
    else running; a one-shot that exited 0 is done, and one that others wait for
    with ``service_completed_successfully`` (``completes``) is waited for until it
    exits.  DependencyFailed otherwise."""
    if completes:
        await wait_for(layout, containers, record, COMPLETED, image_config)
        return
    service = runstate.read_supervision(layout.container_dir(record.id))
    status = await containers.status(record)
    if not status.running:
        code = await _exit_code(containers, status)
        if code == 0:
            return
        raise DependencyFailed(f"container {record.name} exited ({code})")
    if health_config(service, image_config(record)) is None:
        return
    try:
        await wait_for(layout, containers, record, HEALTHY_CONDITION, image_config)
    except DependencyFailed as exc:
        raise DependencyFailed(str(exc).removeprefix("dependency failed to start: ")) from None
