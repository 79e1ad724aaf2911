"""What a container shows while a restart is staged: the run it replaces.

The supervisor stages a restart during its back-off (conmon holds the next run,
created, its process not started), and that erases the last run's exit file.
Until the staged run starts, ``staged.json`` keeps that run (exit code, start
and end), so the container still shows it exited (Docker's ``restarting``) and,
if the restart is called off, shows it again as before.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from common.statefiles import mtime, read_json, write_atomic, write_json

STAGED = "staged.json"


@dataclass(frozen=True)
class LastRun:
    exit_code: int | None
    started_at: float | None
    finished_at: float | None


def remember(directory: Path, exit_file: Path, exit_code: int | None) -> None:
    """Before staging: keep the last run, whose exit file the staging erases."""
    write_json(directory / STAGED, {"exit_code": exit_code,
                                    "started_at": mtime(directory / "pid"),
                                    "finished_at": mtime(exit_file)}, make_parent=False)


def last_run(directory: Path) -> LastRun | None:
    """The run a staged restart replaces; None when none is staged."""
    try:
        value = read_json(directory / STAGED)
    except (FileNotFoundError, ValueError):
        return None
    return LastRun(value.get("exit_code"), value.get("started_at"), value.get("finished_at"))


def is_staged(directory: Path) -> bool:
    return (directory / STAGED).exists()


def started(directory: Path) -> None:
    """The staged run started: it began now, not when it was staged."""
    if is_staged(directory):
        with contextlib.suppress(FileNotFoundError):
            os.utime(directory / "pid")
        (directory / STAGED).unlink(missing_ok=True)


def called_off(directory: Path, exit_file: Path, last: LastRun) -> None:
    """The staged run is gone: the last run's exit file comes back as it was."""
    if last.exit_code is not None:
        with contextlib.suppress(FileNotFoundError):
            write_atomic(exit_file, f"{last.exit_code}".encode(), make_parent=False)
            if last.finished_at is not None:
                os.utime(exit_file, (last.finished_at, last.finished_at))
    (directory / STAGED).unlink(missing_ok=True)
