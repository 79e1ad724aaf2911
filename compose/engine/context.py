"""What an operation works with: this host's backends, seen through the engine's
Protocols, where state lives, and where to report.

``compose/wiring.py`` builds the real one (root, the OCI runtime detected) once
per command; tests build one from ``tests/fakes.py``.  The CLI reaches it through
a ``Host``, handed to it by ``compose/app.py``, so no verb imports a backend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from common.images import BuildResult
from common.paths import Layout
from common.progress import BuildEvent, TransferReporter
from common.records import ContainerRecord
from compose.engine.backends import (
    ContainerBackend,
    ImageBackend,
    NetworkBackend,
    Supervisors,
    VolumeBackend,
)
from compose.engine.events import Progress


class BuildSink(Protocol):
    """Where one command's builds report: each image's start, its steps' events
    (``BuildReporter``), and what it made."""

    def start(self, label: str) -> None: ...

    def report(self, event: BuildEvent) -> None: ...

    def finish(self, label: str, result: BuildResult) -> None: ...


class Reporter(Protocol):
    """Where operations report: progress lines, warnings and plain output.  The
    CLI's console implements it (the only place that draws with rich)."""

    def progress(self, event: Progress) -> None: ...

    def warn(self, message: str) -> None: ...

    def text(self, message: str) -> None:
        """One line on standard output."""

    def raw(self, text: str) -> None:
        """Exactly ``text`` on standard output (machine-readable output)."""

    def error(self, message: str) -> None:
        """One line on standard error, as it is."""

    def transfers(self, verb: str, quiet: bool) -> AbstractContextManager[TransferReporter]:
        """Pull or push progress (``verb``: ``Pulling``, ``Pushing``) drawn while the
        block runs; nothing is drawn when ``quiet``."""

    def builds(self, quiet: bool) -> AbstractContextManager[BuildSink]:
        """Build progress drawn while the block runs; only a failure when ``quiet``."""


@dataclass
class Context:
    layout: Layout
    containers: ContainerBackend
    networks: NetworkBackend
    volumes: VolumeBackend
    images: ImageBackend
    supervisors: Supervisors
    output: Reporter
    environ: Mapping[str, str]
    runtime: str
    """The OCI runtime containers are created with (its path, kept in their records)."""
    _image_configs: dict[str, Mapping[str, Any]] = field(default_factory=dict)

    def image_config(self, record: ContainerRecord) -> Mapping[str, Any]:
        """The ``config`` section of a container's image (health check, stop signal);
        empty if the image is gone.  Read once per image and command."""
        cached = self._image_configs.get(record.image_id)
        if cached is None:
            cached = self._image_configs[record.image_id] = self.images.config(record.image_id)
        return cached


class Host(Protocol):
    """This machine as the CLI reaches it: the backends (as root), and the registry
    logins that need none."""

    def start_standby_supervisor(self, environ: Mapping[str, str]) -> None:
        """Called as soon as the verb is known to be one that usually starts a
        supervisor: start one ahead, to be handed the project when it is needed."""

    def prepare_networks(self, *, many: bool) -> None:
        """Called first thing for verbs that make or remove bridges and veths: what
        they need for it is loaded meanwhile, on the other core; ``many``: the verb
        makes many links, whose work is worth that core even once loaded."""

    async def connect(self, output: Reporter, environ: Mapping[str, str]) -> Context:
        """The real backends (the state root from ``PYCOMPOSE_ROOT``; root only)."""

    def project_known(self, environ: Mapping[str, str], project: str | None) -> None:
        """The command has loaded its project (None: it did not need to): a
        supervisor started ahead of need is let go when the project's own runs, and
        one is started now for a verb that did not start one ahead, unless it runs."""

    def exec_now(self, environ: Mapping[str, str], project: str, service: str, index: int,
                 args: Sequence[str], *, user: str | None, env: Mapping[str, str],
                 cwd: str | None) -> None:
        """``exec`` without a terminal, before any event loop or backend is set up
        (start-up time): this process becomes the runtime's ``exec``, whose exit
        status is the container process's; it returns only when the usual way must
        run it."""

    def login(self, server: str | None, username: str, password: str,
              environ: Mapping[str, str]) -> tuple[str, str]:
        """Check credentials against a registry (Docker Hub when ``server`` is None)
        and keep them; the registry's host and where they were saved."""

    def logout(self, server: str | None, environ: Mapping[str, str]) -> tuple[str, bool]:
        """Forget a registry's credentials; its host, and False when there were none."""
