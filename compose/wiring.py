"""Wiring: this host's real backends behind the engine's Protocols, built once per
command.  The only module of ``compose/`` besides the supervisor's DNS host that
names ``runtime/``, ``network/`` and ``volumes/``; ``compose/app.py`` hands it to
the CLI as its ``Host``."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping, Sequence
from functools import partial

TYPE_CHECKING = False
if TYPE_CHECKING:  # the rest is imported when a verb connects: `version` needs none of it
    from typing import Any

    from compose.engine.context import Context, Reporter
    from compose.supervisor.standby import Standby


def _image_service(*args: Any) -> Any:
    from runtime.image_backend import ImageService

    return ImageService(*args)


class OnFirstUse:
    """A backend made when one of its members is first asked for: the verbs acting
    on containers (``down``, ``ps``, ``logs``, ``stop``...) never use images, and
    the image backend's modules cost them 5-7 ms of their start."""

    def __init__(self, make: Callable[[], object]) -> None:
        self._make = make
        self._made: object | None = None

    def __getattr__(self, name: str) -> Any:
        if self._made is None:
            self._made = self._make()
        return getattr(self._made, name)


def require_root() -> None:
    from common.errors import UsageError

    if os.geteuid() != 0:
        raise UsageError("pycompose must run as root (rootless mode is not supported yet)")


class LocalHost:
    """The CLI's ``Host``: this machine.  ``finish`` (the exit handlers and flushed
    output, ``compose/app.py``) is given when the command owns its process: only
    then may ``exec -T`` turn it into the runtime."""

    def __init__(self, finish: Callable[[], bool] | None = None) -> None:
        self._standby: Standby | None = None
        self._finish = finish

    def start_standby_supervisor(self, environ: Mapping[str, str]) -> None:
        """Before the event loop: a supervisor started ahead of need, for the verbs
        that may want one (``compose/supervisor/standby.py``)."""
        from compose.supervisor import standby

        self._standby = standby.spawn(environ)

    def project_known(self, environ: Mapping[str, str], project: str | None) -> None:
        """A standby started ahead is let go when the project's supervisor runs;
        without one, one is started now unless it runs."""
        from common.paths import Layout
        from compose.supervisor.daemon import running_pid

        if project and running_pid(Layout.from_environ(environ), project) is not None:
            if self._standby is not None:
                self._standby.dismiss()
        elif self._standby is None:
            self.start_standby_supervisor(environ)

    def prepare_networks(self, *, many: bool) -> None:
        """The netlink worker forked now (``network/netlinkworker.py``): before the
        file is loaded where pyroute2 is not imported yet, to import it meanwhile;
        where it is (a fork server's child), only when asked for ``many`` links (the
        CLI asks once the file says there are several services).  A ``down`` right
        after ``up`` measured the same with the worker or without (104-107 against
        107-117 ms, 20 rounds each)."""
        from network import netlinkworker

        if many or not netlinkworker.library_loaded():
            netlinkworker.start()

    async def connect(self, output: Reporter, environ: Mapping[str, str]) -> Context:
        # Imported here: verbs that need no backend (config, version) start faster.
        from common import faults, trace
        from common.paths import Layout
        from compose.engine.context import Context
        from compose.supervisor.daemon import ProjectSupervisors
        from network.driver import NetworkDriver
        from runtime.images.store import ImageStore
        from runtime.oci.containers import ContainerDriver
        from runtime.oci.runtime import OciRuntime, detect_runtime
        from volumes.driver import LocalVolumes

        require_root()
        layout = Layout.from_environ(environ)
        layout.make_private()
        store = ImageStore(layout.images)
        oci = OciRuntime(layout, await detect_runtime(layout, dict(environ)))
        backends: dict[str, Any] = {
            "containers": ContainerDriver(layout, store, oci),
            "networks": NetworkDriver(layout),
            "volumes": LocalVolumes(layout),
            "images": OnFirstUse(partial(_image_service, layout, store, oci, environ)),
            "supervisors": ProjectSupervisors(layout, environ, self._standby),
        }
        if trace.enabled():  # --verbose: every operation logged with its duration
            from compose.engine.traced import Traced

            backends = {kind: Traced(backend, kind) for kind, backend in backends.items()}
        if environ.get(faults.VARIABLE):  # a test's fault injection: the Nth step fails
            from compose.engine.faulty import Faulty

            faults.arm(environ)
            backends = {kind: Faulty(backend, kind) for kind, backend in backends.items()}
        return Context(layout=layout, output=output, environ=dict(environ),
                       runtime=oci.runtime.path, **backends)

    def exec_now(self, environ: Mapping[str, str], project: str, service: str, index: int,
                 args: Sequence[str], *, user: str | None, env: Mapping[str, str],
                 cwd: str | None) -> None:
        from common import faults, trace
        from common.paths import Layout
        from runtime.oci import handover

        if self._finish is None or trace.enabled() or environ.get(faults.VARIABLE):
            return  # in a test's process, every operation traced, faults armed: usual way
        require_root()
        with contextlib.suppress(handover.NotHere):
            handover.exec_now(Layout.from_environ(environ), project, service, index, args,
                              user=user, env=env, cwd=cwd, finish=self._finish)

    def login(self, server: str | None, username: str, password: str,
              environ: Mapping[str, str]) -> tuple[str, str]:
        from runtime.distribution.login import login  # httpx: only when used

        return login(server, username, password, environ)

    def logout(self, server: str | None, environ: Mapping[str, str]) -> tuple[str, bool]:
        from runtime.distribution.login import logout

        return logout(server, environ)
