"""The supervisor's structlog comes without rich (compose/supervisor/plainlog.py):
its JSON lines need none of rich's pretty printing, and rich stays importable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
from compose.supervisor.plainlog import import_structlog
import_structlog()
import structlog.dev, structlog.tracebacks
print("rich" in sys.modules, structlog.dev.rich is None, structlog.tracebacks.rich is None)
import rich.console
print("rich" in sys.modules)
"""


def test_structlog_is_imported_without_rich_which_stays_importable() -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True,
                            text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["False True True", "True"]


DEFERRED = """
import sys
from compose.supervisor.plainlog import import_structlog
import_structlog()
print([type(sys.modules[name]).__name__ for name in ("asyncio", "uuid")])
import structlog.threadlocal, structlog.stdlib
async def answer():
    return 42
import asyncio
print(asyncio.run(answer()), type(sys.modules["asyncio"]).__name__)
"""


def test_asyncio_and_uuid_wait_until_used() -> None:
    """structlog imports them for what the supervisor never calls; used later,
    they are the real modules."""
    result = subprocess.run([sys.executable, "-c", DEFERRED], cwd=REPO, capture_output=True,
                            text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["['_StandIn', '_StandIn']", "42 module"]
