"""structlog without its pretty console output, for the supervisor: it logs JSON
lines, yet ``import structlog`` imports rich when it can (pretty tracebacks,
pretty printing: 35 ms of a standby's start, which a first ``up`` waits for).
Imported here with rich hidden, structlog takes rich as not installed; rich stays
importable afterwards for whoever needs it.  ``asyncio``, which ``structlog.stdlib``
imports for its asynchronous loggers (the supervisor runs on trio and has none),
and ``uuid``, which ``structlog.threadlocal`` uses only when called, wait until
first used (``common/standins.py``): 15-45 ms of every standby's start, ssl's
included."""

from __future__ import annotations

import sys


def import_structlog() -> None:
    """Import structlog, without rich unless something imported rich already."""
    if "structlog" in sys.modules:
        return
    from common import standins

    standins.defer("asyncio", "uuid")
    hide = "rich" not in sys.modules
    if hide:
        sys.modules["rich"] = None  # type: ignore[assignment]  # import rich: ImportError
    try:
        import structlog  # noqa: F401
    finally:
        if hide:
            del sys.modules["rich"]
