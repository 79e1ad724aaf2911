"""Images as the engine and the verbs see them: what a build is asked for and
what it made, what pulls, pushes and loads yield, and the store's rows.  Plain
values, so the image backend (``runtime/``) and the CLI share them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class BuildRequest:
    """One image to build, as the engine reads it from a service's ``build:``."""

    label: str
    """What progress lines are prefixed with (the service name)."""
    context: Path
    dockerfile: str = "Dockerfile"
    dockerfile_inline: str | None = None
    args: Mapping[str, str] = field(default_factory=dict)
    target: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    no_cache: bool = False
    pull: bool = False
    network: str = "default"
    extra_hosts: tuple[tuple[str, str], ...] = ()
    shm_size: int | None = None
    secrets: Mapping[str, str] = field(default_factory=dict)
    """Secret id to host file, for ``RUN --mount=type=secret``."""
    platforms: tuple[str, ...] = ()


@dataclass(frozen=True)
class CommitRequest:
    """A container's writable layer to make an image of (``commit``)."""

    upper: str
    """The container's overlay upper directory."""
    base: str
    """Its image's ID."""
    name: str | None = None
    """``REPOSITORY[:TAG]``; None leaves the image without a name (dangling)."""
    changes: tuple[str, ...] = ()
    """Dockerfile instructions applied to the config (``-c``)."""
    message: str = ""
    author: str = ""
    created_by: str = ""
    """What made the layer (the container's command), for the history entry."""
    container_config: Mapping[str, Any] | None = None
    """The container's own config as ``inspect`` shows it (``Config``): what
    ``docker commit`` makes the image's runtime config, before ``changes``."""


@dataclass(frozen=True)
class BuildResult:
    image_id: str
    manifest_digest: str
    tags: tuple[str, ...]
    cached_steps: int
    steps: int


BasePuller = Callable[[str, str | None], Awaitable[None]]
"""How a build pulls a base image it lacks (or ``pull: true`` refreshes): the
image's name and platform (``os/arch[/variant]``, None for the host's)."""


@dataclass(frozen=True)
class LocalImage:
    """A name's entry in the local store: what pull policies ask about it."""

    name: str | None
    """The full reference it is tagged as (None for an image found by ID, dangling)."""
    manifest_digest: str
    tagged: float | None = None
    """When the name was last pointed at it (docker's LastTagTime)."""


@dataclass(frozen=True)
class PulledImage:
    name: str
    """Its familiar name (``busybox:latest``), as docker prints it."""
    image_id: str
    manifest_digest: str


@dataclass(frozen=True)
class PushedImage:
    """The manifest (or index) a push put under the image's tag."""

    digest: str
    size: int


@dataclass(frozen=True)
class LoadedImage:
    """One image an archive held: its names (none if untagged) and its ID."""

    names: tuple[str, ...]
    image_id: str


@dataclass(frozen=True)
class ImageRow:
    """One line of ``images``: a name (``<none>`` when dangling) and its image."""

    repository: str
    tag: str
    image_id: str
    created: str  # RFC 3339 from the image config, or ""
    size: int
    digest: str = "<none>"


@dataclass(frozen=True)
class Pruned:
    """What ``image prune`` did: docker's ``untagged:``/``deleted:`` lines and the
    bytes freed."""

    lines: tuple[str, ...]
    freed: int
