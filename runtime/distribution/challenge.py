"""``WWW-Authenticate`` challenges (RFC 7235) and registry token scopes (pure).

A registry answers 401 with ``Bearer realm="https://auth/token",service="reg",
scope="repository:app:pull"`` or ``Basic realm="..."``; the client answers the
challenge it understands best (Bearer, then Basic).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
# An unquoted value runs to the next comma: some servers send URLs unquoted.
_PARAM = re.compile(rf'\s*({_TOKEN})\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))\s*')
_SCHEME = re.compile(rf"\s*({_TOKEN})(?:\s+|$)")


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lower case: "bearer", "basic"
    params: dict[str, str] = field(default_factory=dict)


def parse_challenges(header: str) -> list[Challenge]:
    """Every challenge in one header value; unparseable trailing text is ignored."""
    challenges: list[Challenge] = []
    position = 0
    while position < len(header):
        scheme = _SCHEME.match(header, position)
        if not scheme:
            break
        params: dict[str, str] = {}
        position = scheme.end()
        while True:
            param = _PARAM.match(header, position)
            if not param:
                break
            value = param.group(2)
            value = re.sub(r"\\(.)", r"\1", value) if value is not None else param.group(3)
            params[param.group(1).lower()] = value
            position = param.end()
            if header.startswith(",", position):
                position += 1
            else:
                break
        challenges.append(Challenge(scheme.group(1).lower(), params))
        while position < len(header) and header[position] in ", ":
            position += 1
    return challenges


def best_challenge(headers: list[str]) -> Challenge | None:
    """Bearer if offered (with a realm), else Basic."""
    found = [c for h in headers for c in parse_challenges(h)]
    for scheme in ("bearer", "basic"):
        for challenge in found:
            if challenge.scheme == scheme and (scheme == "basic" or challenge.params.get("realm")):
                return challenge
    return None


def repository_scope(repository: str, *actions: str) -> str:
    return f"repository:{repository}:{','.join(actions)}"
