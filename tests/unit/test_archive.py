"""runtime/images/archive.py and runtime/images/importer.py: docker save (old and new layouts)
and OCI archives loaded and verified, save readable by both, import of rootfs
tarballs."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from common.errors import ImageError
from runtime.build.importer import import_rootfs
from runtime.images.archive import load_archive, save_archive
from runtime.images.documents import MEDIA_CONFIG, MEDIA_LAYER_TAR, MEDIA_MANIFEST, canonical_json
from runtime.images.reference import parse_reference
from runtime.images.store import ImageStore, sha256_digest


def rootfs(content: bytes, name: str = "hello.txt") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def archive(path: Path, files: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    with tarfile.open(path, "w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return path


def config_for(*layers: bytes) -> bytes:
    return json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
                       "rootfs": {"type": "layers",
                                  "diff_ids": [sha256_digest(x) for x in layers]}}).encode()


def test_legacy_docker_save_archive(tmp_path: Path) -> None:
    """Docker before 25: ``<id>/layer.tar`` (repeats as symlinks), ``<id>.json`` config."""
    one, two = rootfs(b"one"), rootfs(b"two")
    config = config_for(one, two, one)
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    manifest = [{"Config": config_name, "RepoTags": ["example/app:1", "app:latest"],
                 "Layers": ["aaa/layer.tar", "bbb/layer.tar", "ccc/layer.tar"]}]
    path = archive(tmp_path / "legacy.tar", {
        "aaa/layer.tar": one, "bbb/layer.tar": gzip.compress(two), config_name: config,
        "manifest.json": json.dumps(manifest).encode(), "repositories": b"{}"},
        links={"ccc/layer.tar": "../aaa/layer.tar"})
    store = ImageStore(tmp_path / "store")
    loaded = load_archive(store, str(path))
    assert [(x.names, x.image_id) for x in loaded] == [
        (("example/app:1", "app:latest"), sha256_digest(config))]
    image = store.resolve("example/app:1")
    assert image.id == sha256_digest(config)
    assert [layer.diff_id for layer in image.layers] == [sha256_digest(one), sha256_digest(two),
                                                         sha256_digest(one)]
    assert image.layers[1].descriptor.media_type.endswith("tar+gzip")
    assert store.resolve("app").id == image.id


def test_docker_save_layer_not_matching_its_diff_id_is_refused(tmp_path: Path) -> None:
    config = config_for(rootfs(b"declared"))
    path = archive(tmp_path / "bad.tar", {
        "c.json": config, "l/layer.tar": rootfs(b"actual"),
        "manifest.json": json.dumps([{"Config": "c.json", "RepoTags": ["x:1"],
                                      "Layers": ["l/layer.tar"]}]).encode()})
    store = ImageStore(tmp_path / "store")
    with pytest.raises(ImageError, match="does not match the diff_id"):
        load_archive(store, str(path))
    assert store.find("x:1") is None


def oci_archive(tmp_path: Path, *, annotations: dict[str, str], tamper: bool = False) -> Path:
    layer = rootfs(b"oci")
    config = config_for(layer)
    manifest = canonical_json({
        "schemaVersion": 2, "mediaType": MEDIA_MANIFEST,
        "config": {"mediaType": MEDIA_CONFIG, "digest": sha256_digest(config),
                   "size": len(config)},
        "layers": [{"mediaType": MEDIA_LAYER_TAR, "digest": sha256_digest(layer),
                    "size": len(layer)}]})
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": MEDIA_MANIFEST, "digest": sha256_digest(manifest), "size": len(manifest),
        "annotations": annotations}]}
    blobs = {sha256_digest(b): b for b in (layer, config, manifest)}
    if tamper:
        blobs[sha256_digest(layer)] = rootfs(b"evil")
    return archive(tmp_path / "oci.tar.bz2", {
        "oci-layout": b'{"imageLayoutVersion":"1.0.0"}', "index.json": json.dumps(index).encode(),
        **{f"blobs/sha256/{d[7:]}": b for d, b in blobs.items()}})


def test_oci_archive_names(tmp_path: Path) -> None:
    path = oci_archive(tmp_path, annotations={
        "io.containerd.image.name": "registry.example/team/app:3",
        "org.opencontainers.image.ref.name": "3"})
    path.write_bytes(bz2.compress(path.read_bytes()))
    store = ImageStore(tmp_path / "store")
    loaded = load_archive(store, str(path))
    assert loaded[0].names == ("registry.example/team/app:3",)
    assert store.resolve("registry.example/team/app:3").id == loaded[0].image_id


def test_oci_archive_with_a_bare_tag_loads_untagged(tmp_path: Path) -> None:
    store = ImageStore(tmp_path / "store")
    loaded = load_archive(store, str(oci_archive(
        tmp_path, annotations={"org.opencontainers.image.ref.name": "latest"})))
    assert loaded[0].names == ()
    assert [e.name for e in store.entries()] == [None]
    assert store.resolve(loaded[0].image_id).id == loaded[0].image_id


def test_oci_archive_blob_not_matching_its_digest_is_refused(tmp_path: Path) -> None:
    store = ImageStore(tmp_path / "store")
    with pytest.raises(ImageError, match="does not match its digest"):
        load_archive(store, str(oci_archive(tmp_path, annotations={}, tamper=True)))
    assert store.entries() == []


def test_not_an_image_archive(tmp_path: Path) -> None:
    path = archive(tmp_path / "other.tar", {"readme": b"hi"})
    with pytest.raises(ImageError, match="neither a docker save archive"):
        load_archive(ImageStore(tmp_path / "store"), str(path))
    (tmp_path / "junk").write_bytes(b"not a tar at all" * 100)
    with pytest.raises(ImageError, match="cannot read image archive"):
        load_archive(ImageStore(tmp_path / "store"), str(tmp_path / "junk"))


def test_save_then_load_both_ways(tmp_path: Path) -> None:
    source = ImageStore(tmp_path / "source")
    image_id = import_rootfs(source, io.BytesIO(gzip.compress(rootfs(b"saved"))), "app:1",
                             changes=['CMD ["cat", "/hello.txt"]'], now=0)
    out = io.BytesIO()
    save_archive(source, ["app:1"], out)
    saved = tmp_path / "saved.tar"
    saved.write_bytes(out.getvalue())
    target = ImageStore(tmp_path / "target")
    assert [x.names for x in load_archive(target, str(saved))] == [("app:1",)]
    assert target.resolve("app:1").id == image_id
    assert target.resolve("app:1").manifest_digest == source.resolve("app:1").manifest_digest
    # the docker half alone (what an old docker load reads) gives the same image
    with tarfile.open(saved) as tar:
        docker: list[dict[str, Any]] = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        files = {m.name: tar.extractfile(m).read() for m in tar.getmembers()  # type: ignore[union-attr]
                 if m.isfile() and m.name != "index.json"}
    assert docker[0]["RepoTags"] == ["app:1"]
    legacy = ImageStore(tmp_path / "legacy")
    assert load_archive(legacy, str(archive(tmp_path / "docker-only.tar", files)))[0].image_id \
        == image_id


def test_import_rootfs(tmp_path: Path) -> None:
    store = ImageStore(tmp_path / "store")
    plain = rootfs(b"plain")
    image_id = import_rootfs(store, io.BytesIO(plain), "plain:1", message="from a test", now=0)
    image = store.resolve("plain:1")
    assert image.id == image_id
    assert image.layers[0].diff_id == sha256_digest(plain)
    assert image.layers[0].descriptor.media_type == MEDIA_LAYER_TAR
    assert image.config["history"] == [{"created": "1970-01-01T00:00:00Z",
                                        "created_by": "pycompose import",
                                        "comment": "from a test"}]
    assert image.runtime_config["Env"][0].startswith("PATH=")
    untagged = import_rootfs(store, io.BytesIO(bz2.compress(rootfs(b"bz"))), None)
    entry = store.find(untagged)
    assert entry is not None and entry.name is None


def test_import_refuses_what_is_not_a_tarball(tmp_path: Path) -> None:
    store = ImageStore(tmp_path / "store")
    with pytest.raises(ImageError, match="not a tar archive"):
        import_rootfs(store, io.BytesIO(gzip.compress(b"hello" * 1000)), "x:1")
    assert store.find("x:1") is None
    assert parse_reference("x:1")
