"""Image archives: ``load`` reads ``docker save`` and OCI archives, ``save`` writes
one archive that is both (as Docker 25 does: an OCI layout plus ``manifest.json``).

Archives are untrusted: members are looked up by name only (never extracted),
every blob an OCI archive names is verified against its descriptor, and a
``docker save`` layer must match the diff_id its config declares.  Synchronous.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterable
from typing import IO, Any

from common.errors import ImageError
from common.images import LoadedImage
from runtime.images.documents import (
    INDEX_TYPES,
    MAX_MANIFEST,
    MEDIA_CONFIG,
    MEDIA_INDEX,
    MEDIA_MANIFEST,
    Descriptor,
    canonical_json,
    descriptor,
    diff_ids,
    host_platform,
    media_type_of,
    oci_manifest,
    parse_json,
    parse_manifest,
    select_manifest,
)
from runtime.images.layerblob import store_layer
from runtime.images.reference import InvalidReference, Reference, parse_reference
from runtime.images.store import REF_ANNOTATION, Entry, ImageStore

CONTAINERD_NAME = "io.containerd.image.name"


class _Archive:
    def __init__(self, tar: tarfile.TarFile) -> None:
        self.tar = tar
        self.members = {_clean(m.name): m for m in tar.getmembers()}

    def open(self, name: str) -> IO[bytes]:
        member = self.members.get(_clean(name))
        handle = self.tar.extractfile(member) if member is not None else None
        if handle is None:
            raise ImageError(f"archive has no file {name!r}")
        return handle

    def read(self, name: str, limit: int = MAX_MANIFEST) -> bytes:
        member = self.members.get(_clean(name))
        if member is not None and member.size > limit:
            raise ImageError(f"archive file {name!r} is too large")
        return self.open(name).read()

    def has(self, name: str) -> bool:
        return _clean(name) in self.members


def _clean(name: str) -> str:
    return "/".join(p for p in name.split("/") if p not in ("", "."))


def load_archive(store: ImageStore, path: str) -> list[LoadedImage]:
    """Load every image of the archive at ``path`` (plain or compressed tar)."""
    try:
        with tarfile.open(path, "r:*") as tar:
            archive = _Archive(tar)
            if archive.has("manifest.json"):
                return _load_docker(store, archive)
            if archive.has("index.json"):
                return _load_oci(store, archive)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ImageError(f"cannot read image archive {path}: {exc}") from None
    raise ImageError(f"{path} is neither a docker save archive (manifest.json) "
                     "nor an OCI archive (index.json)")


def _load_docker(store: ImageStore, archive: _Archive) -> list[LoadedImage]:
    try:
        items = json.loads(archive.read("manifest.json"))
    except ValueError:
        raise ImageError("manifest.json of the archive is not valid JSON") from None
    if not isinstance(items, list):
        raise ImageError("manifest.json of the archive is not a list")
    loaded = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("Config"), str):
            raise ImageError("manifest.json entry without Config")
        raw_config = archive.read(item["Config"])
        config = parse_json(raw_config, f"config {item['Config']}")
        expected = diff_ids(config)
        layers = []
        for index, layer_path in enumerate(item.get("Layers") or []):
            layer, diff_id = store_layer(store, archive.open(str(layer_path)))
            if index >= len(expected) or diff_id != expected[index]:
                raise ImageError(f"layer {layer_path} of the archive does not match the "
                                 "diff_id its config declares")
            layers.append(layer)
        if len(layers) != len(expected):
            raise ImageError(f"archive image {item['Config']} lists {len(layers)} layers, "
                             f"its config {len(expected)}")
        config_desc = store.put_blob(raw_config, MEDIA_CONFIG)
        manifest = store.put_blob(oci_manifest(config_desc, layers), MEDIA_MANIFEST)
        names = tuple(_tag(store, name, manifest) for name in item.get("RepoTags") or [])
        if not names:
            store.add_dangling(manifest)
        loaded.append(LoadedImage(names, config_desc.digest))
    return loaded


def _load_oci(store: ImageStore, archive: _Archive) -> list[LoadedImage]:
    index = parse_json(archive.read("index.json"), "index.json of the archive")
    entries = index.get("manifests")
    if not isinstance(entries, list) or not entries:
        raise ImageError("index.json of the archive lists no images")
    loaded = []
    for raw in entries:
        top = descriptor(raw, "index.json entry")
        top = _copy(store, archive, top)
        notes = raw.get("annotations") or {}
        name = notes.get(CONTAINERD_NAME) or _full_reference(notes.get(REF_ANNOTATION))
        names = (_tag(store, name, top),) if name else ()
        if not names:
            store.add_dangling(top)
        image = store.image(Entry(None, top))
        loaded.append(LoadedImage(names, image.id))
    return loaded


def _copy(store: ImageStore, archive: _Archive, desc: Descriptor) -> Descriptor:
    """Copy ``desc`` and what it names into the store, verifying every blob;
    returns it with its media type settled."""
    body = _blob(store, archive, desc, small=True)
    document = parse_json(body, f"manifest {desc.digest}")
    kind = media_type_of(document, desc.media_type)
    if kind in INDEX_TYPES:
        present = [child for child in document.get("manifests", [])
                   if isinstance(child, dict) and archive.has(_blob_path(str(child.get("digest"))))]
        if not present:
            raise ImageError(f"archive index {desc.digest} names no manifest it holds")
        for child in present:
            _copy(store, archive, descriptor(child, "index entry"))
        select_manifest({"manifests": present}, host_platform())  # fails if none runs here
    else:
        manifest = parse_manifest(document)
        _blob(store, archive, manifest.config, small=True)
        for layer in manifest.layers:
            _blob(store, archive, layer)
    store.put_blob(body, kind)
    return Descriptor(kind, desc.digest, desc.size)


def _blob(store: ImageStore, archive: _Archive, desc: Descriptor, small: bool = False) -> bytes:
    path = _blob_path(desc.digest)
    if small:
        data = archive.read(path)
        if (store.put_blob(data, desc.media_type).digest, len(data)) != (desc.digest, desc.size):
            raise ImageError(f"archive blob {desc.digest} does not match its digest or size")
        return data
    if not store.has_blob(desc.digest):
        store.put_stream(archive.open(path), desc.media_type, expected=desc)
    return b""


def _blob_path(digest: str) -> str:
    algorithm, _, hexpart = digest.partition(":")
    return f"blobs/{algorithm}/{hexpart}"


def _full_reference(name: str | None) -> str | None:
    """OCI's ref.name may be a bare tag ("latest"): only a full name is a name."""
    return name if name and ("/" in name or ":" in name) else None


def _tag(store: ImageStore, name: str, manifest: Descriptor) -> str:
    try:
        reference = parse_reference(name)
    except InvalidReference as exc:
        raise ImageError(f"archive names an invalid image: {exc}") from None
    store.tag(reference, manifest)
    return reference.familiar


# save


def save_archive(store: ImageStore, names: Iterable[str], out: IO[bytes]) -> None:
    """Write the images ``names`` name as one tar archive to ``out``."""
    index_entries: list[dict[str, Any]] = []
    docker_entries: list[dict[str, Any]] = []
    blobs: dict[str, None] = {}
    for name in names:
        entry = store.find(name)
        if entry is None:
            raise ImageError(f"image {name} is not in the local store")
        reference = _reference(entry)
        image = store.image(entry)
        blobs.update(dict.fromkeys(sorted(store.reachable(entry))))
        notes = {}
        if reference is not None:
            notes = {CONTAINERD_NAME: str(reference), REF_ANNOTATION: reference.tag or "latest"}
        index_entries.append({**entry.manifest.as_json(), **({"annotations": notes}
                                                             if notes else {})})
        docker_entries.append({
            "Config": _blob_path(image.config_digest),
            "RepoTags": [reference.familiar] if reference is not None else [],
            "Layers": [_blob_path(layer.descriptor.digest) for layer in image.layers],
        })
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        _add_dir(tar, "blobs")
        _add_dir(tar, "blobs/sha256")
        for digest in blobs:
            path = store.blob_path(digest)
            info = tar.gettarinfo(str(path), arcname=_blob_path(digest))
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mode = 0o444
            with open(path, "rb") as handle:
                tar.addfile(info, handle)
        _add_file(tar, "oci-layout", canonical_json({"imageLayoutVersion": "1.0.0"}))
        _add_file(tar, "index.json", canonical_json(
            {"schemaVersion": 2, "mediaType": MEDIA_INDEX, "manifests": index_entries}))
        _add_file(tar, "manifest.json", json.dumps(docker_entries).encode())


def _reference(entry: Entry) -> Reference | None:
    if entry.name is None:
        return None
    reference = parse_reference(entry.name)
    return None if reference.digest and not reference.tag else reference


def _add_dir(tar: tarfile.TarFile, name: str) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.mode = tarfile.DIRTYPE, 0o755
    tar.addfile(info)


def _add_file(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), 0o444
    tar.addfile(info, io.BytesIO(data))
