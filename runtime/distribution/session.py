"""One command's registry session as the engine sees it (``ImageTransfers``):
``Transfers`` with names and platforms as text in, plain values out."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager

from common.images import PulledImage, PushedImage
from common.progress import TransferReporter
from runtime.distribution.transfers import Transfers, Unpacker, open_transfers
from runtime.images.documents import parse_platform
from runtime.images.store import ImageStore


class RegistrySession:
    def __init__(self, transfers: Transfers) -> None:
        self.transfers = transfers

    async def pull(self, name: str, platform: str | None = None,
                   label: str | None = None) -> PulledImage:
        target = parse_platform(platform) if platform else None
        image = await self.transfers.pull(name, target, label)
        return PulledImage(image.reference.familiar, image.id, image.manifest_digest)

    async def push(self, name: str, label: str | None = None) -> PushedImage:
        pushed = await self.transfers.push(name, label)
        return PushedImage(pushed.digest, pushed.size)


    async def push_document(self, name: str, blobs: Sequence[bytes], manifest: bytes,
                            media_type: str) -> PushedImage:
        pushed = await self.transfers.push_document(name, blobs, manifest, media_type)
        return PushedImage(pushed.digest, pushed.size)

    async def pin(self, name: str) -> str:
        return await self.transfers.pin(name)


@asynccontextmanager
async def open_session(store: ImageStore, environ: Mapping[str, str],
                       report: TransferReporter, unpack: Unpacker | None = None,
                       ) -> AsyncIterator[RegistrySession]:
    async with open_transfers(store, environ, report, unpack=unpack) as transfers:
        yield RegistrySession(transfers)
