"""``--verbose``: each step a command takes, logged to stderr through structlog,
with its duration.

Off by default, and then free: structlog is imported only by ``enable``, and
``event``/``step`` cost one test of a global.  The CLI turns it on; the engine
logs its plan and image resolution here, and the composition root wraps each
backend (compose/engine/traced.py) so every runtime, network, volume and image
operation is logged with how long it took.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TextIO

_log: Any = None


def enable(stream: TextIO) -> None:
    """Log from now on, one line per event on ``stream`` (stderr)."""
    global _log
    import logging

    import structlog

    structlog.configure(
        processors=[structlog.processors.add_log_level,
                    structlog.processors.TimeStamper(fmt="%H:%M:%S.%f", utc=False),
                    structlog.dev.ConsoleRenderer(colors=False, pad_event=24)],
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=True,
    )
    _log = structlog.get_logger("pycompose")


def enabled() -> bool:
    return _log is not None


def event(name: str, **fields: object) -> None:
    if _log is not None:
        _log.debug(name, **fields)


@contextmanager
def step(name: str, **fields: object) -> Iterator[None]:
    """Log ``name`` once it is done, with its duration (and the error, if it failed)."""
    if _log is None:
        yield
        return
    started = time.perf_counter()
    try:
        yield
    except BaseException as exc:
        _log.debug(name, ms=_since(started), failed=type(exc).__name__, **fields)
        raise
    _log.debug(name, ms=_since(started), **fields)


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
