"""runtime/images/store.py: names, dangling images, lookups by ID, garbage collection and
resumable, verified ingests."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest

from common.errors import ImageError
from runtime.images.documents import MEDIA_CONFIG, MEDIA_LAYER_GZIP, MEDIA_MANIFEST, Descriptor
from runtime.images.documents import canonical_json as cj
from runtime.images.reference import parse_reference
from runtime.images.store import ImageStore, sha256_digest


def layer(content: bytes) -> tuple[bytes, str]:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("f")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    return gzip.compress(buffer.getvalue(), mtime=0), sha256_digest(buffer.getvalue())


def image(store: ImageStore, content: bytes, name: str | None = None) -> Descriptor:
    blob, diff_id = layer(content)
    layer_desc = store.put_blob(blob, MEDIA_LAYER_GZIP)
    config = store.put_blob(cj({"architecture": "amd64", "os": "linux",
                                "created": "2024-01-01T00:00:00Z",
                                "rootfs": {"type": "layers", "diff_ids": [diff_id]}}), MEDIA_CONFIG)
    manifest = store.put_blob(cj({"schemaVersion": 2, "mediaType": MEDIA_MANIFEST,
                                  "config": config.as_json(), "layers": [layer_desc.as_json()]}),
                              MEDIA_MANIFEST)
    if name:
        store.tag(parse_reference(name), manifest, now=100.0)
    return manifest


def test_tag_and_resolve(tmp_path: Path) -> None:
    store = ImageStore(tmp_path)
    manifest = image(store, b"one", "app:1")
    resolved = store.resolve("docker.io/library/app:1")
    assert resolved.manifest_digest == manifest.digest
    entry = store.entry(parse_reference("app:1"))
    assert entry is not None and entry.tagged == 100.0
    with pytest.raises(ImageError, match="image app:2 is not in the local store"):
        store.resolve("app:2")


def test_moving_a_tag_leaves_the_old_image_dangling(tmp_path: Path) -> None:
    store = ImageStore(tmp_path)
    old = image(store, b"old", "app:1")
    new = image(store, b"new", "app:1")
    entries = store.entries()
    assert [(e.name, e.manifest.digest) for e in entries] == [
        ("docker.io/library/app:1", new.digest), (None, old.digest)]
    image(store, b"old", "app:1")  # back again: no dangling copy of it stays
    assert sorted((e.name or "", e.manifest.digest) for e in store.entries()) == sorted([
        ("docker.io/library/app:1", old.digest), ("", new.digest)])


def test_find_by_image_id_and_prefix(tmp_path: Path) -> None:
    store = ImageStore(tmp_path)
    image(store, b"one", "app:1")
    image_id = store.resolve("app:1").id
    assert store.find(image_id) is not None
    assert store.find(image_id.removeprefix("sha256:")[:12]) is not None
    entry = store.find(image_id[7:19])
    assert entry is not None and entry.name == "docker.io/library/app:1"
    assert store.find("ffffffffffff") is None


def test_find_by_pinned_digest(tmp_path: Path) -> None:
    store = ImageStore(tmp_path)
    manifest = image(store, b"one", "app:1")
    found = store.find(f"app@{manifest.digest}")
    assert found is not None and found.manifest.digest == manifest.digest


def test_collect_garbage_keeps_what_entries_need(tmp_path: Path) -> None:
    store = ImageStore(tmp_path / "images")
    image(store, b"keep", "keep:1")
    gone = image(store, b"gone", "gone:1")
    layers = tmp_path / "layers"
    kept_diff = store.resolve("keep:1").layers[0].diff_id.removeprefix("sha256:")
    for name in (kept_diff, "0" * 64, ".unpack-abc"):
        (layers / name).mkdir(parents=True)
    (tmp_path / "images" / "ingest" / ("1" * 64)).write_bytes(b"partial")
    assert store.untag("docker.io/library/gone:1")
    assert not store.untag("docker.io/library/gone:1")
    freed = store.collect_garbage(layers)
    assert freed > 0
    assert not store.has_blob(gone.digest)
    assert store.resolve("keep:1")
    assert sorted(p.name for p in layers.iterdir()) == [kept_diff]
    assert not list((tmp_path / "images" / "ingest").iterdir())


def test_put_stream_verifies(tmp_path: Path) -> None:
    store = ImageStore(tmp_path)
    data = b"x" * 3000
    expected = Descriptor("t", sha256_digest(data), len(data))
    assert store.put_stream(io.BytesIO(data), "t", expected) == expected
    with pytest.raises(ImageError, match="does not match"):
        store.put_stream(io.BytesIO(b"y" * 3000), "t", Descriptor("t", sha256_digest(b"z"), 3000))
    with pytest.raises(ImageError, match="larger than its descriptor"):
        store.put_stream(io.BytesIO(data), "t", Descriptor("t", expected.digest, 10))
    assert sorted(p.name for p in (tmp_path / "blobs" / "sha256").iterdir()) == [
        expected.digest[7:]]


def test_ingest_resumes_and_commits_only_verified_content(tmp_path: Path) -> None:
    store = ImageStore(tmp_path)
    data = bytes(range(256)) * 100
    desc = Descriptor("t", sha256_digest(data), len(data))
    first = store.ingest(desc)
    assert first.open() == 0
    first.write(data[:1000])
    first.close()
    second = store.ingest(desc)
    assert second.open() == 1000
    with pytest.raises(BlockingIOError):
        store.ingest(desc).open()  # another process is on it
    second.write(data[1000:])
    second.commit()
    second.close()
    assert store.read_blob(desc.digest) == data
    assert not second.partial.exists()

    bad = Descriptor("t", sha256_digest(b"other" * 10), 50)
    ingest = store.ingest(bad)
    ingest.open()
    ingest.write(b"x" * 50)
    with pytest.raises(ImageError, match="failed verification"):
        ingest.commit()
    ingest.close()
    assert not store.has_blob(bad.digest)
    assert ingest.partial.stat().st_size == 0


def test_corrupt_blob_is_detected(tmp_path: Path) -> None:
    store = ImageStore(tmp_path)
    manifest = image(store, b"one", "app:1")
    path = store.blob_path(manifest.digest)
    path.chmod(0o644)
    path.write_bytes(path.read_bytes() + b" ")
    with pytest.raises(ImageError, match="corrupt"):
        store.resolve("app:1")
