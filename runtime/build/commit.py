"""``commit``: a container's writable layer (its overlay upper directory) as a new
image: the layer on top of its image's layers, the image's config with
``--change`` applied (Dockerfile instructions, read as ``import`` reads them) and
one more history entry.  It lives with the builder for those instructions.
Synchronous; run from a worker thread while the container is paused.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import tempfile
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from common.images import CommitRequest
from runtime.build.importer import apply_changes
from runtime.images.documents import (
    MEDIA_LAYER_GZIP,
)
from runtime.images.store import ImageStore, Layer, new_image_name
from runtime.images.treetar import write_tree

IMAGE_KEYS = ("User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "WorkingDir", "Labels",
              "StopSignal", "Healthcheck")
"""What of a container's config ``docker commit`` carries into the image's: how the
container ran (its environment, command, user, labels...) becomes the image's."""


def from_container(container: Mapping[str, Any]) -> dict[str, Any]:
    """The image config keys of a container's config, empty values left out."""
    return {key: container[key] for key in IMAGE_KEYS if container.get(key)}


def commit_config(base: dict[str, Any], diff_id: str, request: CommitRequest,
                  now: float) -> dict[str, Any]:
    """The new image's config (pure): the base's, one layer and one history entry
    more, ``--change`` applied to its runtime config."""
    config: dict[str, Any] = json.loads(json.dumps(base))  # a deep copy
    created = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    runtime = config.get("config")
    runtime = dict(runtime) if isinstance(runtime, dict) else {}
    runtime.update(from_container(request.container_config or {}))
    config["config"] = apply_changes(runtime, request.changes)
    config["created"] = created
    if request.author:
        config["author"] = request.author
    rootfs = config.get("rootfs")
    diff_ids = rootfs.get("diff_ids", []) if isinstance(rootfs, dict) else []
    config["rootfs"] = {"type": "layers", "diff_ids": [*diff_ids, diff_id]}
    entry: dict[str, Any] = {"created": created, "created_by": request.created_by}
    if request.author:
        entry["author"] = request.author
    if request.message:
        entry["comment"] = request.message
    config["history"] = [*(config.get("history") or []), entry]
    return config


def commit(store: ImageStore, request: CommitRequest, *, now: float | None = None) -> str:
    """Store the container's change as an image; returns the image ID."""
    reference = new_image_name(request.name, "commit")
    with store.lock(exclusive=False):
        base = store.resolve(request.base)
        apply_changes(base.runtime_config, request.changes)  # refused before any work
        layer = _store_layer(store, request.upper)
        config = commit_config(base.config, layer.diff_id, request,
                               time.time() if now is None else now)
        layers = [lay.descriptor for lay in base.layers] + [layer.descriptor]
        image = store.put_image(config, layers, reference)
    return image.digest


def _store_layer(store: ImageStore, upper: str) -> Layer:
    """The upper directory as a gzip layer blob (through a temporary file, as the
    blob's digest is known only at its end)."""
    store.path.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".commit-", dir=store.path)
    try:
        with os.fdopen(fd, "w+b") as handle:
            with gzip.GzipFile(fileobj=handle, mode="wb", mtime=0, compresslevel=1) as gz:
                diff_id = write_tree(upper, gz, whiteouts=True)  # type: ignore[arg-type]
            handle.seek(0)
            descriptor = store.put_stream(handle, MEDIA_LAYER_GZIP)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
    return Layer(descriptor, diff_id)
