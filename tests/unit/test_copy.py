"""runtime/oci/copy.py: docker cp's rules, and container paths that stay inside."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runtime.oci.copy import CopyError, container_path, container_to_host, host_to_container


@pytest.fixture
def root(tmp_path: Path) -> Path:
    rootfs = tmp_path / "rootfs"
    (rootfs / "etc").mkdir(parents=True)
    (rootfs / "etc" / "passwd").write_text("root:x:0:0::/:/bin/sh\n")
    (rootfs / "dir").mkdir()
    (rootfs / "dir" / "a").write_text("a\n")
    (rootfs / "escape").symlink_to("/etc")  # the container's /etc, never the host's
    return rootfs


def test_container_paths_stay_inside(root: Path) -> None:
    assert container_path(str(root), "/escape/passwd") == str(root / "etc" / "passwd")
    assert container_path(str(root), "escape", follow=False) == str(root / "escape")
    assert container_path(str(root), "../../etc/passwd") == str(root / "etc" / "passwd")


def test_file_in_and_out(root: Path, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("host\n")
    host_to_container(str(tmp_path / "f"), str(root), "/dir/", archive=False, follow=False)
    assert (root / "dir" / "f").read_text() == "host\n"  # onto a directory: inside it
    host_to_container(str(tmp_path / "f"), str(root), "/dir/renamed", archive=False,
                      follow=False)
    assert (root / "dir" / "renamed").read_text() == "host\n"
    container_to_host(str(root), "/escape/passwd", str(tmp_path / "out"), archive=False,
                      follow=False)
    assert (tmp_path / "out").read_text().startswith("root:")
    with pytest.raises(CopyError, match="must exist"):
        host_to_container(str(tmp_path / "f"), str(root), "/nodir/", archive=False,
                          follow=False)
    with pytest.raises(CopyError, match="could not find"):
        container_to_host(str(root), "/nope", str(tmp_path / "x"), archive=False,
                          follow=False)


def test_directories(root: Path, tmp_path: Path) -> None:
    container_to_host(str(root), "/dir", str(tmp_path / "new"), archive=False, follow=False)
    assert (tmp_path / "new" / "a").read_text() == "a\n"  # missing destination: becomes it
    container_to_host(str(root), "/dir", str(tmp_path / "new"), archive=False, follow=False)
    assert (tmp_path / "new" / "dir" / "a").exists()  # existing: copied into it
    (tmp_path / "contents").mkdir()
    container_to_host(str(root), "/dir/.", str(tmp_path / "contents"), archive=False,
                      follow=False)
    assert os.listdir(tmp_path / "contents") == ["a"]  # dir/. : the contents only
    (tmp_path / "file").write_text("")
    with pytest.raises(CopyError, match="directory to a file"):
        container_to_host(str(root), "/dir", str(tmp_path / "file"), archive=False,
                          follow=False)


def test_symlink_copied_as_link_unless_followed(root: Path, tmp_path: Path) -> None:
    container_to_host(str(root), "/escape", str(tmp_path / "link"), archive=True, follow=False)
    assert os.readlink(tmp_path / "link") == "/etc"
    container_to_host(str(root), "/escape", str(tmp_path / "followed"), archive=True,
                      follow=True)
    assert (tmp_path / "followed" / "passwd").exists()  # the container's /etc
