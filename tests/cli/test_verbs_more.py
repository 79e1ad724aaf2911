"""``version``, ``create``, ``scale``, ``export`` and ``commit`` through the real
CLI: their flags, output and exit statuses, and the usage errors that stop them
before any container work (as docker compose's)."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

from common.paths import Layout
from compose import __version__
from compose.cli.commands.commit import split_words
from compose.cli.main import fast_version
from tests.cli.test_bad_input import REPO, one_line_error, project, pycompose


def test_version_short_and_json(tmp_path: Path) -> None:
    assert pycompose(tmp_path, "version").stdout == f"pycompose version {__version__}\n"
    assert pycompose(tmp_path, "version", "--short").stdout == f"{__version__}\n"
    for flags in (["--format", "json"], ["-f", "json"], ["--format=json"]):
        result = pycompose(tmp_path, "version", *flags)
        assert result.returncode == 0
        assert json.loads(result.stdout) == {"version": f"v{__version__}"}
    # global options first: argparse's path, same output
    assert pycompose(tmp_path, "-p", "x", "version", "--short").stdout == f"{__version__}\n"
    assert json.loads(pycompose(tmp_path, "-p", "x", "version", "-f", "json").stdout) == \
        {"version": f"v{__version__}"}
    # docker compose: an unknown format is the sentence, --short wins over --format
    assert pycompose(tmp_path, "version", "--format", "xml").stdout.startswith("pycompose")
    assert fast_version(["version", "--short", "--format", "json"]) == __version__
    assert pycompose(tmp_path, "version", "extra").returncode == 2


def test_version_short_imports_no_trio() -> None:
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "compose", "version",
                             "--short"], capture_output=True, text=True, cwd=REPO,
                            env={"PYTHONPATH": str(REPO)}, check=True)
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines()}
    assert "trio" not in imported and "rich" not in imported


FARM = """
    services:
      web:
        image: busybox
      db:
        image: busybox
"""


def test_scale_usage_errors(tmp_path: Path) -> None:
    project(tmp_path, FARM)
    assert pycompose(tmp_path, "scale").returncode == 2  # at least one SERVICE=N
    assert one_line_error(pycompose(tmp_path, "scale", "web")) == \
        "error: invalid scale specifier: web"
    assert one_line_error(pycompose(tmp_path, "scale", "web=x")) == \
        "error: invalid scale specifier: can't parse replica value as int: web=x"
    assert one_line_error(pycompose(tmp_path, "scale", "=2")) == \
        "error: invalid scale specifier: =2"
    assert "must not be negative" in one_line_error(pycompose(tmp_path, "scale", "web=-1"))
    assert one_line_error(pycompose(tmp_path, "scale", "nope=2")) == \
        "error: no such service: nope"
    assert not (tmp_path / ".state" / "containers").exists()


def test_create_usage_errors(tmp_path: Path) -> None:
    project(tmp_path, FARM)
    assert one_line_error(pycompose(tmp_path, "create", "--pull", "bogus")) == \
        'error: invalid --pull option "bogus"'
    assert one_line_error(pycompose(tmp_path, "create", "--force-recreate",
                                    "--no-recreate")) == \
        "error: --force-recreate and --no-recreate are incompatible"
    assert pycompose(tmp_path, "create", "--build", "--no-build").returncode == 2
    assert one_line_error(pycompose(tmp_path, "create", "nope")) == \
        "error: no such service: nope"
    assert one_line_error(pycompose(tmp_path, "create", "--scale", "nope=1")) == \
        "error: no such service: nope"
    assert one_line_error(pycompose(tmp_path, "create", "--scale", "web")) == \
        "error: invalid --scale 'web': use SERVICE=NUM"
    assert not (tmp_path / ".state" / "containers").exists()


def test_export_usage_errors(tmp_path: Path) -> None:
    project(tmp_path, FARM)
    assert pycompose(tmp_path, "export").returncode == 2
    assert pycompose(tmp_path, "export", "web", "--index", "x").returncode == 2
    assert one_line_error(pycompose(tmp_path, "export", "nope", "-o", "x.tar")) == \
        "error: no such service: nope"
    assert one_line_error(pycompose(tmp_path, "export", "web", "-o", "no/x.tar")) == \
        'error: failed to export container: invalid output path: directory "no" does not exist'
    (tmp_path / "adir").mkdir()
    assert "must be a regular file" in one_line_error(
        pycompose(tmp_path, "export", "web", "-o", "adir"))


def test_export_refuses_a_terminal(tmp_path: Path) -> None:
    project(tmp_path, FARM)

    env = {"PYTHONPATH": str(REPO), "NO_COLOR": "1", "PYCOMPOSE_ROOT": str(tmp_path / ".state")}
    primary, secondary = pty.openpty()
    try:
        result = subprocess.run([sys.executable, "-m", "compose", "export", "web"], cwd=tmp_path,
                                env=env, stdout=secondary, stderr=subprocess.PIPE, text=True,
                                timeout=30)
    finally:
        os.close(primary)
        os.close(secondary)
        shutil.rmtree(Layout.from_environ(env).run, ignore_errors=True)
    assert result.returncode == 1
    assert result.stderr.strip() == "error: output option is required when exporting to terminal"


def test_commit_usage_errors(tmp_path: Path) -> None:
    project(tmp_path, FARM)
    assert one_line_error(pycompose(tmp_path, "commit")) == \
        "error: accepts between 1 and 2 arg(s), received 0"
    assert one_line_error(pycompose(tmp_path, "commit", "web", "a", "b")) == \
        "error: accepts between 1 and 2 arg(s), received 3"
    assert one_line_error(pycompose(tmp_path, "commit", "nope")) == \
        "error: no such service: nope"
    # -p takes no value unless written --pause=VALUE: `-p web` is the service
    assert one_line_error(pycompose(tmp_path, "commit", "-p", "nope", "img")) == \
        "error: no such service: nope"
    assert split_words("true", ["web"]) == (True, "web", None)
    assert split_words("false", ["web", "img:1"]) == (False, "web", "img:1")
    assert split_words("web", ["img:1"]) == (True, "web", "img:1")
