"""Rules keyed by key-path patterns (``("services", "*", "ports")``), looked up fast.

Merging, de-duplication and interpolation casts each consult such a table for
every node of a file; scanning every pattern for every node made loading a large
project slow, so patterns are indexed by length and last key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Generic, TypeVar

T = TypeVar("T")
Pattern = tuple[str | int, ...]
WILDCARD = "*"


class PathTable(Generic[T]):
    """The first pattern, in table order, that matches a path; ``*`` matches one key."""

    def __init__(self, rules: Mapping[Any, T] | Iterable[tuple[Any, T]]) -> None:
        items = list(rules.items()) if isinstance(rules, Mapping) else list(rules)
        self._index: dict[tuple[int, str], list[tuple[int, Pattern, T]]] = {}
        for order, (pattern, value) in enumerate(items):
            key = (len(pattern), str(pattern[-1]) if pattern else "")
            self._index.setdefault(key, []).append((order, pattern, value))

    def lookup(self, path: tuple[object, ...]) -> T | None:
        if not path:
            return None
        last = str(path[-1])
        candidates = [*self._index.get((len(path), last), ()),
                      *self._index.get((len(path), WILDCARD), ())]
        if len(candidates) > 1:
            candidates.sort(key=lambda item: item[0])
        for _, pattern, value in candidates:
            if all(p == WILDCARD or p == str(k) for k, p in zip(path, pattern, strict=True)):
                found: T = value
                return found
        return None
