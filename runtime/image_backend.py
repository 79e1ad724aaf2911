"""The engine's ``ImageBackend``: the image store, registries, archives and builds
behind one object, as the engine and the verbs see them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import trio

from common.errors import ImageError
from common.paths import Layout
from runtime.images.store import ImageStore
from runtime.oci.runtime import OciRuntime


class ImageService:
    def __init__(self, layout: Layout, store: ImageStore, oci: OciRuntime,
                 environ: Mapping[str, str]) -> None:
        self.layout = layout
        self.store = store
        self.oci = oci
        self.environ = environ

    def config(self, image_id: str) -> Mapping[str, Any]:
        try:
            document = json.loads(self.store.read_blob(image_id))
        except (ImageError, ValueError):
            return {}
        section = document.get("config") if isinstance(document, dict) else None
        return section if isinstance(section, dict) else {}

    async def resolve(self, reference: str) -> tuple[str, Mapping[str, Any]]:
        image = await trio.to_thread.run_sync(self.store.resolve, reference)
        return image.id, image.runtime_config
