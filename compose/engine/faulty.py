"""A backend whose every operation is a step of ``common/faults.py``: under
``PYCOMPOSE_FAULT`` the Nth of them fails or kills the command.  Wired at the
composition root only when a test arms it."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import wraps
from typing import Any

from common import faults


class Faulty:
    """``backend`` with each coroutine method counted as a step before it runs."""

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
        async def stepped(*args: Any, **kwargs: Any) -> Any:
            faults.step(event)
            return await method(*args, **kwargs)
        return stepped
