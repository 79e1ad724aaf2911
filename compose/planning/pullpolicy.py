"""``pull_policy``: whether ``up`` pulls a service's image first (pure).

docker compose's rules (``mustPull``): ``always`` pulls, ``never`` and ``build``
never do, ``missing`` (the default; ``if_not_present`` is its old name) pulls an
image that is not in the store, and ``daily``, ``weekly`` and ``every_<duration>``
pull when the local name is older than that (docker's LastTagTime: when the name
was last pointed at an image).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from common.durations import parse_duration
from common.errors import UsageError

DAY = 86400.0


@dataclass(frozen=True)
class PullPolicy:
    kind: str  # "always" | "never" | "missing" | "build" | "refresh"
    interval: float = 0.0

    def __str__(self) -> str:
        return self.kind if self.kind != "refresh" else f"every {self.interval:g}s"


def parse_pull_policy(value: str | None) -> PullPolicy:
    text = (value or "missing").strip()
    if text in ("always", "never", "missing", "build"):
        return PullPolicy(text)
    if text == "if_not_present":
        return PullPolicy("missing")
    if text == "daily":
        return PullPolicy("refresh", DAY)
    if text == "weekly":
        return PullPolicy("refresh", 7 * DAY)
    if text.startswith("every_"):
        try:
            interval = parse_duration(text.removeprefix("every_"))
        except ValueError:
            interval = 0.0
        if interval > 0:
            return PullPolicy("refresh", interval)
    raise UsageError(f"invalid pull_policy {text!r} (always, never, missing, build, daily, "
                     "weekly or every_<duration>)")


def must_pull(policy: PullPolicy, *, present: bool, tagged: float | None, now: float) -> bool:
    """Whether to pull, given whether the image is in the store and when its name
    was last tagged there."""
    if policy.kind == "always":
        return True
    if policy.kind in ("never", "build"):
        return False
    if policy.kind == "refresh":
        return not present or tagged is None or now >= tagged + policy.interval
    return not present


@dataclass(frozen=True)
class PullRequest:
    """One image ``up`` or ``pull`` fetches, for the services that use it."""

    image: str
    platform: str | None
    services: tuple[str, ...]


def service_policy(canonical: Mapping[str, Any], override: str | None = None,
                   default: str = "missing") -> PullPolicy:
    return parse_pull_policy(override or canonical.get("pull_policy") or default)


def plan_pulls(services: Mapping[str, Mapping[str, Any]], images: Mapping[str, str],
               local: Mapping[str, tuple[bool, float | None]], now: float,
               override: str | None = None, default: str = "missing") -> list[PullRequest]:
    """The pulls to make, one per image and platform, for the services (name to
    canonical form) whose policy asks; ``local`` says, per image, whether it is in
    the store and when it was tagged.  ``override`` replaces every service's policy,
    ``default`` stands for an unset one (``pull`` pulls those always, ``up`` only
    when missing)."""
    wanted: dict[tuple[str, str | None], list[str]] = {}
    for name, canonical in services.items():
        image = images[name]
        present, tagged = local.get(image, (False, None))
        if not canonical.get("image") and canonical.get("build"):
            continue  # an image to build, not to pull
        try:
            policy = service_policy(canonical, override, default)
        except UsageError as exc:
            raise UsageError(f"service {name}: {exc}") from None
        if must_pull(policy, present=present, tagged=tagged, now=now):
            platform = canonical.get("platform") or None
            wanted.setdefault((image, platform), []).append(name)
    return [PullRequest(image, platform, tuple(names))
            for (image, platform), names in wanted.items()]
