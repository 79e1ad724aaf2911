"""OCI and Docker image documents: media types, manifests, indexes, platforms (pure).

A registry or an archive hands us JSON whose shape depends on its media type:
an index (OCI image index or Docker manifest list) names one manifest per
platform; a manifest names a config and layers.  These functions check the
shape once, so the rest of pycompose reads typed values.
"""

from __future__ import annotations

import json
import platform as _platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from common.errors import ImageError

MEDIA_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
MEDIA_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_FOREIGN_GZIP = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
DOCKER_SCHEMA1 = ("application/vnd.docker.distribution.manifest.v1+json",
                  "application/vnd.docker.distribution.manifest.v1+prettyjws")
MEDIA_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"

INDEX_TYPES = (MEDIA_INDEX, DOCKER_LIST)
MANIFEST_TYPES = (MEDIA_MANIFEST, DOCKER_MANIFEST)
CONFIG_TYPES = (MEDIA_CONFIG, DOCKER_CONFIG)
LAYER_TYPES = (MEDIA_LAYER_GZIP, MEDIA_LAYER_TAR, DOCKER_LAYER_GZIP, DOCKER_FOREIGN_GZIP,
               "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
               "application/vnd.oci.image.layer.nondistributable.v1.tar")
ACCEPT = (MEDIA_INDEX, DOCKER_LIST, MEDIA_MANIFEST, DOCKER_MANIFEST)
"""What a registry may answer for a manifest, in our order of preference."""
MAX_MANIFEST = 4 << 20
"""Manifests and configs are small; a larger one is refused rather than buffered."""

_ARCH = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "armhf": "arm",
         "armel": "arm", "i386": "386", "i686": "386"}
_ARM_VARIANTS = ("v8", "v7", "v6", "v5")


@dataclass(frozen=True)
class Descriptor:
    """What the OCI spec calls a descriptor: a blob named by digest, with its size."""

    media_type: str
    digest: str
    size: int

    def as_json(self) -> dict[str, Any]:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size}


@dataclass(frozen=True)
class Platform:
    os: str
    architecture: str
    variant: str = ""

    def __str__(self) -> str:
        text = f"{self.os}/{self.architecture}"
        return f"{text}/{self.variant}" if self.variant else text


def normalize_platform(os_name: str, arch: str, variant: str = "") -> Platform:
    """containerd's normalisation: ``aarch64`` is ``arm64``, arm64's default variant
    is v8 (written as none), arm's is v7."""
    os_name = os_name.lower()
    arch = _ARCH.get(arch.lower(), arch.lower())
    variant = variant.lower()
    if arch == "arm64" and variant in ("8", "v8"):
        variant = ""
    elif arch == "arm" and variant in ("", "7"):
        variant = "v7"
    elif arch == "arm" and variant in ("5", "6", "8"):
        variant = "v" + variant
    elif arch == "amd64" and variant == "v1":
        variant = ""
    return Platform(os_name, arch, variant)


def parse_platform(text: str) -> Platform:
    """``linux/arm64/v8``, ``linux/amd64`` or ``arm64`` (the host OS assumed)."""
    parts = text.strip().split("/")
    if not all(parts) or len(parts) > 3:
        raise ImageError(f"invalid platform {text!r} (expected os/arch[/variant])")
    if len(parts) == 1:
        return normalize_platform("linux", parts[0])
    return normalize_platform(parts[0], parts[1], parts[2] if len(parts) == 3 else "")


def host_platform() -> Platform:
    return normalize_platform("linux", _platform.machine())


def _compatible(wanted: Platform) -> list[Platform]:
    """Platforms the host ``wanted`` runs, best first (arm v7 runs v6 and v5)."""
    if wanted.architecture == "arm" and wanted.variant in _ARM_VARIANTS:
        start = _ARM_VARIANTS.index(wanted.variant)
        return [Platform(wanted.os, "arm", v) for v in _ARM_VARIANTS[start:]]
    if wanted.architecture == "amd64" and wanted.variant:
        return [wanted, Platform(wanted.os, "amd64")]
    return [wanted]


def select_manifest(index: Mapping[str, Any], wanted: Platform) -> Descriptor:
    """The index entry for ``wanted``; entries without a platform or for
    ``unknown/unknown`` (attestations) never match."""
    entries = index.get("manifests")
    if not isinstance(entries, list):
        raise ImageError("image index has no manifests list")
    candidates: dict[Platform, Descriptor] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("platform"), dict):
            continue
        if entry.get("mediaType", MEDIA_MANIFEST) not in MANIFEST_TYPES:
            continue
        p = entry["platform"]
        key = normalize_platform(str(p.get("os", "")), str(p.get("architecture", "")),
                                 str(p.get("variant", "")))
        if "unknown" not in (key.os, key.architecture):
            candidates.setdefault(key, descriptor(entry, "image index entry"))
    for platform in _compatible(wanted):
        if platform in candidates:
            return candidates[platform]
    offered = ", ".join(sorted(str(p) for p in candidates)) or "none"
    raise ImageError(f"no image for platform {wanted} (the index offers: {offered})")


def descriptor(value: Any, what: str) -> Descriptor:
    """A descriptor from JSON, refusing a missing digest or a negative size."""
    if not isinstance(value, dict):
        raise ImageError(f"{what} is not a descriptor")
    digest, size, media = value.get("digest"), value.get("size"), value.get("mediaType", "")
    if not isinstance(digest, str) or not digest.startswith("sha256:") or len(digest) != 71:
        raise ImageError(f"{what} has an unsupported digest {digest!r}")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ImageError(f"{what} has an invalid size {size!r}")
    return Descriptor(str(media), digest, size)


def parse_json(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        raise ImageError(f"{what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise ImageError(f"{what} is not a JSON object")
    return value


def media_type_of(document: Mapping[str, Any], declared: str = "") -> str:
    """The document's own ``mediaType``, else the one the server declared, else
    a guess from the shape (OCI allows both to be absent)."""
    media = document.get("mediaType") or declared.split(";")[0].strip()
    if media in DOCKER_SCHEMA1 or document.get("schemaVersion") == 1:
        raise ImageError("Docker schema 1 manifests are not supported (push the image again "
                         "with a current client)")
    if media in INDEX_TYPES or media in MANIFEST_TYPES:
        return str(media)
    if "manifests" in document:
        return MEDIA_INDEX
    if "config" in document and "layers" in document:
        return MEDIA_MANIFEST
    raise ImageError(f"unsupported manifest media type {media!r}")


@dataclass(frozen=True)
class Manifest:
    config: Descriptor
    layers: tuple[Descriptor, ...]


def parse_manifest(document: Mapping[str, Any]) -> Manifest:
    config = descriptor(document.get("config"), "manifest config")
    if config.media_type and config.media_type not in CONFIG_TYPES:
        raise ImageError(f"unsupported image config type {config.media_type!r} "
                         "(not a container image)")
    raw_layers = document.get("layers")
    if not isinstance(raw_layers, list):
        raise ImageError("manifest has no layers list")
    layers = tuple(descriptor(entry, f"layer {i}") for i, entry in enumerate(raw_layers))
    for layer in layers:
        if layer.media_type == MEDIA_LAYER_ZSTD:
            raise ImageError("zstd-compressed layers are not supported yet")
        if layer.media_type not in LAYER_TYPES:
            raise ImageError(f"unsupported layer type {layer.media_type!r}")
    return Manifest(config, layers)


def diff_ids(config: Mapping[str, Any]) -> list[str]:
    rootfs = config.get("rootfs")
    ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ImageError("image config has no rootfs.diff_ids")
    return list(ids)


def check_config(config: Mapping[str, Any], manifest: Manifest) -> None:
    """The config must describe as many layers as the manifest lists."""
    if len(diff_ids(config)) != len(manifest.layers):
        raise ImageError("image config and manifest disagree on the number of layers")


def config_platform(config: Mapping[str, Any]) -> Platform:
    return normalize_platform(str(config.get("os", "")), str(config.get("architecture", "")),
                              str(config.get("variant", "")))


def oci_manifest(config: Descriptor, layers: Sequence[Descriptor]) -> bytes:
    """A canonical OCI manifest (what ``load`` and ``import`` write)."""
    document = {"schemaVersion": 2, "mediaType": MEDIA_MANIFEST, "config": config.as_json(),
                "layers": [layer.as_json() for layer in layers]}
    return canonical_json(document)


def canonical_json(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
