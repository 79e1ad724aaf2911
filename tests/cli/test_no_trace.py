"""A command that leaves nothing running leaves no trace under /run: the root's
runtime directory it made goes again, and the OCI runtime probed for the host is
remembered in one file for every root (not one directory per root: test roots
piled up by the hundred)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from common.paths import RUNTIME_CHOICE, Layout

REPO = Path(__file__).resolve().parents[2]


def test_ps_and_images_of_an_empty_root_leave_no_runtime_directory(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(textwrap.dedent("""
        services:
          web: {image: busybox}
    """))
    environ = {k: v for k, v in os.environ.items()
               if k not in {"COMPOSE_FILE", "COMPOSE_PROJECT_NAME"}}
    environ.update({"PYTHONPATH": str(REPO), "NO_COLOR": "1",
                    "PYCOMPOSE_ROOT": str(tmp_path / ".state")})
    run = Layout.from_environ(environ).run
    for verb in ("ps", "images"):
        result = subprocess.run([sys.executable, "-m", "compose", verb], cwd=tmp_path,
                                env=environ, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert not run.exists(), f"{verb} left {run}: {sorted(os.listdir(run))}"
    assert RUNTIME_CHOICE.read_text().splitlines()[0] in ("runc", "crun")
