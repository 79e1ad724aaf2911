"""What the host can do to pycompose: a state root that fills up.

Whatever write meets the full disk, ``up`` fails with one line naming the file and
what to do, no state file is torn, and once space is back the next ``up`` converges
and ``down`` leaves nothing behind."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tests.integration.conftest import Stack
from tests.integration.test_skeleton import write_compose

COMPOSE = """
    services:
      a:
        image: busybox
        command: ["sleep", "300"]
        volumes: [data:/data]
      b:
        image: busybox
        command: ["sleep", "300"]
    volumes:
      data: {}
"""


def fill(root: Path, leave_kib: int) -> Path:
    """A file taking all of the filesystem's free space but ``leave_kib``."""
    filler = root / "filler"
    free = shutil.disk_usage(root).free // 1024
    with open(filler, "wb") as handle:
        handle.truncate(0)
    subprocess.run(["fallocate", "-l", f"{max(free - leave_kib, 1)}KiB", str(filler)],
                   check=True)
    return filler


def torn_records(root: Path) -> list[str]:
    torn = []
    for path in root.rglob("*.json"):
        try:
            json.loads(path.read_text())
        except ValueError:
            torn.append(str(path))
    return torn


def test_a_full_disk_fails_up_cleanly_and_the_next_up_works(
        stack: Stack, busybox_images: Path, tmp_path: Path) -> None:
    stack.root.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(stack.root)],
                   check=True)
    try:
        shutil.copytree(busybox_images, stack.root / "images", symlinks=True)
        project = write_compose(tmp_path / "full", COMPOSE).parent
        failures = set()
        for leave in (0, 8, 16, 32, 64, 96, 128, 160, 256):
            filler = fill(stack.root, leave)
            result = stack.run("up", "-d", cwd=project, check=False)
            if result.returncode != 0:
                assert result.returncode == 1
                assert "Traceback" not in result.stderr, result.stderr
                errors = [line for line in result.stderr.splitlines()
                          if line.startswith("error: ")]  # beside the progress lines
                assert len(errors) == 1, result.stderr
                assert "no space left on device" in errors[0].lower(), errors
                failures.add(errors[0].split(": ")[1].rsplit("/", 1)[-1])
            assert torn_records(stack.root) == []
            filler.unlink()
            stack.run("up", "-d", cwd=project)
            assert [r["State"] for r in stack.ps(project)] == ["running", "running"]
            stack.run("down", "-v", "-t", "0", cwd=project)
            assert not list((stack.root / "containers").iterdir())
        assert len(failures) >= 3, failures  # the disk filled at several different steps
    finally:
        subprocess.run(["umount", "-l", str(stack.root)], capture_output=True)
