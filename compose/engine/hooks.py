"""Lifecycle hooks, as docker compose runs them: ``post_start`` right after a
container starts, ``pre_stop`` before its stop signal, each a process run inside
the running container (the backend's ``run_hook``: its output goes to the
container's log).

The hooks are read from the canonical form a container keeps on disk
(``runstate.read_supervision``), so every start and stop runs the hooks the
container was made with, whoever makes it: the executor (``up``, ``start``,
``restart``, rollouts), the supervisor (restarts), ``down``.  Two entry points,
one per hook kind; the callers are the one start and the one user stop of each
layer (``Executor._do``'s ``StartContainer``, ``containersteps.stop_by_user``,
``ContainerWatcher._start_again``)."""

from __future__ import annotations

import shlex
from collections.abc import Callable

from common.errors import HookFailed, PycomposeError, RuntimeFailure
from common.paths import Layout
from common.records import ContainerRecord
from compose.engine import runstate
from compose.engine.backends import ContainerBackend
from compose.spec.load.hookbuild import service_hooks
from compose.spec.model import Hook


def hooks_of(layout: Layout, record: ContainerRecord, key: str) -> tuple[Hook, ...]:
    """The container's ``post_start`` or ``pre_stop`` hooks (a small file: no thread)."""
    return service_hooks(runstate.read_supervision(layout.container_dir(record.id)), key)


def describe(record: ContainerRecord, key: str, number: int, hook: Hook) -> str:
    """How an error names a hook: its service, kind, place and command."""
    return f"service {record.service}: {key} hook {number} ({shlex.join(hook.command)})"


async def post_start(layout: Layout, containers: ContainerBackend,
                     record: ContainerRecord) -> None:
    """Run the container's ``post_start`` hooks in order; the first that fails
    ends them with ``HookFailed`` (the container keeps running, as with Docker)."""
    for number, hook in enumerate(hooks_of(layout, record, "post_start"), 1):
        what = describe(record, "post_start", number, hook)
        try:
            code = await containers.run_hook(record, hook)
        except PycomposeError as exc:  # an unknown user...
            raise RuntimeFailure(f"{what} could not run: {exc}") from None
        if code != 0:
            raise HookFailed(f"{what} exited with status {code}", code)


async def pre_stop(layout: Layout, containers: ContainerBackend, record: ContainerRecord,
                   warn: Callable[[str], None]) -> None:
    """Run the container's ``pre_stop`` hooks in order while it runs; one that fails
    (or cannot run) is reported through ``warn`` and ends them: the stop goes on."""
    hooks = hooks_of(layout, record, "pre_stop")
    if not hooks or not containers.is_running(record) or await containers.paused(record):
        return
    for number, hook in enumerate(hooks, 1):
        what = describe(record, "pre_stop", number, hook)
        try:
            code = await containers.run_hook(record, hook)
        except PycomposeError as exc:
            warn(f"{what} could not run: {exc}; stopping anyway")
            return
        if code != 0:
            warn(f"{what} exited with status {code}; stopping anyway")
            return
