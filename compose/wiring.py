"""Wiring: the real backends, built once per command by the CLI."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from common.errors import ImageError, UsageError
from common.paths import Layout
from common.records import ContainerRecord
from compose.cli.console import Output
from network.driver import NetworkDriver
from runtime.images.store import ImageStore
from runtime.oci.containers import ContainerDriver
from runtime.oci.runtime import OciRuntime, detect_runtime
from volumes.driver import LocalVolumes


@dataclass
class Context:
    layout: Layout
    store: ImageStore
    oci: OciRuntime
    containers: ContainerDriver
    networks: NetworkDriver
    output: Output
    environ: Mapping[str, str]
    volumes: LocalVolumes
    _image_configs: dict[str, Mapping[str, Any]] = field(default_factory=dict)

    def image_config(self, record: ContainerRecord) -> Mapping[str, Any]:
        """The ``config`` section of a container's image (health check, stop signal),
        read from the store by the image's config digest; empty if it is gone."""
        cached = self._image_configs.get(record.image_id)
        if cached is None:
            try:
                document = json.loads(self.store.read_blob(record.image_id))
            except (ImageError, ValueError):
                document = {}
            section = document.get("config") if isinstance(document, dict) else None
            cached = self._image_configs[record.image_id] = \
                section if isinstance(section, dict) else {}
        return cached


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
        volumes=LocalVolumes(layout),
    )
