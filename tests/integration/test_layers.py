"""runtime/oci/rootfs.ensure_layer on real blobs: a gzip layer is decompressed on
a second thread and checked against its diff_id, a plain one is copied from its
blob in place; whatever fails leaves no half-unpacked directory (needs root)."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest

from common.errors import ImageError
from runtime.images.documents import MEDIA_LAYER_GZIP
from runtime.images.store import MEDIA_LAYER_TAR, ImageStore, Layer, sha256_digest
from runtime.oci.rootfs import ensure_layer


def layer_tar(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


FILES = {"etc/hostname": b"box\n", "bin/big": bytes(range(256)) * 20000, "empty": b""}


@pytest.fixture
def store(tmp_path: Path) -> ImageStore:
    return ImageStore(tmp_path / "images")


def stored(store: ImageStore, data: bytes, media_type: str, diff_id: str) -> Layer:
    return Layer(store.put_stream(io.BytesIO(data), media_type), diff_id)


def left_in(layers: Path) -> list[str]:
    return sorted(p.name for p in layers.iterdir()) if layers.exists() else []


@pytest.mark.parametrize("media_type", [MEDIA_LAYER_GZIP, MEDIA_LAYER_TAR])
def test_a_layer_is_unpacked_once_with_its_content(store: ImageStore, tmp_path: Path,
                                                   media_type: str) -> None:
    plain = layer_tar(FILES)
    blob = gzip.compress(plain) if media_type == MEDIA_LAYER_GZIP else plain
    layer = stored(store, blob, media_type, sha256_digest(plain))
    target = ensure_layer(store, tmp_path / "layers", layer)
    assert {name: (target / name).read_bytes() for name in FILES} == FILES
    assert ensure_layer(store, tmp_path / "layers", layer) == target
    assert left_in(tmp_path / "layers") == [target.name]


def test_gzip_layer_not_matching_its_diff_id_is_refused(store: ImageStore,
                                                        tmp_path: Path) -> None:
    plain = layer_tar(FILES)
    layer = stored(store, gzip.compress(plain), MEDIA_LAYER_GZIP, sha256_digest(b"other"))
    with pytest.raises(ImageError, match="does not match its diff_id"):
        ensure_layer(store, tmp_path / "layers", layer)
    assert left_in(tmp_path / "layers") == []


def test_plain_layer_whose_digest_is_not_its_diff_id_is_refused(store: ImageStore,
                                                                tmp_path: Path) -> None:
    layer = stored(store, layer_tar(FILES), MEDIA_LAYER_TAR, sha256_digest(b"other"))
    with pytest.raises(ImageError, match="does not match its diff_id"):
        ensure_layer(store, tmp_path / "layers", layer)
    assert left_in(tmp_path / "layers") == []


def test_corrupt_gzip_layer_fails_cleanly(store: ImageStore, tmp_path: Path) -> None:
    plain = layer_tar(FILES)
    compressed = bytearray(gzip.compress(plain))
    compressed[len(compressed) // 2] ^= 0xFF
    layer = stored(store, bytes(compressed), MEDIA_LAYER_GZIP, sha256_digest(plain))
    with pytest.raises(ImageError, match=r"cannot unpack layer|does not match"):
        ensure_layer(store, tmp_path / "layers", layer)
    assert left_in(tmp_path / "layers") == []


def test_gzip_layer_that_is_not_a_tarball_fails_cleanly(store: ImageStore,
                                                        tmp_path: Path) -> None:
    """The extractor stops early; the decompressing thread, blocked on a full pipe,
    is released and joined (the test would hang otherwise)."""
    junk = bytes(range(256)) * 40000
    layer = stored(store, gzip.compress(junk), MEDIA_LAYER_GZIP, sha256_digest(junk))
    with pytest.raises(ImageError, match="cannot unpack layer"):
        ensure_layer(store, tmp_path / "layers", layer)
    assert left_in(tmp_path / "layers") == []
