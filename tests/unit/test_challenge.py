"""runtime/distribution/challenge.py: WWW-Authenticate headers as registries send them."""

from __future__ import annotations

from runtime.distribution.challenge import (
    Challenge,
    best_challenge,
    parse_challenges,
    repository_scope,
)


def test_bearer_challenge() -> None:
    header = ('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
              'scope="repository:library/busybox:pull"')
    assert parse_challenges(header) == [Challenge("bearer", {
        "realm": "https://auth.docker.io/token", "service": "registry.docker.io",
        "scope": "repository:library/busybox:pull"})]


def test_basic_challenge_and_token_values() -> None:
    assert parse_challenges('Basic realm="Registry Realm"') == [
        Challenge("basic", {"realm": "Registry Realm"})]
    assert parse_challenges("Bearer realm=https://x/token, service=reg") == [
        Challenge("bearer", {"realm": "https://x/token", "service": "reg"})]


def test_quoted_escapes_and_several_challenges() -> None:
    header = 'Basic realm="a \\"b\\"", Bearer realm="https://t",scope="x:y:pull,push"'
    assert parse_challenges(header) == [
        Challenge("basic", {"realm": 'a "b"'}),
        Challenge("bearer", {"realm": "https://t", "scope": "x:y:pull,push"})]


def test_best_challenge_prefers_bearer_with_a_realm() -> None:
    assert best_challenge(['Basic realm="r"', 'Bearer realm="https://t"']) == Challenge(
        "bearer", {"realm": "https://t"})
    assert best_challenge(['Bearer service="x"', 'Basic realm="r"']) == Challenge(
        "basic", {"realm": "r"})
    assert best_challenge(["Negotiate abc"]) is None
    assert best_challenge([]) is None


def test_repository_scope() -> None:
    assert repository_scope("lib/app", "pull", "push") == "repository:lib/app:pull,push"
