"""What every part of the conversion shares: options, warnings, the host seam."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from common.errors import PycomposeError

Manifest = dict[str, Any]

SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer")
PART_OF = "app.kubernetes.io/part-of"
MANAGED_BY = "app.kubernetes.io/managed-by"
SERVICE_LABEL = "pycompose.io/service"
NETWORK_LABEL_PREFIX = "network.pycompose.io/"


class ConvertError(PycomposeError):
    """The project cannot be converted (for example a service with no image)."""


class Host(Protocol):
    """What the conversion reads from the machine: bind sources, secret and config
    files, and the variables ``secrets.*.environment`` names."""

    def kind(self, path: str) -> str | None:
        """``"file"``, ``"dir"``, or ``None`` when nothing is there."""

    def read(self, path: str) -> bytes: ...

    def variable(self, name: str) -> str | None: ...


@dataclass(frozen=True)
class ConvertOptions:
    namespace: str | None = None
    service_type: str = "ClusterIP"
    image_prefix: str | None = None
    scale: Mapping[str, int] = field(default_factory=dict)
    wait_image: str = "busybox:1.36"
    kubectl_image: str = "registry.k8s.io/kubectl:v1.33.0"
    cluster_domain: str = "cluster.local"
    explicit_env: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Per service, the variables its ``environment`` sets itself; the rest of its
    environment came from ``env_file`` and goes to a ConfigMap."""


@dataclass
class Notes:
    """Warnings, in the order they were found; one line each."""

    lines: list[str] = field(default_factory=list)

    def warn(self, service: str | None, key: str, message: str) -> None:
        where = f"services.{service}.{key}" if service else key
        line = f"{where}: {message}"
        if line not in self.lines:
            self.lines.append(line)


def obj(api: str, kind: str, name: str, project: str, options: ConvertOptions,
        labels: Mapping[str, str] | None = None) -> Manifest:
    """A Kubernetes object's head: apiVersion, kind and metadata."""
    metadata: dict[str, Any] = {
        "name": name,
        "labels": {PART_OF: project, MANAGED_BY: "pycompose", **(labels or {})},
    }
    if options.namespace:
        metadata["namespace"] = options.namespace
    return {"apiVersion": api, "kind": kind, "metadata": metadata}
