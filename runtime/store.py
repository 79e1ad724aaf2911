"""The local image store: an OCI image layout under the state root.

``images/blobs/sha256/<hex>`` holds content-addressed blobs (manifests, configs,
layers); ``images/index.json`` maps normalised references to manifests with the
``org.opencontainers.image.ref.name`` annotation.  Blobs are verified as they are
written and written atomically, so a blob present under its digest is complete.
Synchronous: callers in trio run these through ``trio.to_thread``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compose.errors import ImageError
from compose.statefiles import read_json, write_atomic, write_json
from runtime.reference import InvalidReference, Reference, parse_reference

MEDIA_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
MEDIA_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
REF_ANNOTATION = "org.opencontainers.image.ref.name"


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int

    def as_json(self) -> dict[str, Any]:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size}


@dataclass(frozen=True)
class Layer:
    descriptor: Descriptor
    diff_id: str


@dataclass(frozen=True)
class Image:
    """An image resolved from the store: what a container is made from."""

    reference: Reference
    manifest_digest: str
    config_digest: str
    config: dict[str, Any]
    layers: tuple[Layer, ...]

    @property
    def id(self) -> str:
        """Docker's image ID: the config digest."""
        return self.config_digest

    @property
    def runtime_config(self) -> dict[str, Any]:
        """The image's ``config`` section (Entrypoint, Cmd, Env, WorkingDir, ...)."""
        value = self.config.get("config") or {}
        return value if isinstance(value, dict) else {}


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class ImageStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def blob_path(self, digest: str) -> Path:
        algorithm, _, hexpart = digest.partition(":")
        if algorithm != "sha256" or len(hexpart) != 64 or not all(
            c in "0123456789abcdef" for c in hexpart
        ):
            raise ImageError(f"unsupported or malformed digest {digest!r}")
        return self.path / "blobs" / "sha256" / hexpart

    def has_blob(self, digest: str) -> bool:
        return self.blob_path(digest).is_file()

    def put_blob(self, data: bytes, media_type: str) -> Descriptor:
        digest = sha256_digest(data)
        path = self.blob_path(digest)
        if not path.exists():
            self._init_layout()
            write_atomic(path, data, mode=0o444)
        return Descriptor(media_type, digest, len(data))

    def read_blob(self, digest: str) -> bytes:
        try:
            data = self.blob_path(digest).read_bytes()
        except FileNotFoundError:
            raise ImageError(f"blob {digest} is missing from the image store") from None
        if sha256_digest(data) != digest:
            raise ImageError(f"blob {digest} in the image store is corrupt")
        return data

    def _init_layout(self) -> None:
        (self.path / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        layout = self.path / "oci-layout"
        if not layout.exists():
            write_json(layout, {"imageLayoutVersion": "1.0.0"})

    @contextmanager
    def _index_lock(self) -> Iterator[None]:
        self._init_layout()
        with open(self.path / ".index.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def _read_index(self) -> dict[str, Any]:
        try:
            index: dict[str, Any] = read_json(self.path / "index.json")
        except FileNotFoundError:
            return {"schemaVersion": 2, "mediaType": MEDIA_INDEX, "manifests": []}
        return index

    def tag(self, reference: Reference, manifest: Descriptor) -> None:
        """Point ``reference`` at ``manifest``, replacing what it pointed at before."""
        name = str(reference)
        with self._index_lock():
            index = self._read_index()
            entries = [
                m for m in index["manifests"]
                if m.get("annotations", {}).get(REF_ANNOTATION) != name
            ]
            entries.append({**manifest.as_json(), "annotations": {REF_ANNOTATION: name}})
            index["manifests"] = sorted(
                entries, key=lambda m: m.get("annotations", {}).get(REF_ANNOTATION, "")
            )
            write_json(self.path / "index.json", index)

    def references(self) -> dict[str, str]:
        """Every tagged reference and the digest of the manifest it points at."""
        return {
            m["annotations"][REF_ANNOTATION]: m["digest"]
            for m in self._read_index()["manifests"]
            if REF_ANNOTATION in m.get("annotations", {})
        }

    def resolve(self, text: str) -> Image:
        """The image ``text`` names; ImageError if it is not in the store."""
        try:
            reference = parse_reference(text)
        except InvalidReference as exc:
            raise ImageError(str(exc)) from None
        if reference.digest and self.has_blob(reference.digest):
            manifest_digest = reference.digest
        else:
            manifest_digest = self.references().get(str(reference), "")
            if not manifest_digest:
                raise ImageError(
                    f"image {reference.familiar} is not in the local store "
                    "(pulling from registries is not supported yet; "
                    "'pycompose image bootstrap' makes busybox:latest)"
                )
        manifest = _json_blob(self, manifest_digest)
        config_digest = manifest["config"]["digest"]
        config = _json_blob(self, config_digest)
        diff_ids = config.get("rootfs", {}).get("diff_ids", [])
        layer_descs = manifest.get("layers", [])
        if len(diff_ids) != len(layer_descs):
            raise ImageError(f"image {reference.familiar}: layers and diff_ids do not match")
        layers = tuple(
            Layer(Descriptor(d["mediaType"], d["digest"], d["size"]), diff_id)
            for d, diff_id in zip(layer_descs, diff_ids, strict=True)
        )
        return Image(reference, manifest_digest, config_digest, config, layers)


def _json_blob(store: ImageStore, digest: str) -> dict[str, Any]:
    try:
        value = json.loads(store.read_blob(digest))
    except ValueError:
        raise ImageError(f"blob {digest} is not valid JSON") from None
    if not isinstance(value, dict):
        raise ImageError(f"blob {digest} is not a JSON object")
    return value
