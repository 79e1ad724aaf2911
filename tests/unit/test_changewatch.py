"""Whether code changed, answered from inotify events on the files' directories."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from common import changewatch
from common.changewatch import ChangeWatch


@pytest.fixture(params=["inotify", "times"])
def watch_kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "times":  # without inotify: modification times compared
        monkeypatch.setattr(changewatch, "_watch", lambda names: None)
    return str(request.param)


def _files(tmp_path: Path) -> tuple[Path, Path]:
    package = tmp_path / "package"
    package.mkdir()
    (package / "module.py").write_text("x = 1\n")
    return package, package / "module.py"


def test_nothing_done_is_no_change(tmp_path: Path, watch_kind: str) -> None:
    package, module = _files(tmp_path)
    watch = ChangeWatch([str(module), str(package)])
    module.read_text()
    assert not watch.changed()


def test_a_file_written_is_a_change_and_stays_one(tmp_path: Path, watch_kind: str) -> None:
    _, module = _files(tmp_path)
    watch = ChangeWatch([str(module)])
    before = module.stat().st_mtime_ns
    module.write_text("x = 2\n")
    os.utime(module, ns=(before + 10**9, before + 10**9))
    assert watch.changed()
    assert watch.changed()


def test_a_file_added_beside_is_a_change(tmp_path: Path, watch_kind: str) -> None:
    package, module = _files(tmp_path)
    watch = ChangeWatch([str(module), str(package)])
    before = package.stat().st_mtime_ns
    (package / "new.py").write_text("")
    os.utime(package, ns=(before + 10**9, before + 10**9))
    assert watch.changed()
