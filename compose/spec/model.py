"""The Compose model: what a project asks for, as immutable values.

The loader builds these from YAML; planners, the supervisor and the backends only
read them.  This module imports nothing but the standard library, so every other
part of pycompose may depend on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

DEFAULT_NETWORK = "default"


def frozen_map(items: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> Mapping[str, str]:
    """A read-only mapping, so a frozen dataclass is frozen all the way down."""
    return MappingProxyType(dict(items))


@dataclass(frozen=True)
class Dependency:
    """One entry of ``depends_on`` in long form."""

    condition: str = "service_started"
    required: bool = True
    restart: bool = False


@dataclass(frozen=True)
class Hook:
    """One ``post_start`` or ``pre_stop`` entry: a process run inside the running
    container, as ``exec`` runs one (unset fields: the container's own)."""

    command: tuple[str, ...]
    user: str | None = None
    privileged: bool = False
    working_dir: str | None = None
    environment: Mapping[str, str] = field(default_factory=frozen_map)
    """Added to the container's environment (bare keys left out)."""


@dataclass(frozen=True)
class Service:
    """One service of a project, in canonical (long) form."""

    name: str
    image: str
    command: tuple[str, ...] | None = None
    """``None``: the image's Cmd; ``()``: explicitly empty."""
    entrypoint: tuple[str, ...] | None = None
    environment: Mapping[str, str] = field(default_factory=frozen_map)
    depends_on: Mapping[str, Dependency] = field(default_factory=lambda: MappingProxyType({}))
    networks: tuple[str, ...] = (DEFAULT_NETWORK,)
    container_name: str | None = None
    hostname: str | None = None
    working_dir: str | None = None
    user: str | None = None
    stop_signal: str | None = None
    stop_grace_period: float = 10.0
    labels: Mapping[str, str] = field(default_factory=frozen_map)
    mounts: tuple[Mount, ...] = ()
    """``volumes`` in long form (``tmpfs:`` stays in ``canonical``)."""
    volumes_from: tuple[str, ...] = ()
    files: tuple[FileGrant, ...] = ()
    """Granted ``secrets`` and ``configs``."""
    post_start: tuple[Hook, ...] = ()
    """Run in order right after each start; the first to fail fails the start."""
    pre_stop: tuple[Hook, ...] = ()
    """Run in order before each stop signal; a failure is only reported."""
    canonical: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    """The service's canonical form (what ``config`` prints), for backends that act
    on keys the fields above do not spell out."""


@dataclass(frozen=True)
class IpamConfig:
    """One entry of a network's ``ipam.config``: a subnet and what is reserved in it."""

    subnet: str | None = None
    gateway: str | None = None
    ip_range: str | None = None
    aux_addresses: Mapping[str, str] = field(default_factory=frozen_map)


@dataclass(frozen=True)
class Network:
    """A network of the project; ``name`` is the kernel-facing name (``<project>_<key>``).

    ``external`` networks belong to someone else: looked up by ``name``, never made
    or removed by this project."""

    key: str
    name: str
    external: bool = False
    internal: bool = False
    enable_ipv6: bool = False
    attachable: bool = False
    labels: Mapping[str, str] = field(default_factory=frozen_map)
    driver_opts: Mapping[str, str] = field(default_factory=frozen_map)
    ipam: tuple[IpamConfig, ...] = ()


@dataclass(frozen=True)
class Volume:
    """A named volume of the project; ``name`` is the store's name (``<project>_<key>``
    unless ``name:``).  ``external`` volumes are looked up, never made or removed."""

    key: str
    name: str
    external: bool = False
    driver: str = "local"
    driver_opts: Mapping[str, str] = field(default_factory=frozen_map)
    labels: Mapping[str, str] = field(default_factory=frozen_map)


@dataclass(frozen=True)
class Mount:
    """One entry of a service's ``volumes`` in long form, resolved against the
    top-level definitions.  ``type``: ``volume``, ``bind`` or ``tmpfs``; a volume
    with no ``volume`` definition is anonymous."""

    type: str
    target: str
    source: str = ""
    """The host path of a bind; the volume's key for a named volume."""
    read_only: bool = False
    volume: Volume | None = None
    nocopy: bool = False
    subpath: str = ""
    create_host_path: bool = False
    propagation: str = ""
    selinux: str = ""
    recursive: str = ""
    tmpfs_size: int | None = None
    tmpfs_mode: int | None = None


@dataclass(frozen=True)
class FileGrant:
    """A secret or config granted to a service: where it appears and how, and
    where its content comes from (``file``, ``environment`` or ``content``, one of
    them; ``value`` is the environment variable's value when it was set)."""

    kind: str  # "secret" | "config"
    key: str
    target: str
    uid: str = ""
    gid: str = ""
    mode: int | None = None
    file: str | None = None
    environment: str | None = None
    content: str | None = None
    external: bool = False


@dataclass(frozen=True)
class Project:
    name: str
    working_dir: str
    config_files: tuple[str, ...]
    services: Mapping[str, Service]
    networks: Mapping[str, Network]
    volumes: Mapping[str, Volume] = field(default_factory=lambda: MappingProxyType({}))
    secret_files: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Top-level ``secrets:`` backed by a file: name -> absolute path (for builds)."""

    def service(self, name: str) -> Service:
        return self.services[name]

    def with_selected_services(self, names: Iterable[str]) -> Project:
        """A copy narrowed to ``names`` (already validated by the caller)."""
        wanted = set(names)
        return replace(
            self,
            services=MappingProxyType(
                {n: s for n, s in self.services.items() if n in wanted}
            ),
        )
