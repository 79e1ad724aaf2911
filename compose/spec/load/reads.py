"""What a load depended on beyond the Compose files it parsed, for the load cache
(``compose/spec/loadcache.py``), which keeps a loaded project only as long as all
of it is as it was:

- files: env and label files of services (read while the model is made), an
  included project's ``.env`` (present or not), missing ones included: each read
  or existence check of the load notes its path here;
- variables: the names the load looked up in its environment (interpolation, bare
  ``environment`` keys, ``COMPOSE_PROFILES``...), set or not, through ``Watched``.
  A load that went through the whole environment depends on all of it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class Reads:
    """What one load depended on so far."""

    paths: list[str] = field(default_factory=list)
    variables: set[str] = field(default_factory=set)
    every_variable: bool = False
    """The whole environment was gone through (copied, iterated)."""


_noted: ContextVar[Reads | None] = ContextVar("compose_load_reads", default=None)


def note(path: str) -> None:
    """The load's result depends on ``path``'s content, or on its absence."""
    noted = _noted.get()
    if noted is not None:
        noted.paths.append(os.path.abspath(path))


@contextmanager
def recording() -> Iterator[Reads]:
    """What is noted while the block runs (this context's loads only)."""
    noted = Reads()
    token = _noted.set(noted)
    try:
        yield noted
    finally:
        _noted.reset(token)


class Watched(Mapping[str, str]):
    """An environment whose lookups are noted: a name looked up is a dependency of
    the load whether it is set or not; going through all of it makes every
    variable one.  ``over`` holds values the load itself set (the project's name),
    looked up first."""

    def __init__(self, base: Mapping[str, str], over: Mapping[str, str] | None = None) -> None:
        self._base = base
        self._over = dict(over or {})

    def plus(self, values: Mapping[str, str]) -> Watched:
        """The same environment with ``values`` set on top."""
        return Watched(self._base, {**self._over, **values})

    def __getitem__(self, name: str) -> str:
        _note_variable(name)
        if name in self._over:
            return self._over[name]
        return self._base[name]

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str):
            _note_variable(name)
        return name in self._over or name in self._base

    def __iter__(self) -> Iterator[str]:
        _note_every_variable()
        yield from self._over
        yield from (name for name in self._base if name not in self._over)

    def __bool__(self) -> bool:  # ``environ or {}`` tells nothing a lookup would not
        return bool(self._over) or bool(self._base)

    def __len__(self) -> int:
        _note_every_variable()
        return len(self._over) + sum(1 for name in self._base if name not in self._over)


class Layered(Mapping[str, str]):
    """Read-only layers of values, the first that has a name wins: unlike
    ``ChainMap``, it copies nothing and needs no mutable mapping (a ``Watched``)."""

    def __init__(self, *layers: Mapping[str, str]) -> None:
        self._layers = layers

    def __getitem__(self, name: str) -> str:
        for layer in self._layers:
            if name in layer:
                return layer[name]
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return any(name in layer for layer in self._layers)

    def __bool__(self) -> bool:  # without going through them
        return any(self._layers)

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for layer in self._layers:
            for name in layer:
                if name not in seen:
                    seen.add(name)
                    yield name

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _note_variable(name: str) -> None:
    noted = _noted.get()
    if noted is not None:
        noted.variables.add(name)


def _note_every_variable() -> None:
    noted = _noted.get()
    if noted is not None:
        noted.every_variable = True
