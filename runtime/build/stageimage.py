"""A stage's image, out of the store and back into it: the state a ``FROM`` starts
from (an image in the store, pulled first when asked or missing, or ``scratch``),
and the image the target stage is written as (config, manifest, tags).  History
times come from the steps (or the cache), so a rebuild yields the same image ID.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import trio

from common.errors import BuildError, ImageError
from runtime.build.stages import StageState
from runtime.images.documents import (
    MEDIA_CONFIG,
    MEDIA_MANIFEST,
    Descriptor,
    Platform,
    canonical_json,
    oci_manifest,
)
from runtime.images.reference import InvalidReference, parse_reference
from runtime.images.store import Entry, ImageStore

Puller = Callable[[str, Platform | None], Awaitable[None]]


def now() -> str:
    """A history time, as Docker writes it."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def created_time(state: StageState) -> str:
    """The time of the stage's last history entry (a config step takes it too)."""
    history = state.image.get("history") or []
    if history:
        return str(history[-1].get("created", ""))
    # a config-only stage on scratch: a fixed time keeps rebuilds identical
    return str(state.image.get("created", "")) or "1970-01-01T00:00:00Z"


def scratch(platform: Platform) -> StageState:
    """``FROM scratch``: no layers, an empty config, keyed by the platform."""
    state = StageState({"architecture": platform.architecture, "os": platform.os,
                        "config": {}, "rootfs": {"type": "layers", "diff_ids": []},
                        "history": []}, [], key="")
    state.chain("scratch", str(platform))
    return state


@dataclass(frozen=True)
class BaseImages:
    """Where ``FROM`` images (and ``--from`` images) come from: the store, after a
    pull when the image is missing or the build asks for fresh ones."""

    store: ImageStore
    pull: Puller | None
    refresh: bool
    """``build.pull``: pull even an image the store has (a failure then only warns)."""
    platform: Platform
    label: str
    warn: Callable[[str], None]

    async def load(self, name: str) -> StageState:
        """The image as a stage state, keyed by its manifest digest."""
        try:
            familiar = parse_reference(name).familiar
        except InvalidReference as exc:
            raise BuildError(f"service {self.label}: FROM {name}: {exc}") from None
        entry = await trio.to_thread.run_sync(self.store.find, name)
        if entry is None or self.refresh:
            entry = await self._pulled(name, familiar, entry)
        image = await trio.to_thread.run_sync(self.store.image, entry)
        document = json.loads(json.dumps(image.config))
        document.setdefault("config", {})
        document.setdefault("history", [])
        state = StageState(document, [(layer.descriptor.as_json(), layer.diff_id)
                                      for layer in image.layers])
        state.chain("image", image.manifest_digest)
        return state

    async def _pulled(self, name: str, familiar: str, entry: Entry | None) -> Entry:
        if self.pull is None:
            if entry is None:
                raise BuildError(f"service {self.label}: base image {familiar} is not in "
                                 "the local store")
        else:
            try:
                await self.pull(name, self.platform)
            except ImageError as exc:
                if entry is None:
                    raise BuildError(f"service {self.label}: base image {familiar}: "
                                     f"{exc}") from None
                self.warn(f"[Warning] cannot pull {familiar} ({exc}): using the image in "
                          "the store")
        found = await trio.to_thread.run_sync(self.store.find, name)
        if found is None:
            raise BuildError(f"service {self.label}: base image {familiar} is not in the "
                             "local store")
        return found


def write_image(store: ImageStore, state: StageState, platform: Platform,
                labels: Mapping[str, str], tags: Sequence[str],
                label: str) -> tuple[Descriptor, Descriptor]:
    """Store the stage as an image and tag it (or leave it dangling); its config's
    and manifest's descriptors.  Synchronous."""
    image = json.loads(json.dumps(state.image))
    if labels:
        config = image.setdefault("config", {})
        config["Labels"] = {**(config.get("Labels") or {}), **labels}
    history = image.get("history") or []
    image["created"] = history[-1]["created"] if history else created_time(state)
    image["rootfs"] = {"type": "layers", "diff_ids": [d for _, d in state.layers]}
    image["architecture"], image["os"] = platform.architecture, platform.os
    if platform.variant:
        image["variant"] = platform.variant
    config_desc = store.put_blob(canonical_json(image), MEDIA_CONFIG)
    layers = [Descriptor(d["mediaType"], d["digest"], d["size"]) for d, _ in state.layers]
    manifest = store.put_blob(oci_manifest(config_desc, layers), MEDIA_MANIFEST)
    for tag in tags:
        try:
            store.tag(parse_reference(tag), manifest)
        except InvalidReference as exc:
            raise BuildError(f"service {label}: tag {tag!r}: {exc}") from None
    if not tags:
        store.add_dangling(manifest)
    return config_desc, manifest
