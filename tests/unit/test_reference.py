"""runtime/images/reference.py: image references normalised as Docker does."""

from __future__ import annotations

import pytest

from runtime.images.reference import DEFAULT_REGISTRY, InvalidReference, Reference, parse_reference

DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("text", "registry", "repository", "tag", "digest", "full", "familiar"),
    [
        ("busybox", "docker.io", "library/busybox", "latest", None,
         "docker.io/library/busybox:latest", "busybox:latest"),
        ("busybox:1.36", "docker.io", "library/busybox", "1.36", None,
         "docker.io/library/busybox:1.36", "busybox:1.36"),
        ("library/busybox", "docker.io", "library/busybox", "latest", None,
         "docker.io/library/busybox:latest", "busybox:latest"),
        ("docker.io/busybox", "docker.io", "library/busybox", "latest", None,
         "docker.io/library/busybox:latest", "busybox:latest"),
        ("docker.io/library/busybox:musl", "docker.io", "library/busybox", "musl", None,
         "docker.io/library/busybox:musl", "busybox:musl"),
        ("user/repo", "docker.io", "user/repo", "latest", None,
         "docker.io/user/repo:latest", "user/repo:latest"),
        ("me/app:1", "docker.io", "me/app", "1", None,
         "docker.io/me/app:1", "me/app:1"),
        ("localhost:5000/x:tag", "localhost:5000", "x", "tag", None,
         "localhost:5000/x:tag", "localhost:5000/x:tag"),
        ("localhost/app", "localhost", "app", "latest", None,
         "localhost/app:latest", "localhost/app:latest"),
        ("myreg.io:5000/app", "myreg.io:5000", "app", "latest", None,
         "myreg.io:5000/app:latest", "myreg.io:5000/app:latest"),
        ("myreg.io:5000/team/app:v2.1-rc_1", "myreg.io:5000", "team/app", "v2.1-rc_1", None,
         "myreg.io:5000/team/app:v2.1-rc_1", "myreg.io:5000/team/app:v2.1-rc_1"),
        ("ghcr.io/o/r", "ghcr.io", "o/r", "latest", None,
         "ghcr.io/o/r:latest", "ghcr.io/o/r:latest"),
        ("quay.io/a/b/c:v1", "quay.io", "a/b/c", "v1", None,
         "quay.io/a/b/c:v1", "quay.io/a/b/c:v1"),
        # the first component is a registry only with a '.', a ':' or 'localhost'
        ("team/app", "docker.io", "team/app", "latest", None,
         "docker.io/team/app:latest", "team/app:latest"),
        (f"busybox@{DIGEST}", "docker.io", "library/busybox", None, DIGEST,
         f"docker.io/library/busybox@{DIGEST}", f"busybox@{DIGEST}"),
        (f"busybox:1.36@{DIGEST}", "docker.io", "library/busybox", "1.36", DIGEST,
         f"docker.io/library/busybox:1.36@{DIGEST}", f"busybox:1.36@{DIGEST}"),
        (f"localhost:5000/x@{DIGEST}", "localhost:5000", "x", None, DIGEST,
         f"localhost:5000/x@{DIGEST}", f"localhost:5000/x@{DIGEST}"),
        ("a_b__c-d--e.f:T_1", "docker.io", "library/a_b__c-d--e.f", "T_1", None,
         "docker.io/library/a_b__c-d--e.f:T_1", "a_b__c-d--e.f:T_1"),
        ("busybox:" + "t" * 128, "docker.io", "library/busybox", "t" * 128, None,
         "docker.io/library/busybox:" + "t" * 128, "busybox:" + "t" * 128),
    ],
)
def test_parse_reference(text: str, registry: str, repository: str, tag: str | None,
                         digest: str | None, full: str, familiar: str) -> None:
    ref = parse_reference(text)
    assert ref == Reference(registry, repository, tag, digest)
    assert str(ref) == full
    assert ref.familiar == familiar


def test_default_registry() -> None:
    assert DEFAULT_REGISTRY == "docker.io"


def test_parsing_is_idempotent() -> None:
    for text in ["busybox", "me/app:1", "localhost:5000/x:tag", f"busybox@{DIGEST}"]:
        ref = parse_reference(text)
        assert parse_reference(str(ref)) == ref
        assert parse_reference(ref.familiar) == ref


@pytest.mark.parametrize(
    "text",
    [
        "",
        " busybox",
        "busybox ",
        "busybox\n",
        "Busybox",
        "UPPER/case",
        "busybox:",
        "busybox:-tag",
        "busybox:.tag",
        "busybox:" + "t" * 129,
        "-busybox",
        "busybox-",
        "bus..box",
        "a/",
        "/a",
        "a//b",
        "localhost:5000/",
        "busybox@",
        "busybox@sha256:abc",
        "busybox@sha256",
        f"busybox@{DIGEST}@{DIGEST}",
        "busy box",
        "@" + DIGEST,
    ],
)
def test_invalid_references(text: str) -> None:
    with pytest.raises(InvalidReference):
        parse_reference(text)


def test_invalid_reference_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="invalid"):
        parse_reference("Nope")


def test_reference_without_tag_or_digest_prints_bare() -> None:
    ref = Reference("example.com", "a/b")
    assert str(ref) == "example.com/a/b"
    assert ref.familiar == "example.com/a/b"
    assert Reference("docker.io", "library/x").familiar == "x"


def test_legacy_docker_hub_domain_is_normalised() -> None:
    assert parse_reference("index.docker.io/busybox") == parse_reference("busybox")


def test_non_ascii_tag_is_invalid() -> None:
    with pytest.raises(InvalidReference):
        parse_reference("busybox:tést")


@pytest.mark.parametrize("text", ["busybox:a/b", "my reg.io/app", "reg.io:port/app",
                                  "-bad.io/app"])
def test_invalid_registry_is_rejected(text: str) -> None:
    with pytest.raises(InvalidReference):
        parse_reference(text)
