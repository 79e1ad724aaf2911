"""The files a load depended on beyond the Compose files it parsed: env and label
files of services (read while the model is made), an included project's ``.env``
(present or not).  The load cache (``compose/spec/loadcache.py``) keeps a loaded
project only as long as every one of them is as it was, missing ones included,
so each read or existence check of the load notes its path here."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_noted: ContextVar[list[str] | None] = ContextVar("compose_load_reads", default=None)


def note(path: str) -> None:
    """The load's result depends on ``path``'s content, or on its absence."""
    noted = _noted.get()
    if noted is not None:
        noted.append(os.path.abspath(path))


@contextmanager
def recording() -> Iterator[list[str]]:
    """The paths noted while the block runs (this context's loads only)."""
    noted: list[str] = []
    token = _noted.set(noted)
    try:
        yield noted
    finally:
        _noted.reset(token)
