"""The engine's ``ImageBackend``: the image store, registries, archives and builds
behind one object, as the engine and the verbs see them.

Store work is synchronous and runs in worker threads.  The registry client
(httpx), the builder and the archive code are imported when first used: every
command that needs root builds this object, and most never pull or build.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from functools import partial
from typing import TYPE_CHECKING, Any

import trio

from common.concurrency import run_all
from common.errors import ImageError
from common.images import (
    BasePuller,
    BuildRequest,
    BuildResult,
    CommitRequest,
    ImageRow,
    LoadedImage,
    LocalImage,
    Pruned,
)
from common.paths import Layout
from common.progress import BuildReporter, TransferReporter
from runtime.images import operations
from runtime.images.store import ImageStore, Layer
from runtime.oci import rootfs
from runtime.oci.runtime import OciRuntime

if TYPE_CHECKING:
    from runtime.distribution.session import RegistrySession
    from runtime.images.documents import Platform


class ImageService:
    def __init__(self, layout: Layout, store: ImageStore, oci: OciRuntime,
                 environ: Mapping[str, str]) -> None:
        self.layout = layout
        self.store = store
        self.oci = oci
        self.environ = environ
        self._unpacking: dict[str, trio.Lock] = {}
        self._unpackers = trio.CapacityLimiter(os.cpu_count() or 1)

    async def unpack(self, layer: Layer) -> None:
        """Unpack ``layer`` now (pull and import do, per layer, in parallel), so
        the first container made from it does not wait for it."""
        async with self._unpacking.setdefault(layer.diff_id, trio.Lock()):
            await trio.to_thread.run_sync(rootfs.ensure_layer, self.store, self.layout.layers,
                                          layer, limiter=self._unpackers)

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

    async def find(self, reference: str) -> LocalImage | None:
        return await trio.to_thread.run_sync(operations.find, self.store, reference)

    async def rows(self, wanted: str | None = None) -> list[ImageRow]:
        return await trio.to_thread.run_sync(operations.rows, self.store, wanted)

    async def inspect(self, names: Sequence[str]) -> list[dict[str, Any]]:
        return await trio.to_thread.run_sync(operations.inspect_names, self.store, list(names))

    async def tag(self, source: str, target: str) -> None:
        await trio.to_thread.run_sync(operations.tag, self.store, source, target)

    async def remove(self, names: Sequence[str], force: bool) -> list[str]:
        return await trio.to_thread.run_sync(operations.remove_names, self.store, self.layout,
                                             list(names), force)

    async def prune(self, all_images: bool) -> Pruned:
        return await trio.to_thread.run_sync(operations.prune, self.store, self.layout,
                                             all_images)

    @asynccontextmanager
    async def transfers(self, report: TransferReporter) -> AsyncIterator[RegistrySession]:
        from runtime.distribution.session import open_session  # httpx: only when used

        async with open_session(self.store, self.environ, report, self.unpack) as session:
            yield session

    async def build(self, request: BuildRequest, report: BuildReporter,
                    pull: BasePuller | None = None) -> BuildResult:
        from runtime.build.builder import Builder

        async def pull_base(name: str, platform: Platform | None) -> None:
            assert pull is not None
            await pull(name, str(platform) if platform else None)

        builder = Builder(self.layout, self.store, self.oci.runtime, report,
                          pull_base if pull is not None else None)
        return await builder.build(request)

    async def load(self, path: str | None) -> list[LoadedImage]:
        from runtime.images.fileio import load_file

        return await trio.to_thread.run_sync(load_file, self.store, path)

    async def save(self, names: Sequence[str], path: str | None) -> None:
        from runtime.images.fileio import save_file

        await trio.to_thread.run_sync(save_file, self.store, list(names), path)

    async def import_rootfs(self, path: str, name: str | None, changes: Sequence[str],
                            message: str, platform: str | None) -> str:
        from runtime.build.importer import import_file

        image_id = await trio.to_thread.run_sync(partial(
            import_file, self.store, path, name, list(changes), message, platform))
        image = await trio.to_thread.run_sync(self.store.resolve, image_id)
        try:
            await run_all(partial(self.unpack, layer) for layer in image.layers)
        except ImageError:
            # as docker import: a layer that cannot be unpacked leaves no image
            await self.remove([image_id], True)
            raise
        return image_id

    async def commit(self, request: CommitRequest) -> str:
        from runtime.build.commit import commit
        from runtime.images.fileio import one_line

        image_id = await trio.to_thread.run_sync(one_line, "commit",
                                                 partial(commit, self.store, request))
        image = await trio.to_thread.run_sync(self.store.resolve, image_id)
        await self.unpack(image.layers[-1])
        return image_id

    async def bootstrap(self, name: str) -> str:
        from runtime.images.bootstrap import bootstrap_busybox

        return await trio.to_thread.run_sync(bootstrap_busybox, self.store, name)
