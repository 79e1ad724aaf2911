"""What ``images`` and ``image inspect`` show about the store (synchronous reads).

Sizes are content sizes (config plus layer blobs as stored, compressed or not),
as the containerd image store reports them, not sizes unpacked on disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runtime.images.documents import config_platform
from runtime.images.reference import Reference, parse_reference
from runtime.images.store import Entry, Image, ImageStore


@dataclass(frozen=True)
class Summary:
    """One row of ``images``: a name (or none, when dangling) and its image."""

    entry: Entry
    reference: Reference | None
    image: Image
    size: int

    @property
    def repository(self) -> str:
        return repository(self.reference) if self.reference else "<none>"

    @property
    def tag(self) -> str:
        return (self.reference.tag if self.reference else None) or "<none>"

    @property
    def created(self) -> str:
        return str(self.image.config.get("created") or "")

    @property
    def digest(self) -> str:
        return self.entry.source_digest or (self.reference.digest if self.reference else None) \
            or "<none>"


def repository(reference: Reference) -> str:
    """The familiar name without tag or digest (``busybox``, ``127.0.0.1:5000/app``)."""
    return Reference(reference.registry, reference.repository).familiar


def image_size(image: Image, config_size: int) -> int:
    return config_size + sum(layer.descriptor.size for layer in image.layers)


def summaries(store: ImageStore) -> list[Summary]:
    rows = []
    for entry in store.entries():
        image = store.image(entry)
        config_size = store.blob_path(image.config_digest).stat().st_size
        reference = parse_reference(entry.name) if entry.name else None
        rows.append(Summary(entry, reference, image, image_size(image, config_size)))
    return rows


def inspect(store: ImageStore, entry: Entry) -> dict[str, Any]:
    """``docker image inspect``'s shape, plus the manifest and its layers."""
    image = store.image(entry)
    names = [e for e in store.entries() if e.manifest.digest == entry.manifest.digest]
    named = [(e, parse_reference(e.name)) for e in names if e.name]
    references = [r for _, r in named]
    repo_digests = sorted({f"{repository(r)}@{e.source_digest}" for e, r in named
                           if e.source_digest})
    platform = config_platform(image.config)
    config_size = store.blob_path(image.config_digest).stat().st_size
    tagged = max((e.tagged for e in names if e.tagged), default=None)
    result: dict[str, Any] = {
        "Id": image.id,
        "RepoTags": sorted(r.familiar for r in references if r.tag and not r.digest),
        "RepoDigests": repo_digests,
        "Created": image.config.get("created", ""),
        "Author": image.config.get("author", ""),
        "Architecture": platform.architecture,
        "Os": platform.os,
        "Size": image_size(image, config_size),
        "Config": image.runtime_config,
        "RootFS": {"Type": "layers", "Layers": [layer.diff_id for layer in image.layers]},
        "Metadata": {"LastTagTime": tagged},
        "Manifest": {"digest": image.manifest_digest, "mediaType": entry.manifest.media_type},
        "Layers": [{"digest": layer.descriptor.digest, "mediaType": layer.descriptor.media_type,
                    "size": layer.descriptor.size, "diffId": layer.diff_id}
                   for layer in image.layers],
    }
    if image.config.get("variant"):
        result["Variant"] = image.config["variant"]
    return result
