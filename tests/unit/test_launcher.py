"""The ``pycompose`` command is ``bin/pycompose`` as written (pyproject's
``script-files``), not a console script generated from an entry point: that one
imports ``re`` before anything of ours, 5 ms of every command's start."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

LAUNCHER = Path(__file__).parents[2] / "bin" / "pycompose"
INSTALLED = Path(sys.executable).with_name("pycompose")


def test_the_launcher_imports_the_app_alone() -> None:
    tree = ast.parse(LAUNCHER.read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom)}
    assert imported == {"sys", "compose.app"}


def test_the_installed_command_is_the_launcher() -> None:
    if not INSTALLED.exists():
        pytest.skip("pycompose is not installed beside this interpreter")
    installed = INSTALLED.read_text().splitlines()
    written = LAUNCHER.read_text().splitlines()
    assert installed[0].startswith("#!") and installed[0].endswith("python")
    assert installed[1:] == written[1:]


def test_the_installed_command_runs() -> None:
    if not INSTALLED.exists():
        pytest.skip("pycompose is not installed beside this interpreter")
    done = subprocess.run([str(INSTALLED), "version", "--short"], capture_output=True,
                          text=True, timeout=60, check=True)
    assert done.stdout.strip()
