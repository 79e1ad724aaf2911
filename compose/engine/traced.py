"""A backend whose every operation is logged with its duration (``--verbose``).

The composition root wraps each backend in ``Traced`` when tracing is on
(common/trace.py), so the engine's code stays free of logging calls: what the
runtime, the network, the volumes and the image store were asked, about what,
and how long each took.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import wraps
from typing import Any

from common import trace


def _subject(args: tuple[Any, ...]) -> str:
    """What an operation is about: a container's or network's name, else the first
    plain argument."""
    for value in args:
        name = getattr(value, "name", None)
        if isinstance(name, str):
            return name
        if isinstance(value, str):
            return value
    return ""


class Traced:
    """``backend`` with its coroutine methods logged as ``<kind>.<method>``; other
    members pass through untouched (the cheap, synchronous ones)."""

    def __init__(self, backend: object, kind: str) -> None:
        self._backend = backend
        self._kind = kind

    def __getattr__(self, name: str) -> Any:
        member = getattr(self._backend, name)
        if not inspect.iscoroutinefunction(member):
            return member
        return self._wrap(member, f"{self._kind}.{name}")

    @staticmethod
    def _wrap(method: Callable[..., Any], event: str) -> Callable[..., Any]:
        @wraps(method)
        async def traced(*args: Any, **kwargs: Any) -> Any:
            with trace.step(event, about=_subject(args)):
                return await method(*args, **kwargs)
        return traced
