"""Files into a build step's root: COPY plans, ADD archives, here-document variables."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from common.errors import BuildError
from runtime.build.context import plan_copy
from runtime.build.files import expand_heredoc, open_archive, tree_key, write_files

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="extraction sets owners: root")


@pytest.mark.parametrize(("text", "expected"), [
    ("hello $NAME\n", "hello world\n"),
    ("${NAME:-x} ${UNSET:-dflt}\n", "world dflt\n"),
    ("cost \\$5 and '$NAME'\n", "cost $5 and 'world'\n"),
    ("a $ b $1\n", "a $ b \n"),  # as a shell would: no positional parameters
])
def test_expand_heredoc(text: str, expected: str) -> None:
    assert expand_heredoc(text, {"NAME": "world"}) == expected


def _archive(path: Path, mode: str) -> None:
    with tarfile.open(path, mode) as tar:
        data = b"inside\n"
        info = tarfile.TarInfo("dir/file")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2", "w:xz"])
def test_open_archive_any_compression(tmp_path: Path, mode: str) -> None:
    path = tmp_path / "a.tar"
    _archive(path, mode)
    with open_archive(str(path)) as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
        assert [m.name for m in tar] == ["dir/file"]


@pytest.fixture
def rootfs(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_text("root:x:0:0::/root:/bin/sh\napp:x:100:200::/:/bin/sh\n")
    (root / "etc" / "group").write_text("root:x:0:\napp:x:200:\n")
    os.symlink("/etc", root / "link-to-etc")  # absolute: resolved inside the root
    return root


@pytest.fixture
def context(tmp_path: Path) -> Path:
    ctx = tmp_path / "ctx"
    (ctx / "src").mkdir(parents=True)
    (ctx / "src" / "a.txt").write_text("a")
    _archive(ctx / "bundle.tgz", "w:gz")
    return ctx


@needs_root
def test_copy_with_chown_and_chmod(rootfs: Path, context: Path) -> None:
    plan = plan_copy(str(context), ["src"], "/app/", "/", [], "COPY")
    write_files(str(rootfs), "COPY", plan, "/app/", "app", 0o640)
    info = os.stat(rootfs / "app" / "a.txt")
    assert (info.st_uid, info.st_gid, info.st_mode & 0o7777) == (100, 200, 0o640)


@needs_root
def test_copy_through_absolute_symlink_stays_in_root(rootfs: Path, context: Path) -> None:
    plan = plan_copy(str(context), ["src/a.txt"], "/link-to-etc/", "/", [], "COPY")
    write_files(str(rootfs), "COPY", plan, "/link-to-etc/", "", None)
    assert (rootfs / "etc" / "a.txt").read_text() == "a"


@needs_root
def test_add_extracts_archives_copy_does_not(rootfs: Path, context: Path) -> None:
    plan = plan_copy(str(context), ["bundle.tgz"], "/opt/", "/", [], "ADD")
    write_files(str(rootfs), "ADD", plan, "/opt/", "", None)
    assert (rootfs / "opt" / "dir" / "file").read_text() == "inside\n"
    plan = plan_copy(str(context), ["bundle.tgz"], "/srv/", "/", [], "COPY")
    write_files(str(rootfs), "COPY", plan, "/srv/", "", None)
    assert (rootfs / "srv" / "bundle.tgz").is_file()


@needs_root
def test_add_archive_to_a_named_directory(rootfs: Path, context: Path) -> None:
    plan = plan_copy(str(context), ["bundle.tgz"], "/opt/app", "/", [], "ADD")
    write_files(str(rootfs), "ADD", plan, "/opt/app", "", None)
    assert (rootfs / "opt" / "app" / "dir" / "file").is_file()


def test_unknown_chown_user(rootfs: Path, context: Path) -> None:
    plan = plan_copy(str(context), ["src"], "/app/", "/", [], "COPY")
    with pytest.raises(BuildError, match="--chown=nobody"):
        write_files(str(rootfs), "COPY", plan, "/app/", "nobody", None)


def test_tree_key_follows_content(context: Path) -> None:
    first = tree_key(str(context / "src"), [], str(context))
    assert tree_key(str(context / "src"), [], str(context)) == first
    (context / "src" / "a.txt").write_text("b")
    assert tree_key(str(context / "src"), [], str(context)) != first
