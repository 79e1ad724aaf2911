"""The local image store: an OCI image layout under the state root.

``images/blobs/sha256/<hex>`` holds content-addressed blobs (indexes, manifests,
configs, layers); ``images/index.json`` maps normalised references to manifests
with the ``org.opencontainers.image.ref.name`` annotation (an entry without it is
a dangling image, left behind when its name moved to a newer image).  Blobs are
verified as they are written and renamed into place only when complete, so a
blob present under its digest is whole; downloads in progress live under
``images/ingest`` and resume from there.  Removal and garbage collection take
the store lock exclusively, writers take it shared, so collection never deletes
a blob a pull has written but not tagged yet.
Synchronous: callers in trio run these through ``trio.to_thread``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from common.errors import ImageError
from common.statefiles import read_json, write_atomic, write_json
from runtime.images.documents import (
    INDEX_TYPES,
    MEDIA_CONFIG,
    MEDIA_INDEX,
    MEDIA_LAYER_GZIP,
    MEDIA_LAYER_TAR,
    MEDIA_MANIFEST,
    Descriptor,
    canonical_json,
    host_platform,
    media_type_of,
    oci_manifest,
    parse_json,
    parse_manifest,
    select_manifest,
)
from runtime.images.ingest import Ingest, fsync_dir
from runtime.images.reference import InvalidReference, Reference, parse_reference

__all__ = ["MEDIA_CONFIG", "MEDIA_INDEX", "MEDIA_LAYER_GZIP", "MEDIA_LAYER_TAR",
           "MEDIA_MANIFEST", "Descriptor", "Entry", "Image", "ImageStore", "Ingest", "Layer",
           "sha256_digest"]

REF_ANNOTATION = "org.opencontainers.image.ref.name"
TAGGED_ANNOTATION = "io.pycompose.image.tagged"
"""When the name was last pointed at this image (docker's LastTagTime), for pull policies."""
SOURCE_ANNOTATION = "io.pycompose.image.source-digest"
"""The digest the registry named the image by (an index's, for multi-platform images)."""
_CHUNK = 1 << 20


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


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


@dataclass(frozen=True)
class Entry:
    """One line of ``index.json``: a name (None when dangling) and its manifest."""

    name: str | None
    manifest: Descriptor
    tagged: float | None = None
    source_digest: str | None = None


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def new_image_name(name: str | None, doing: str) -> Reference | None:
    """The name to give an image made here (``import``, ``commit``): none, or a tag
    (a digest names content, which is not known yet); ImageError otherwise."""
    if not name:
        return None
    try:
        reference = parse_reference(name)
    except InvalidReference as exc:
        raise ImageError(str(exc)) from None
    if reference.digest:
        raise ImageError(f"cannot {doing} as {name}: use a tag, not a digest")
    return reference


class ImageStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    # blobs

    def blob_path(self, digest: str) -> Path:
        return self.path / "blobs" / "sha256" / _hex(digest)

    def has_blob(self, digest: str) -> bool:
        return self.blob_path(digest).is_file()

    def put_blob(self, data: bytes, media_type: str) -> Descriptor:
        digest = sha256_digest(data)
        path = self.blob_path(digest)
        if not path.exists():
            self._init_layout()
            write_atomic(path, data, mode=0o444)
        return Descriptor(media_type, digest, len(data))

    def put_stream(self, stream: Readable, media_type: str,
                   expected: Descriptor | None = None) -> Descriptor:
        """Copy ``stream`` into a blob, verified against ``expected`` when given."""
        self._init_layout()
        digest = hashlib.sha256()
        size = 0
        blobs = self.path / "blobs" / "sha256"
        with _temp_file(blobs) as (handle, tmp):
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if expected is not None and size > expected.size:
                    raise ImageError(f"blob {expected.digest} is larger than its descriptor")
                digest.update(chunk)
                handle.write(chunk)
            found = Descriptor(media_type, "sha256:" + digest.hexdigest(), size)
            if expected is not None and (found.digest, found.size) != (expected.digest,
                                                                       expected.size):
                raise ImageError(f"blob {expected.digest} does not match its digest or size")
            _commit(handle, tmp, self.blob_path(found.digest))
        return found

    def read_blob(self, digest: str, limit: int | None = None) -> bytes:
        path = self.blob_path(digest)
        try:
            if limit is not None and path.stat().st_size > limit:
                raise ImageError(f"blob {digest} is too large to be a manifest or config")
            data = path.read_bytes()
        except FileNotFoundError:
            raise ImageError(f"blob {digest} is missing from the image store") from None
        if sha256_digest(data) != digest:
            raise ImageError(f"blob {digest} in the image store is corrupt")
        return data

    def ingest(self, descriptor: Descriptor) -> Ingest:
        """A resumable writer for ``descriptor`` (see ``Ingest``)."""
        self._init_layout()
        return Ingest(self.path / "ingest" / _hex(descriptor.digest), descriptor,
                      self.blob_path(descriptor.digest))

    def _init_layout(self) -> None:
        (self.path / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (self.path / "ingest").mkdir(exist_ok=True)
        layout = self.path / "oci-layout"
        if not layout.exists():
            write_json(layout, {"imageLayoutVersion": "1.0.0"})

    @contextmanager
    def lock(self, *, exclusive: bool) -> Iterator[None]:
        """Shared for writers (pull, load, import), exclusive for removal."""
        fd = self.acquire(exclusive=exclusive)
        try:
            yield
        finally:
            os.close(fd)

    def acquire(self, *, exclusive: bool) -> int:
        """``lock`` for async callers (taken in a worker thread); ``os.close`` releases."""
        self._init_layout()
        fd = os.open(self.path / ".gc.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        except BaseException:
            os.close(fd)
            raise
        return fd

    # index.json

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

    def _write_index(self, index: dict[str, Any], entries: list[dict[str, Any]]) -> None:
        index["manifests"] = sorted(
            entries, key=lambda m: (m.get("annotations", {}).get(REF_ANNOTATION, "\uffff"),
                                    m["digest"]))
        write_json(self.path / "index.json", index)

    def tag(self, reference: Reference, manifest: Descriptor, *,
            source_digest: str | None = None, now: float | None = None) -> None:
        """Point ``reference`` at ``manifest``; the image it named before stays, dangling,
        if no other name holds it (docker's behaviour: ``image prune`` removes it)."""
        name = str(reference)
        when = time.time() if now is None else now
        annotations = {REF_ANNOTATION: name, TAGGED_ANNOTATION: str(int(when))}
        if source_digest:
            annotations[SOURCE_ANNOTATION] = source_digest
        with self._index_lock():
            index = self._read_index()
            entries: list[dict[str, Any]] = index["manifests"]
            previous = [m for m in entries if _name(m) == name]
            entries = [m for m in entries if _name(m) != name
                       and not (_name(m) is None and m["digest"] == manifest.digest)]
            for old in previous:
                if old["digest"] != manifest.digest and not any(
                        m["digest"] == old["digest"] for m in entries):
                    entries.append({k: v for k, v in old.items() if k != "annotations"})
            entries.append({**manifest.as_json(), "annotations": annotations})
            self._write_index(index, entries)

    def entries(self) -> list[Entry]:
        found = []
        for m in self._read_index()["manifests"]:
            notes = m.get("annotations", {})
            tagged = notes.get(TAGGED_ANNOTATION)
            found.append(Entry(notes.get(REF_ANNOTATION),
                               Descriptor(m.get("mediaType", MEDIA_MANIFEST), m["digest"],
                                          m.get("size", 0)),
                               float(tagged) if tagged else None,
                               notes.get(SOURCE_ANNOTATION)))
        return found

    def references(self) -> dict[str, str]:
        """Every tagged reference and the digest of the manifest it points at."""
        return {e.name: e.manifest.digest for e in self.entries() if e.name}

    def entry(self, reference: Reference) -> Entry | None:
        return next((e for e in self.entries() if e.name == str(reference)), None)

    def put_image(self, config: dict[str, Any], layers: Sequence[Descriptor],
                  reference: Reference | None) -> Descriptor:
        """Store an image made here (``import``, ``commit``): its config and
        manifest, named ``reference`` or else kept dangling; its config's descriptor
        (the image ID)."""
        config_desc = self.put_blob(canonical_json(config), MEDIA_CONFIG)
        manifest = self.put_blob(oci_manifest(config_desc, layers), MEDIA_MANIFEST)
        if reference is not None:
            self.tag(reference, manifest)
        else:
            self.add_dangling(manifest)
        return config_desc

    def add_dangling(self, manifest: Descriptor) -> None:
        """Keep an image that has no name (an untagged image from an archive)."""
        with self._index_lock():
            index = self._read_index()
            entries: list[dict[str, Any]] = index["manifests"]
            if not any(m["digest"] == manifest.digest for m in entries):
                entries.append(manifest.as_json())
            self._write_index(index, entries)

    def untag(self, name: str) -> bool:
        """Remove one name; False if it was not there.  Blobs stay until collected."""
        with self._index_lock():
            index = self._read_index()
            entries = [m for m in index["manifests"] if _name(m) != name]
            if len(entries) == len(index["manifests"]):
                return False
            self._write_index(index, entries)
            return True

    def forget(self, manifest_digests: set[str]) -> None:
        """Remove every entry (named or dangling) of these manifests."""
        with self._index_lock():
            index = self._read_index()
            self._write_index(index, [m for m in index["manifests"]
                                      if m["digest"] not in manifest_digests])

    # images

    def resolve(self, text: str) -> Image:
        """The image ``text`` names (a reference, or an image ID or a unique prefix of
        one); ImageError if it is not in the store."""
        entry = self.find(text)
        if entry is None:
            raise ImageError(f"image {_familiar(text)} is not in the local store")
        return self.image(entry)

    def find(self, text: str) -> Entry | None:
        """The entry ``text`` names: a reference, a manifest digest pinned by
        ``name@sha256:...``, or an image ID (config digest, or a prefix of 12+ hex)."""
        entries = self.entries()
        id_text = text.removeprefix("sha256:")
        if 12 <= len(id_text) <= 64 and all(c in "0123456789abcdef" for c in id_text):
            matches = {e.manifest.digest: e for e in entries
                       if self.config_digest(e).removeprefix("sha256:").startswith(id_text)}
            if len(matches) > 1:
                raise ImageError(f"image ID prefix {id_text} is ambiguous")
            if matches:
                named = [e for e in entries if e.manifest.digest in matches and e.name]
                return named[0] if named else next(iter(matches.values()))
        try:
            reference = parse_reference(text)
        except InvalidReference as exc:
            raise ImageError(str(exc)) from None
        for e in entries:
            if e.name == str(reference):
                return e
        if reference.digest:
            for e in entries:
                if reference.digest in (e.manifest.digest, e.source_digest):
                    return Entry(str(reference), e.manifest, e.tagged, e.source_digest)
        return None

    def config_digest(self, entry: Entry) -> str:
        manifest = self._manifest(entry.manifest.digest)
        return str(manifest["config"]["digest"])

    def _manifest(self, digest: str) -> dict[str, Any]:
        document = parse_json(self.read_blob(digest, limit=4 << 20), f"manifest {digest}")
        if media_type_of(document) in INDEX_TYPES:
            chosen = select_manifest(document, host_platform())
            document = parse_json(self.read_blob(chosen.digest, limit=4 << 20),
                                  f"manifest {chosen.digest}")
        return document

    def image(self, entry: Entry) -> Image:
        reference = parse_reference(entry.name) if entry.name else Reference(
            "", "<none>", None, entry.manifest.digest)
        document = self._manifest(entry.manifest.digest)
        manifest = parse_manifest(document)
        config = parse_json(self.read_blob(manifest.config.digest, limit=4 << 20),
                            f"config {manifest.config.digest}")
        ids = config.get("rootfs", {}).get("diff_ids", [])
        if len(ids) != len(manifest.layers):
            raise ImageError(f"image {reference.familiar}: layers and diff_ids do not match")
        layers = tuple(Layer(d, diff_id) for d, diff_id in zip(manifest.layers, ids,
                                                               strict=True))
        return Image(reference, entry.manifest.digest, manifest.config.digest, config, layers)

    def reachable(self, entry: Entry) -> set[str]:
        """Every blob ``entry`` needs, including the other platforms' manifests an
        index names if they are present."""
        digests = {entry.manifest.digest}
        document = parse_json(self.read_blob(entry.manifest.digest, limit=4 << 20),
                              "manifest")
        manifests = [document]
        if media_type_of(document) in INDEX_TYPES:
            manifests = []
            for child in document.get("manifests", []):
                if self.has_blob(child["digest"]):
                    digests.add(child["digest"])
                    manifests.append(parse_json(self.read_blob(child["digest"]), "manifest"))
        for m in manifests:
            digests.add(m["config"]["digest"])
            digests.update(layer["digest"] for layer in m.get("layers", []))
        return digests

    def collect_garbage(self, layers_root: Path | None = None) -> int:
        """Delete blobs no entry needs, abandoned downloads and (given ``layers_root``)
        unpacked layers no image uses; returns the bytes freed.  Hold ``lock``
        exclusively around it."""
        keep: set[str] = set()
        diff_ids: set[str] = set()
        for entry in self.entries():
            keep |= self.reachable(entry)
            if layers_root is not None:
                diff_ids.update(layer.diff_id for layer in self.image(entry).layers)
        freed = 0
        blobs = self.path / "blobs" / "sha256"
        for path in list(blobs.iterdir()) if blobs.is_dir() else []:
            if "sha256:" + path.name not in keep:
                freed += path.stat().st_size
                path.unlink()
        ingest = self.path / "ingest"
        for path in list(ingest.iterdir()) if ingest.is_dir() else []:
            freed += path.stat().st_size
            path.unlink()
        if layers_root is not None and layers_root.is_dir():
            for path in layers_root.iterdir():
                if path.name.startswith(".") or "sha256:" + path.name not in diff_ids:
                    shutil.rmtree(path, ignore_errors=True)
        return freed


@contextmanager
def _temp_file(directory: Path) -> Iterator[tuple[IO[bytes], Path]]:
    fd, name = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle, tmp
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _commit(handle: IO[bytes], tmp: Path, final: Path) -> None:
    handle.flush()
    os.fchmod(handle.fileno(), 0o444)
    os.fsync(handle.fileno())
    os.rename(tmp, final)
    fsync_dir(final.parent)


def _hex(digest: str) -> str:
    algorithm, _, hexpart = digest.partition(":")
    if algorithm != "sha256" or len(hexpart) != 64 or not all(
        c in "0123456789abcdef" for c in hexpart
    ):
        raise ImageError(f"unsupported or malformed digest {digest!r}")
    return hexpart


def _name(entry: dict[str, Any]) -> str | None:
    value = entry.get("annotations", {}).get(REF_ANNOTATION)
    return str(value) if value else None


def _familiar(text: str) -> str:
    try:
        return parse_reference(text).familiar
    except InvalidReference:
        return text
