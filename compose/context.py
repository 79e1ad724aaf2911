"""Wiring: the real backends, built once per command by the CLI."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from compose.console import Output
from compose.errors import UsageError
from compose.paths import Layout
from network.driver import NetworkDriver
from runtime.containers import ContainerDriver
from runtime.oci import OciRuntime, detect_runtime
from runtime.store import ImageStore


@dataclass
class Context:
    layout: Layout
    store: ImageStore
    oci: OciRuntime
    containers: ContainerDriver
    networks: NetworkDriver
    output: Output
    environ: Mapping[str, str]


def require_root() -> None:
    if os.geteuid() != 0:
        raise UsageError("pycompose must run as root (rootless mode is not supported yet)")


async def open_context(output: Output, environ: Mapping[str, str] | None = None) -> Context:
    require_root()
    layout = Layout.from_environ(environ)
    store = ImageStore(layout.images)
    oci = OciRuntime(layout, await detect_runtime(layout, dict(environ or os.environ)))
    return Context(
        layout=layout,
        store=store,
        oci=oci,
        containers=ContainerDriver(layout, store, oci),
        networks=NetworkDriver(layout),
        output=output,
        environ=dict(os.environ if environ is None else environ),
    )
