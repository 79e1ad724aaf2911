"""common/standins.py: a deferred module is imported at the first read of one of its
attributes, and is then the real module for every holder of it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
from common import standins
standins.defer("json", "email", "no_such_module_here")
import json
import email
assert type(sys.modules["json"]).__name__ == "_StandIn" and "json.decoder" not in sys.modules
assert "no_such_module_here" not in sys.modules  # nothing to stand in for
held = json
assert held.dumps([1]) == "[1]"  # the first read imports it
assert "json.decoder" in sys.modules and type(sys.modules["json"]).__name__ == "module"
import json as again
assert again is sys.modules["json"] and again is not held
assert held.JSONDecodeError is again.JSONDecodeError  # the same classes either way
import email.message  # a submodule of a stand-in: the package is imported first
assert type(sys.modules["email"]).__name__ == "module"
assert email.message.Message is sys.modules["email.message"].Message
"""

AFTER_TRIO = """
import sys
from common import standins
standins.defer(*standins.AFTER_TRIO)
import trio
left = [n for n in standins.AFTER_TRIO if type(sys.modules[n]).__name__ != "_StandIn"]
assert not left, left
assert "_ssl" not in sys.modules and "_hashlib" not in sys.modules
import ssl
assert trio.SSLStream is not None and ssl.create_default_context().check_hostname
assert "_ssl" in sys.modules
"""


def test_only_top_level_modules_stand_in() -> None:
    from common import standins

    with pytest.raises(ValueError, match=r"concurrent\.futures"):
        standins.defer("concurrent.futures")


def _run(script: str) -> None:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=REPO,
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr


def test_a_stand_in_becomes_the_real_module_at_its_first_use() -> None:
    _run(SCRIPT)


def test_trio_imports_without_tls_until_tls_is_used() -> None:
    """If trio came to use one of these at its import, the stand-in would only cost
    a lookup; this says when it no longer saves anything."""
    _run(AFTER_TRIO)
