"""runtime/images/documents.py: platforms normalised and matched as containerd does, and
manifests checked once, whatever their media type."""

from __future__ import annotations

from typing import Any

import pytest

from common.errors import ImageError
from runtime.images.documents import (
    DOCKER_LIST,
    DOCKER_MANIFEST,
    MEDIA_INDEX,
    MEDIA_MANIFEST,
    Platform,
    media_type_of,
    normalize_platform,
    parse_manifest,
    parse_platform,
    select_manifest,
)

D = "sha256:" + "a" * 64


def entry(arch: str, variant: str = "", os: str = "linux", digest: str = D,
          media: str = MEDIA_MANIFEST) -> dict[str, Any]:
    platform = {"os": os, "architecture": arch, **({"variant": variant} if variant else {})}
    return {"mediaType": media, "digest": digest, "size": 10, "platform": platform}


def digest(n: int) -> str:
    return f"sha256:{n:064x}"


@pytest.mark.parametrize(("text", "expected"), [
    ("linux/amd64", Platform("linux", "amd64")),
    ("linux/x86_64", Platform("linux", "amd64")),
    ("linux/arm64/v8", Platform("linux", "arm64")),
    ("linux/aarch64", Platform("linux", "arm64")),
    ("linux/arm", Platform("linux", "arm", "v7")),
    ("linux/arm/6", Platform("linux", "arm", "v6")),
    ("arm64", Platform("linux", "arm64")),
    ("Linux/AMD64", Platform("linux", "amd64")),
])
def test_parse_platform(text: str, expected: Platform) -> None:
    assert parse_platform(text) == expected


@pytest.mark.parametrize("text", ["", "linux/", "a/b/c/d", "/amd64"])
def test_parse_platform_refuses(text: str) -> None:
    with pytest.raises(ImageError, match="invalid platform"):
        parse_platform(text)


def test_normalize_keeps_unknown_architectures() -> None:
    assert normalize_platform("linux", "riscv64") == Platform("linux", "riscv64")


@pytest.mark.parametrize(("wanted", "chosen"), [
    ("linux/amd64", 1), ("linux/arm64", 2), ("linux/arm64/v8", 2), ("linux/arm/v7", 3),
    ("linux/arm/v6", 4), ("linux/386", None),
])
def test_select_manifest(wanted: str, chosen: int | None) -> None:
    index = {"manifests": [
        entry("amd64", digest=digest(1)), entry("arm64", "v8", digest=digest(2)),
        entry("arm", "v7", digest=digest(3)), entry("arm", "v6", digest=digest(4)),
        entry("unknown", os="unknown", digest=digest(9))]}
    if chosen is None:
        with pytest.raises(ImageError, match=r"offers: linux/amd64, linux/arm/v6, "
                                             r"linux/arm/v7, linux/arm64\)"):
            select_manifest(index, parse_platform(wanted))
    else:
        assert select_manifest(index, parse_platform(wanted)).digest == digest(chosen)


def test_arm_v7_host_runs_v6_when_no_v7_is_offered() -> None:
    index = {"manifests": [entry("arm", "v6", digest=digest(6)),
                           entry("arm", "v5", digest=digest(5))]}
    assert select_manifest(index, parse_platform("linux/arm/v7")).digest == digest(6)


def test_first_entry_of_a_platform_wins_and_attestations_are_skipped() -> None:
    index = {"manifests": [entry("unknown", os="unknown", digest=digest(9)),
                           entry("amd64", digest=digest(1)), entry("amd64", digest=digest(2))]}
    assert select_manifest(index, parse_platform("linux/amd64")).digest == digest(1)


def test_nested_index_entries_are_not_manifests() -> None:
    index = {"manifests": [entry("amd64", media=MEDIA_INDEX)]}
    with pytest.raises(ImageError, match="no image for platform"):
        select_manifest(index, parse_platform("linux/amd64"))


@pytest.mark.parametrize(("document", "declared", "expected"), [
    ({"mediaType": DOCKER_LIST, "manifests": []}, "", DOCKER_LIST),
    ({"manifests": []}, "application/vnd.oci.image.index.v1+json; charset=x", MEDIA_INDEX),
    ({"manifests": []}, "", MEDIA_INDEX),
    ({"config": {}, "layers": []}, "", MEDIA_MANIFEST),
    ({"schemaVersion": 2, "config": {}, "layers": []}, DOCKER_MANIFEST, DOCKER_MANIFEST),
])
def test_media_type_of(document: dict[str, Any], declared: str, expected: str) -> None:
    assert media_type_of(document, declared) == expected


def test_schema1_is_refused() -> None:
    with pytest.raises(ImageError, match="schema 1"):
        media_type_of({"schemaVersion": 1, "fsLayers": []})


def manifest(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": D,
                   "size": 5},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": D,
                    "size": 7}]}
    document.update(changes)
    return document


def test_parse_manifest() -> None:
    parsed = parse_manifest(manifest())
    assert (parsed.config.size, [layer.size for layer in parsed.layers]) == (5, [7])


@pytest.mark.parametrize(("changes", "message"), [
    ({"layers": None}, "no layers list"),
    ({"config": {"digest": "md5:abc", "size": 1}}, "unsupported digest"),
    ({"config": {"digest": D, "size": -1}}, "invalid size"),
    ({"config": {"mediaType": "application/vnd.cncf.helm.config.v1+json", "digest": D,
                 "size": 1}}, "not a container image"),
    ({"layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+zstd", "digest": D,
                  "size": 1}]}, "zstd"),
    ({"layers": [{"mediaType": "text/plain", "digest": D, "size": 1}]}, "unsupported layer"),
    ({"layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": D,
                  "size": True}]}, "invalid size"),
])
def test_parse_manifest_refuses(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ImageError, match=message):
        parse_manifest(manifest(**changes))
