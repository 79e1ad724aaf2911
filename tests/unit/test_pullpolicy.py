"""compose/planning/pullpolicy.py: docker compose's pull decisions, as a table."""

from __future__ import annotations

import pytest

from common.errors import UsageError
from compose.planning.pullpolicy import (
    DAY,
    PullPolicy,
    PullRequest,
    must_pull,
    parse_pull_policy,
    plan_pulls,
)

NOW = 1_000_000.0


@pytest.mark.parametrize(("text", "policy"), [
    (None, PullPolicy("missing")), ("", PullPolicy("missing")),
    ("if_not_present", PullPolicy("missing")), ("always", PullPolicy("always")),
    ("never", PullPolicy("never")), ("build", PullPolicy("build")),
    ("daily", PullPolicy("refresh", DAY)), ("weekly", PullPolicy("refresh", 7 * DAY)),
    ("every_12h", PullPolicy("refresh", 12 * 3600)), ("every_1h30m", PullPolicy("refresh", 5400)),
])
def test_parse(text: str | None, policy: PullPolicy) -> None:
    assert parse_pull_policy(text) == policy


@pytest.mark.parametrize("text", ["sometimes", "every_", "every_0s", "every_x", "every_-1h"])
def test_parse_refuses(text: str) -> None:
    with pytest.raises(UsageError, match="invalid pull_policy"):
        parse_pull_policy(text)


@pytest.mark.parametrize(("policy", "present", "tagged", "pull"), [
    ("always", True, NOW, True), ("always", False, None, True),
    ("never", False, None, False), ("build", False, None, False),
    ("missing", True, None, False), ("missing", False, None, True),
    ("daily", False, None, True), ("daily", True, None, True),
    ("daily", True, NOW - DAY + 1, False), ("daily", True, NOW - DAY, True),
    ("every_1h", True, NOW - 3599, False), ("every_1h", True, NOW - 3601, True),
])
def test_must_pull(policy: str, present: bool, tagged: float | None, pull: bool) -> None:
    assert must_pull(parse_pull_policy(policy), present=present, tagged=tagged,
                     now=NOW) is pull


def test_plan_groups_services_by_image_and_platform() -> None:
    services = {
        "a": {"image": "app:1"}, "b": {"image": "app:1"},
        "c": {"image": "app:1", "platform": "linux/arm64"},
        "d": {"image": "db:2", "pull_policy": "never"},
        "e": {"image": "cache:3", "pull_policy": "always"},
        "f": {"build": {"context": "."}},
    }
    images = {"a": "app:1", "b": "app:1", "c": "app:1", "d": "db:2", "e": "cache:3",
              "f": "proj-f"}
    local = {"cache:3": (True, NOW)}
    assert plan_pulls(services, images, local, NOW) == [
        PullRequest("app:1", None, ("a", "b")), PullRequest("app:1", "linux/arm64", ("c",)),
        PullRequest("cache:3", None, ("e",))]
    local = {"app:1": (True, NOW), "cache:3": (True, NOW), "db:2": (True, NOW)}
    assert plan_pulls(services, images, local, NOW) == [PullRequest("cache:3", None, ("e",))]


def test_plan_default_and_override() -> None:
    services = {"a": {"image": "app:1"}, "n": {"image": "n:1", "pull_policy": "never"}}
    images = {"a": "app:1", "n": "n:1"}
    local = {"app:1": (True, NOW), "n:1": (True, NOW)}
    assert plan_pulls(services, images, local, NOW, default="always") == [
        PullRequest("app:1", None, ("a",))]
    assert plan_pulls(services, images, local, NOW, override="always") == [
        PullRequest("app:1", None, ("a",)), PullRequest("n:1", None, ("n",))]
    assert plan_pulls(services, images, local, NOW, override="missing") == []


def test_plan_names_the_service_of_a_bad_policy() -> None:
    with pytest.raises(UsageError, match="service web: invalid pull_policy 'sometimes'"):
        plan_pulls({"web": {"image": "x", "pull_policy": "sometimes"}}, {"web": "x"}, {}, NOW)
