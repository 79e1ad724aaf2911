"""Go's maps, apart from the structs: a loaded project's canonical form holds them,
and the load cache (``compose/spec/loadcache.py``) brings one back without
importing the rest of the Go model."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class GoMap(dict[str, Any]):
    """A Go map (not a struct): its keys print sorted, bytewise in JSON and in
    YAML's natural order (``a2`` before ``a10``)."""


def go_map(items: Iterable[tuple[str, Any]]) -> GoMap:
    return GoMap(sorted(items, key=lambda item: item[0]))
