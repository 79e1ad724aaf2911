"""``pycompose systemd``: print (or ``--install``) a systemd unit that brings the
project up at boot; see compose/cli/views/systemdunit.py."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from common.statefiles import write_atomic
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.cli.views.systemdunit import UnitSpec, unit_name, unit_text

UNIT_DIR = Path("/etc/systemd/system")
PASSED_ON = ("PYCOMPOSE_ROOT", "COMPOSE_PROFILES", "COMPOSE_ENV_FILES", "COMPOSE_PROJECT_NAME")


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("systemd", help="a systemd unit that starts the project at boot")
    parser.add_argument("--install", action="store_true",
                        help=f"write it to {UNIT_DIR} instead of printing it")
    parser.add_argument("--unit-dir", default=str(UNIT_DIR), help=argparse.SUPPRESS)
    parser.set_defaults(prepare=prepare)


def executable() -> list[str]:
    """This pycompose: its console script when there is one, else the module."""
    script = Path(sys.executable).parent / "pycompose"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "compose"]


def prepare(inv: Invocation) -> Prepared:
    loaded = inv.load()
    project = loaded.project
    environment = {k: inv.environ[k] for k in PASSED_ON if inv.environ.get(k)}
    environment.setdefault("PYCOMPOSE_ROOT", inv.environ.get("PYCOMPOSE_ROOT")
                           or "/var/lib/pycompose")
    spec = UnitSpec(
        project=project.name, working_dir=project.working_dir,
        config_files=project.config_files, executable=executable(), environment=environment,
        env_files=[os.path.abspath(os.path.join(inv.cwd, f)) for f in inv.args.env_file],
        profiles=list(inv.args.profile))
    text = unit_text(spec)
    if not inv.args.install:
        inv.output.raw(text)
        return 0
    target = Path(inv.args.unit_dir) / unit_name(project.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, text.encode())
    inv.output.err.print(f"Wrote {target}; enable it with: systemctl daemon-reload && "
                         f"systemctl enable --now {unit_name(project.name)}", markup=False)
    return 0
