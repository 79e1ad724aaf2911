"""A backend whose every operation is a step of ``common/faults.py``: under
``PYCOMPOSE_FAULT`` the Nth of them fails or kills the command.  Wired at the
composition root only when a test arms it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from common import faults
from compose.engine.traced import Traced


class Faulty(Traced):
    """``backend`` with each coroutine method counted as a step before it runs (the
    delegation is ``Traced``'s; only what wraps each call differs)."""

    @staticmethod
    def _wrap(method: Callable[..., Any], event: str) -> Callable[..., Any]:
        @wraps(method)
        async def stepped(*args: Any, **kwargs: Any) -> Any:
            faults.step(event)
            return await method(*args, **kwargs)
        return stepped
