"""Pull and push: images between the local store and registries (trio).

``open_transfers`` opens one session per command: one ``Registry`` per host (its
token and connections shared by every image), each blob fetched at most once even
when several images share it, at most ``PARALLEL`` layers moving at a time (as
dockerd's max-concurrent-downloads).  A pull writes blobs, each verified before
it is renamed into the store, and tags the image last: an interrupted pull leaves
no name pointing at anything incomplete, and the next pull resumes its downloads.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from functools import partial
from typing import Any

import httpx
import trio

from common.concurrency import run_all
from common.errors import ImageError
from common.progress import Transfer, TransferReporter
from runtime.distribution import credentials
from runtime.distribution.progress import short_id
from runtime.distribution.registry import Registry, RegistryOptions, open_registry
from runtime.images.documents import (
    INDEX_TYPES,
    MANIFEST_TYPES,
    MAX_MANIFEST,
    Descriptor,
    Platform,
    check_config,
    config_platform,
    diff_ids,
    host_platform,
    media_type_of,
    parse_json,
    parse_manifest,
    select_manifest,
)
from runtime.images.reference import InvalidReference, Reference, parse_reference
from runtime.images.store import Image, ImageStore, Layer, sha256_digest

Unpacker = Callable[[Layer], Awaitable[None]]
PARALLEL = 3
_REPORT_INTERVAL = 0.1


class Transfers:
    """One command's registry sessions; use through ``open_transfers``."""

    def __init__(self, store: ImageStore, environ: Mapping[str, str], report: TransferReporter,
                 stack: AsyncExitStack, transport: httpx.AsyncBaseTransport | None,
                 unpack: Unpacker | None = None) -> None:
        self.store = store
        self.unpack = unpack
        self.environ = environ
        self.report = report
        self.options = RegistryOptions.from_environ(environ)
        self._stack = stack
        self._transport = transport
        self._registries: dict[str, Registry] = {}
        self._opening: dict[str, trio.Lock] = {}
        self._blobs: dict[str, trio.Event] = {}
        self._limiter = trio.CapacityLimiter(PARALLEL)

    async def registry(self, host: str) -> Registry:
        async with self._opening.setdefault(host, trio.Lock()):
            if host not in self._registries:
                creds = await trio.to_thread.run_sync(credentials.lookup, host, self.environ)
                self._registries[host] = await self._stack.enter_async_context(
                    open_registry(host, creds, self.options, self._transport))
        return self._registries[host]

    # pull

    async def pull(self, name: str, platform: Platform | None = None,
                   label: str | None = None) -> Image:
        """Fetch ``name`` for ``platform`` (the host's by default) and tag it."""
        reference = _parse(name)
        label = label or reference.familiar
        self.report(Transfer(label, "Pulling"))
        try:
            async with _store_lock(self.store):
                image = await self._pull(reference, platform, label)
        except ImageError:
            self.report(Transfer(label, "Error", done=True, error=True))
            raise
        self.report(Transfer(label, "Pulled", done=True))
        return image

    async def _pull(self, reference: Reference, platform: Platform | None,
                    label: str) -> Image:
        registry = await self.registry(reference.registry)
        repo = reference.repository
        body, media, digest = await registry.get_manifest(repo, reference.digest
                                                          or reference.tag or "latest")
        document = parse_json(body, f"manifest of {reference.familiar}")
        kind = media_type_of(document, media)
        await trio.to_thread.run_sync(self.store.put_blob, body, kind)
        source = digest
        if kind in INDEX_TYPES:
            try:
                chosen = select_manifest(document, platform or host_platform())
            except ImageError as exc:
                raise ImageError(f"{reference.familiar}: {exc}") from None
            body, media, digest = await registry.get_manifest(repo, chosen.digest, chosen)
            document = parse_json(body, f"manifest {chosen.digest}")
            kind = media_type_of(document, chosen.media_type or media)
            if kind not in MANIFEST_TYPES:
                raise ImageError(f"{reference.familiar}: nested image indexes are not supported")
            await trio.to_thread.run_sync(self.store.put_blob, body, kind)
        manifest = parse_manifest(document)
        await self._blob(registry, repo, manifest.config, label, quiet=True)
        config = parse_json(await trio.to_thread.run_sync(
            self.store.read_blob, manifest.config.digest, MAX_MANIFEST), "image config")
        check_config(config, manifest)
        if platform is not None and config_platform(config) != platform:
            raise ImageError(f"{reference.familiar}: the registry offers "
                             f"{config_platform(config)}, not the requested {platform}")
        layers = [Layer(d, diff) for d, diff in zip(manifest.layers, diff_ids(config),
                                                     strict=True)]
        await run_all(partial(self._layer, registry, repo, layer, label)
                      for layer in dict.fromkeys(layers))
        await trio.to_thread.run_sync(
            lambda: self.store.tag(reference, Descriptor(kind, digest, len(body)),
                                   source_digest=source))
        return await trio.to_thread.run_sync(self.store.resolve, str(reference))

    async def _layer(self, registry: Registry, repo: str, layer: Layer, label: str) -> None:
        """Fetch a layer, then have it unpacked (``unpack``) while the other layers
        are still coming, so the first container does not wait for it."""
        await self._blob(registry, repo, layer.descriptor, label)
        if self.unpack is not None:
            await self.unpack(layer)

    async def _blob(self, registry: Registry, repo: str, blob: Descriptor, label: str,
                    quiet: bool = False) -> None:
        """Make sure ``blob`` is in the store, fetching it once per session."""
        layer = "" if quiet else short_id(blob.digest)
        while blob.digest in self._blobs:
            await self._blobs[blob.digest].wait()
        if self.store.has_blob(blob.digest):
            if layer:
                self.report(Transfer(label, "Already exists", layer, done=True))
            return
        done = self._blobs[blob.digest] = trio.Event()
        try:
            if layer:
                self.report(Transfer(label, "Waiting", layer, 0, blob.size))
            async with self._limiter:
                await self._fetch(registry, repo, blob, label, layer)
        finally:
            del self._blobs[blob.digest]
            done.set()
        if layer:
            self.report(Transfer(label, "Pull complete", layer, blob.size, blob.size, done=True))

    async def _fetch(self, registry: Registry, repo: str, blob: Descriptor, label: str,
                     layer: str) -> None:
        ingest = self.store.ingest(blob)
        while True:  # another pycompose may be downloading the same blob
            try:
                await trio.to_thread.run_sync(ingest.open)
                break
            except BlockingIOError:
                await trio.sleep(0.2)
            except OSError as exc:
                raise ImageError(f"cannot write to the image store: {exc}") from None
        try:
            if self.store.has_blob(blob.digest):  # it finished while we waited
                ingest.partial.unlink(missing_ok=True)
                return
            last = 0.0

            def progress(current: int) -> None:
                nonlocal last
                now = time.monotonic()
                if layer and (now - last >= _REPORT_INTERVAL or current == blob.size):
                    last = now
                    self.report(Transfer(label, "Downloading", layer, current, blob.size))

            try:
                await registry.fetch_blob(repo, blob, ingest, progress)
            except OSError as exc:
                raise ImageError(f"cannot write {blob.digest} to the image store: "
                                 f"{exc.strerror or exc}") from None
            if layer:
                self.report(Transfer(label, "Download complete", layer, blob.size, blob.size))
        finally:
            ingest.close()

    # push

    async def push(self, name: str, label: str | None = None) -> Descriptor:
        """Push the image ``name`` names to the registry its name says; returns the
        descriptor of the manifest (or index) pushed under its tag."""
        reference = _parse(name)
        if reference.digest:
            raise ImageError(f"cannot push {name}: push a tag, not a digest")
        label = label or reference.familiar
        entry = await trio.to_thread.run_sync(self.store.entry, reference)
        if entry is None:
            raise ImageError(f"image {reference.familiar} is not in the local store")
        self.report(Transfer(label, "Pushing"))
        try:
            registry = await self.registry(reference.registry)
            async with _store_lock(self.store):
                body = await trio.to_thread.run_sync(self.store.read_blob, entry.manifest.digest,
                                                     MAX_MANIFEST)
                document = parse_json(body, f"manifest of {reference.familiar}")
                kind = media_type_of(document, entry.manifest.media_type)
                if kind in INDEX_TYPES:
                    await self._push_index(registry, reference.repository, document, label)
                else:
                    await self._push_manifest(registry, reference.repository, document,
                                              body, kind, entry.manifest.digest, label)
                await registry.put_manifest(reference.repository, reference.tag or "latest",
                                            body, kind)
        except ImageError:
            self.report(Transfer(label, "Error", done=True, error=True))
            raise
        self.report(Transfer(label, "Pushed", done=True))
        return Descriptor(kind, entry.manifest.digest, len(body))

    async def _push_index(self, registry: Registry, repo: str, index: dict[str, Any],
                          label: str) -> None:
        for child in index.get("manifests", []):
            if not self.store.has_blob(child["digest"]):
                raise ImageError(f"cannot push {label}: the index names platform "
                                 f"{child.get('platform')} whose manifest is not in the store")
            body = await trio.to_thread.run_sync(self.store.read_blob, child["digest"],
                                                 MAX_MANIFEST)
            document = parse_json(body, "manifest")
            kind = media_type_of(document, child.get("mediaType", ""))
            await self._push_manifest(registry, repo, document, body, kind, child["digest"],
                                      label)
            await registry.put_manifest(repo, child["digest"], body, kind)

    async def _push_manifest(self, registry: Registry, repo: str, document: dict[str, Any],
                             body: bytes, kind: str, digest: str, label: str) -> None:
        manifest = parse_manifest(document)
        blobs = [*manifest.layers, manifest.config]
        for blob in blobs:
            if not self.store.has_blob(blob.digest):
                raise ImageError(f"cannot push {label}: blob {blob.digest} is missing from "
                                 "the store")
        await run_all(partial(self._upload, registry, repo, blob, label, blob is manifest.config)
                   for blob in dict.fromkeys(blobs))

    async def _upload(self, registry: Registry, repo: str, blob: Descriptor, label: str,
                      quiet: bool) -> None:
        layer = "" if quiet else short_id(blob.digest)
        async with self._limiter:
            if await registry.blob_exists(repo, blob.digest):
                if layer:
                    self.report(Transfer(label, "Layer already exists", layer, done=True))
                return
            last = 0.0

            def progress(current: int) -> None:
                nonlocal last
                now = time.monotonic()
                if layer and now - last >= _REPORT_INTERVAL:
                    last = now
                    self.report(Transfer(label, "Pushing", layer, current, blob.size))

            await registry.upload_blob(repo, blob, os.fspath(self.store.blob_path(blob.digest)),
                                       progress)
        if layer:
            self.report(Transfer(label, "Pushed", layer, blob.size, blob.size, done=True))

    async def push_document(self, name: str, blobs: Sequence[bytes], manifest: bytes,
                            media_type: str) -> Descriptor:
        """Push ``blobs`` and then ``manifest`` (which names them) under the tag
        ``name`` says: an artifact that is not in the store (``publish``)."""
        reference = _parse(name)
        if reference.digest:
            raise ImageError(f"cannot push {name}: push a tag, not a digest")
        registry = await self.registry(reference.registry)
        for data in dict.fromkeys(blobs):
            blob = Descriptor("application/octet-stream", sha256_digest(data), len(data))
            if not await registry.blob_exists(reference.repository, blob.digest):
                await registry.upload_blob(reference.repository, blob, data, lambda _: None)
        await registry.put_manifest(reference.repository, reference.tag or "latest", manifest,
                                    media_type)
        return Descriptor(media_type, sha256_digest(manifest), len(manifest))

    async def pin(self, name: str) -> str:
        """``name`` in full with the digest its registry has for it now
        (``docker.io/library/busybox:latest@sha256:...``)."""
        reference = _parse(name)
        if not reference.digest:
            registry = await self.registry(reference.registry)
            _, _, digest = await registry.get_manifest(reference.repository,
                                                       reference.tag or "latest")
            reference = dataclasses.replace(reference, digest=digest)
        return str(reference)

    async def check_login(self, registry: str) -> None:
        """Authenticate against ``registry`` now (``login``): fails on bad credentials."""
        await (await self.registry(registry)).login()


@asynccontextmanager
async def open_transfers(store: ImageStore, environ: Mapping[str, str],
                         report: TransferReporter,
                         transport: httpx.AsyncBaseTransport | None = None,
                         unpack: Unpacker | None = None) -> AsyncIterator[Transfers]:
    """``unpack``, when given, is awaited for each layer once it is in the store."""
    async with AsyncExitStack() as stack:
        yield Transfers(store, environ, report, stack, transport, unpack)


def _parse(name: str) -> Reference:
    try:
        return parse_reference(name)
    except InvalidReference as exc:
        raise ImageError(str(exc)) from None


@asynccontextmanager
async def _store_lock(store: ImageStore) -> AsyncIterator[None]:
    """The store's shared lock, so garbage collection waits for this transfer."""
    fd = await trio.to_thread.run_sync(lambda: store.acquire(exclusive=False))
    try:
        yield
    finally:
        os.close(fd)
