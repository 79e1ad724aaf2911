"""runtime/oci/filesync.py: watch's sync into a container's root directory: files
replaced keeping owner and mode, directories made, deletions, links never followed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from common.syncpaths import DIRECTORY, FILE, MISSING, SyncEntry
from runtime.oci.filesync import sync_into

ME = (os.getuid(), os.getgid())


@pytest.fixture
def root(tmp_path: Path) -> Path:
    rootfs = tmp_path / "rootfs"
    (rootfs / "www").mkdir(parents=True)
    (rootfs / "www" / "index.html").write_text("old\n")
    (rootfs / "www" / "index.html").chmod(0o640)
    (rootfs / "www" / "gone").mkdir()
    (rootfs / "www" / "gone" / "x").write_text("x")
    (rootfs / "escape").symlink_to("/")          # inside the container: its own root
    return rootfs


@pytest.fixture
def host(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "index.html").write_text("new\n")
    (src / "index.html").chmod(0o600)
    (src / "new.sh").write_text("#!/bin/sh\n")
    (src / "new.sh").chmod(0o755)
    return src


def test_file_replaced_keeping_owner_and_mode(root: Path, host: Path) -> None:
    before = (root / "www" / "index.html").stat()
    sync_into(str(root), [SyncEntry("/www/index.html", str(host / "index.html"), FILE)], ME)
    after = (root / "www" / "index.html").stat()
    assert (root / "www" / "index.html").read_text() == "new\n"
    assert after.st_mode & 0o777 == 0o640                    # the container's mode kept
    assert (after.st_uid, after.st_gid) == (before.st_uid, before.st_gid)
    assert not [p for p in os.listdir(root / "www") if "pycompose-sync" in p]


def test_new_file_in_new_directories_takes_host_mode(root: Path, host: Path) -> None:
    sync_into(str(root), [SyncEntry("/www/a/b/new.sh", str(host / "new.sh"), FILE)], ME)
    made = root / "www" / "a" / "b" / "new.sh"
    assert made.read_text() == "#!/bin/sh\n"
    assert made.stat().st_mode & 0o777 == 0o755
    assert (made.stat().st_uid, made.stat().st_gid) == ME


def test_deletions_and_directories(root: Path, host: Path) -> None:
    sync_into(str(root), [
        SyncEntry("/www/gone", str(host / "gone"), MISSING),
        SyncEntry("/www/never-there", str(host / "never-there"), MISSING),
        SyncEntry("/www/sub", str(host), DIRECTORY),
    ], ME)
    assert not (root / "www" / "gone").exists()
    assert (root / "www" / "sub").is_dir()


def test_links_in_the_container_are_not_followed_out(root: Path, host: Path,
                                                     tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "www" / "link").symlink_to(outside)                 # absolute: host's path
    sync_into(str(root), [SyncEntry("/www/link/f", str(host / "index.html"), FILE),
                          SyncEntry("/escape/www/x", str(host / "index.html"), FILE)], ME)
    assert list(outside.iterdir()) == []
    assert (root / "www" / "x").read_text() == "new\n"            # resolved inside


def test_a_host_link_is_copied_as_a_link(root: Path, host: Path) -> None:
    (host / "l").symlink_to("/etc/passwd")
    sync_into(str(root), [SyncEntry("/www/l", str(host / "l"), FILE)], ME)
    assert os.readlink(root / "www" / "l") == "/etc/passwd"


def test_file_over_directory_and_vanished_source(root: Path, host: Path) -> None:
    sync_into(str(root), [SyncEntry("/www/gone", str(host / "index.html"), FILE),
                          SyncEntry("/www/y", str(host / "vanished"), FILE)], ME)
    assert (root / "www" / "gone").read_text() == "new\n"
    assert not (root / "www" / "y").exists()
