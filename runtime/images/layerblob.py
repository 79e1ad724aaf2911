"""Copying a layer tarball into the store while computing both of its digests.

A layer has two names: its blob digest (the bytes as stored, maybe gzip) and its
diff_id (the uncompressed tar).  ``load`` and ``import`` learn both in one pass:
the raw bytes are hashed as they are written, a gzip stream is also inflated on
the fly and the result hashed.  Synchronous.
"""

from __future__ import annotations

import bz2
import hashlib
import lzma
import zlib
from typing import IO

from common.errors import ImageError
from runtime.images.documents import MEDIA_LAYER_GZIP, MEDIA_LAYER_TAR, Descriptor
from runtime.images.store import ImageStore, Readable

_CHUNK = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"


class _Tee:
    """A readable stream that hashes the raw bytes and, for gzip, the inflated ones."""

    def __init__(self, stream: Readable, gzipped: bool, head: bytes) -> None:
        self._stream = stream
        self._head = head
        self._inflate = zlib.decompressobj(wbits=31) if gzipped else None
        self.diff = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        if self._head:
            data, self._head = self._head, b""
        else:
            data = self._stream.read(size if size > 0 else _CHUNK)
        if self._inflate is None:
            self.diff.update(data)
        else:
            self._feed(data)
        return data

    def _feed(self, data: bytes) -> None:
        assert self._inflate is not None
        while data:
            try:
                self.diff.update(self._inflate.decompress(data))
            except zlib.error as exc:
                raise ImageError(f"layer is not valid gzip: {exc}") from None
            data = self._inflate.unused_data
            if self._inflate.eof:
                self._inflate = zlib.decompressobj(wbits=31)  # concatenated members
                if data[:2] != GZIP_MAGIC:
                    break  # trailing padding, as gzip(1) ignores it


def store_layer(store: ImageStore, stream: IO[bytes]) -> tuple[Descriptor, str]:
    """Store a layer (plain or gzip tar) as it is; bzip2 and xz are decompressed
    first (OCI has no media type for them).  Returns its descriptor and diff_id."""
    head = stream.read(6)
    source: Readable = stream
    if head.startswith(b"BZh"):
        source, head = _Decompressing(bz2.BZ2Decompressor(), head, stream), b""
    elif head.startswith(b"\xfd7zXZ\x00"):
        source, head = _Decompressing(lzma.LZMADecompressor(), head, stream), b""
    gzipped = head.startswith(GZIP_MAGIC)
    tee = _Tee(source, gzipped, head)
    descriptor = store.put_stream(tee, MEDIA_LAYER_GZIP if gzipped else MEDIA_LAYER_TAR)
    return descriptor, "sha256:" + tee.diff.hexdigest()


class _Decompressing:
    """A readable stream over a bz2/lzma decompressor."""

    def __init__(self, decompressor: bz2.BZ2Decompressor | lzma.LZMADecompressor,
                 head: bytes, stream: IO[bytes]) -> None:
        self._decompressor = decompressor
        self._pending = head
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        while not self._decompressor.eof:
            data = self._pending or self._stream.read(_CHUNK)
            self._pending = b""
            if not data:
                raise ImageError("compressed tarball ends early")
            out = self._decompressor.decompress(data)
            if out:
                return out
        return b""
