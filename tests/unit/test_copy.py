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


@pytest.fixture
def hostile(tmp_path: Path) -> tuple[Path, Path]:
    """A root whose symlinks point at the host's tree (absolute and ``..``), and an
    empty host directory they aim at, which no copy may touch."""
    rootfs = tmp_path / "hostile"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("host\n")
    (rootfs / "tmp").mkdir(parents=True)
    (rootfs / "tree").mkdir()
    (rootfs / "evil").symlink_to("/")
    (rootfs / "rel").symlink_to("../../../../../../../../..")
    (rootfs / "tmp" / "out").symlink_to(outside)  # a name a copy will land on
    (rootfs / "tree" / "sub").symlink_to(outside)  # a directory a copy will fill
    return rootfs, outside


def test_reads_through_hostile_links_stay_inside(hostile: tuple[Path, Path],
                                                  tmp_path: Path) -> None:
    rootfs, outside = hostile
    (rootfs / "tmp" / "inside").write_text("container\n")
    for link in ("evil", "rel"):
        with pytest.raises(CopyError, match="could not find"):
            container_to_host(str(rootfs), f"/{link}{outside}/secret", str(tmp_path / "x"),
                              archive=True, follow=False)
        container_to_host(str(rootfs), f"/{link}/tmp/inside", str(tmp_path / link),
                          archive=True, follow=False)
        assert (tmp_path / link).read_text() == "container\n"


def test_writes_through_hostile_links_stay_inside(hostile: tuple[Path, Path],
                                                   tmp_path: Path) -> None:
    rootfs, outside = hostile
    (tmp_path / "f").write_text("from host\n")
    for link in ("evil", "rel"):
        with pytest.raises(CopyError, match="parent directory does not exist"):
            host_to_container(str(tmp_path / "f"), str(rootfs), f"/{link}{outside}/{link}",
                              archive=True, follow=False)
        assert sorted(os.listdir(outside)) == ["secret"]
        host_to_container(str(tmp_path / "f"), str(rootfs), f"/{link}/tmp/{link}",
                          archive=True, follow=False)
        assert (rootfs / "tmp" / link).read_text() == "from host\n"


def test_a_symlink_in_the_container_is_replaced_not_followed(hostile: tuple[Path, Path],
                                                            tmp_path: Path) -> None:
    rootfs, outside = hostile
    (tmp_path / "out").write_text("file\n")
    host_to_container(str(tmp_path / "out"), str(rootfs), "/tmp/", archive=True,
                      follow=False)
    assert sorted(os.listdir(outside)) == ["secret"]
    assert (rootfs / "tmp" / "out").read_text() == "file\n"
    assert not (rootfs / "tmp" / "out").is_symlink()
    (tmp_path / "tree" / "sub").mkdir(parents=True)
    (tmp_path / "tree" / "sub" / "leaf").write_text("leaf\n")
    host_to_container(str(tmp_path / "tree"), str(rootfs), "/", archive=True, follow=False)
    assert sorted(os.listdir(outside)) == ["secret"]
    assert (rootfs / "tree" / "sub" / "leaf").read_text() == "leaf\n"
    assert not (rootfs / "tree" / "sub").is_symlink()
