"""runtime/images/unpack.py on hand-made tarballs: what Docker keeps is kept, and no
malicious layer writes anything outside its directory (needs root: owners,
device nodes, trusted.* xattrs)."""

from __future__ import annotations

import io
import os
import stat
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from common.errors import ImageError
from runtime.images.unpack import UnsafeLayer, clean_name, unpack


def entry(name: str, kind: bytes = tarfile.REGTYPE, data: bytes = b"", *, mode: int = 0o644,
          link: str = "", uid: int = 0, gid: int = 0, mtime: int = 1_600_000_000,
          xattrs: dict[str, bytes] | None = None, dev: tuple[int, int] = (0, 0),
          ) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.linkname = kind, mode, link
    info.uid, info.gid, info.mtime = uid, gid, mtime
    info.devmajor, info.devminor = dev
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    if xattrs:
        info.pax_headers = {f"SCHILY.xattr.{k}": v.decode("utf-8", "surrogateescape")
                            for k, v in xattrs.items()}
    return info, data


def tarball(*entries: tuple[tarfile.TarInfo, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in entries:
            # tarfile would refuse these names itself; build the header by hand instead
            tar.addfile(info, io.BytesIO(data) if info.type == tarfile.REGTYPE else None)
    return buffer.getvalue()


@pytest.fixture
def sandbox(tmp_path: Path) -> tuple[Path, Path]:
    """``layer`` to extract into, beside ``outside`` holding a file to protect."""
    layer = tmp_path / "box" / "layer"
    layer.mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("keep")
    return layer, outside


@pytest.fixture(autouse=True, params=["stream", "file"])
def read_as(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every case twice: from a stream (through tarfile) and from a plain file
    (entries copied from it in place with copy_file_range)."""
    READ_AS[0] = request.param
    yield
    READ_AS[0] = "stream"


READ_AS = ["stream"]


def extract(layer: Path, data: bytes) -> None:
    if READ_AS[0] == "stream":
        unpack(io.BytesIO(data), layer)
        return
    with tempfile.TemporaryFile() as handle:
        handle.write(data)
        handle.seek(0)
        unpack(handle, layer)


def untouched(tmp_path: Path, layer: Path) -> None:
    """Nothing but ``layer``'s content and the sandbox itself changed."""
    assert (tmp_path / "outside" / "secret").read_text() == "keep"
    assert sorted(os.listdir(tmp_path / "outside")) == ["secret"]
    assert sorted(os.listdir(tmp_path / "box")) == ["layer"]
    assert not Path("/escaped").exists()
    assert not Path("/tmp/escaped").exists()


@pytest.mark.parametrize("name", ["../escaped", "a/../../escaped", "/tmp/escaped", "./../x"])
def test_names_leaving_the_layer_are_refused(sandbox: tuple[Path, Path], tmp_path: Path,
                                             name: str) -> None:
    layer, _ = sandbox
    with pytest.raises(UnsafeLayer):
        extract(layer, tarball(entry(name, data=b"x")))
    untouched(tmp_path, layer)


@pytest.mark.parametrize("target", ["/", "/tmp", "../../outside", "../..", "/proc/self/root"])
def test_write_through_symlink_pointing_outside_is_refused(
        sandbox: tuple[Path, Path], tmp_path: Path, target: str) -> None:
    layer, _ = sandbox
    data = tarball(entry("evil", tarfile.SYMTYPE, link=target),
                   entry("evil/escaped", data=b"pwned"))
    with pytest.raises(UnsafeLayer):
        extract(layer, data)
    untouched(tmp_path, layer)


def test_nested_symlink_chain_outside_is_refused(sandbox: tuple[Path, Path],
                                                 tmp_path: Path) -> None:
    layer, _ = sandbox
    data = tarball(entry("d", tarfile.DIRTYPE, mode=0o755),
                   entry("d/up", tarfile.SYMTYPE, link=".."),
                   entry("d/up2", tarfile.SYMTYPE, link="up/.."),
                   entry("d/up2/outside/secret", data=b"pwned"))
    with pytest.raises(UnsafeLayer):
        extract(layer, data)
    untouched(tmp_path, layer)


def test_opaque_marker_through_outside_symlink_is_refused(sandbox: tuple[Path, Path],
                                                          tmp_path: Path) -> None:
    layer, outside = sandbox
    data = tarball(entry("evil", tarfile.SYMTYPE, link=str(outside)),
                   entry("evil/.wh..wh..opq"))
    with pytest.raises(UnsafeLayer):
        extract(layer, data)
    assert OVERLAY_OPAQUE not in os.listxattr(outside)
    untouched(tmp_path, layer)


def test_whiteout_through_outside_symlink_is_refused(sandbox: tuple[Path, Path],
                                                     tmp_path: Path) -> None:
    layer, outside = sandbox
    data = tarball(entry("evil", tarfile.SYMTYPE, link=str(outside)),
                   entry("evil/.wh.secret"))
    with pytest.raises(UnsafeLayer):
        extract(layer, data)
    untouched(tmp_path, layer)


@pytest.mark.parametrize("link", ["../outside/secret", "/etc/passwd", "../../outside/secret"])
def test_hard_link_outside_is_refused(sandbox: tuple[Path, Path], tmp_path: Path,
                                      link: str) -> None:
    layer, _ = sandbox
    with pytest.raises(UnsafeLayer):
        extract(layer, tarball(entry("h", tarfile.LNKTYPE, link=link)))
    untouched(tmp_path, layer)


def test_hard_link_through_outside_symlink_is_refused(sandbox: tuple[Path, Path],
                                                      tmp_path: Path) -> None:
    layer, outside = sandbox
    data = tarball(entry("evil", tarfile.SYMTYPE, link=str(outside)),
                   entry("h", tarfile.LNKTYPE, link="evil/secret"))
    with pytest.raises(UnsafeLayer):
        extract(layer, data)
    untouched(tmp_path, layer)


def test_file_over_symlink_replaces_the_link(sandbox: tuple[Path, Path],
                                             tmp_path: Path) -> None:
    """A regular file whose name is a symlink to outside replaces the link; the
    target is never opened."""
    layer, outside = sandbox
    data = tarball(entry("s", tarfile.SYMTYPE, link=str(outside / "secret")),
                   entry("s", data=b"new"))
    extract(layer, data)
    assert (layer / "s").read_bytes() == b"new"
    assert not (layer / "s").is_symlink()
    untouched(tmp_path, layer)


def test_hard_link_to_symlink_then_file_does_not_write_through(
        sandbox: tuple[Path, Path], tmp_path: Path) -> None:
    layer, outside = sandbox
    data = tarball(entry("s", tarfile.SYMTYPE, link=str(outside / "secret")),
                   entry("h", tarfile.LNKTYPE, link="s"),
                   entry("h", data=b"new"))
    extract(layer, data)
    assert (layer / "h").read_bytes() == b"new"
    assert os.readlink(layer / "s") == str(outside / "secret")
    untouched(tmp_path, layer)


def test_directory_over_outside_symlink_replaces_it(sandbox: tuple[Path, Path],
                                                    tmp_path: Path) -> None:
    layer, outside = sandbox
    data = tarball(entry("d", tarfile.SYMTYPE, link=str(outside)),
                   entry("d", tarfile.DIRTYPE, mode=0o755),
                   entry("d/f", data=b"inside"))
    extract(layer, data)
    assert (layer / "d").is_dir() and not (layer / "d").is_symlink()
    assert (layer / "d" / "f").read_bytes() == b"inside"
    untouched(tmp_path, layer)


def test_symlinks_inside_are_followed_like_in_a_chroot(sandbox: tuple[Path, Path]) -> None:
    layer, _ = sandbox
    data = tarball(entry("usr", tarfile.DIRTYPE, mode=0o755),
                   entry("usr/lib", tarfile.DIRTYPE, mode=0o755),
                   entry("lib", tarfile.SYMTYPE, link="usr/lib"),
                   entry("lib/libc.so", data=b"elf"))
    extract(layer, data)
    assert (layer / "usr" / "lib" / "libc.so").read_bytes() == b"elf"
    assert os.readlink(layer / "lib") == "usr/lib"


@pytest.mark.parametrize("name", [".wh..", "d/.wh.", ".wh..."])
def test_bad_whiteouts_are_refused(sandbox: tuple[Path, Path], tmp_path: Path,
                                   name: str) -> None:
    layer, _ = sandbox
    with pytest.raises(ImageError):
        extract(layer, tarball(entry(name)))
    untouched(tmp_path, layer)


def test_absolute_symlink_targets_are_kept_as_written(sandbox: tuple[Path, Path]) -> None:
    layer, _ = sandbox
    extract(layer, tarball(entry("bin", tarfile.DIRTYPE, mode=0o755),
                           entry("bin/sh", tarfile.SYMTYPE, link="/bin/busybox", uid=5)))
    assert os.readlink(layer / "bin" / "sh") == "/bin/busybox"
    assert os.lstat(layer / "bin" / "sh").st_uid == 5


OVERLAY_OPAQUE = "trusted.overlay.opaque"


def test_whiteouts_become_overlay_whiteouts(sandbox: tuple[Path, Path]) -> None:
    layer, _ = sandbox
    data = tarball(entry("etc", tarfile.DIRTYPE, mode=0o755),
                   entry("etc/.wh.motd"),
                   entry("var", tarfile.DIRTYPE, mode=0o755),
                   entry("var/.wh..wh..opq"),
                   entry("var/kept", data=b"k"),
                   entry(".wh..wh.plnk", tarfile.DIRTYPE, mode=0o700),
                   entry(".wh..wh.plnk/123", data=b"aufs"))
    extract(layer, data)
    whiteout = os.lstat(layer / "etc" / "motd")
    assert stat.S_ISCHR(whiteout.st_mode) and whiteout.st_rdev == os.makedev(0, 0)
    assert not (layer / "etc" / ".wh.motd").exists()
    assert os.getxattr(layer / "var", OVERLAY_OPAQUE) == b"y"
    assert not (layer / "var" / ".wh..wh..opq").exists()
    assert (layer / "var" / "kept").read_bytes() == b"k"
    assert sorted(os.listdir(layer)) == ["etc", "var"]


def test_trusted_overlay_xattrs_from_the_tarball_are_dropped(
        sandbox: tuple[Path, Path]) -> None:
    layer, _ = sandbox
    extract(layer, tarball(entry("d", tarfile.DIRTYPE, mode=0o755, xattrs={
        "trusted.overlay.redirect": b"/etc", "trusted.overlay.opaque": b"y",
        "user.kept": b"yes"})))
    names = os.listxattr(layer / "d")
    assert "user.kept" in names
    assert not [n for n in names if n.startswith("trusted.overlay.")]


def test_metadata_is_kept(sandbox: tuple[Path, Path]) -> None:
    layer, _ = sandbox
    capability = b"\x01\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    data = tarball(
        entry("bin", tarfile.DIRTYPE, mode=0o755, mtime=1_500_000_000),
        entry("bin/su", data=b"elf", mode=0o4755, uid=0, gid=0),
        entry("bin/ping", data=b"elf", mode=0o755, xattrs={"security.capability": capability}),
        entry("home", tarfile.DIRTYPE, mode=0o755),
        entry("home/app", tarfile.DIRTYPE, mode=0o2750, uid=1000, gid=1001),
        entry("home/app/data", data=b"d", mode=0o600, uid=1000, gid=1001, mtime=1_234_567_890),
        entry("home/app/hard", tarfile.LNKTYPE, link="home/app/data"),
        entry("tmp", tarfile.DIRTYPE, mode=0o1777),
        entry("dev", tarfile.DIRTYPE, mode=0o755),
        entry("dev/null", tarfile.CHRTYPE, mode=0o666, dev=(1, 3)),
        entry("dev/loop9", tarfile.BLKTYPE, mode=0o660, dev=(7, 9), gid=6),
        entry("dev/fifo", tarfile.FIFOTYPE, mode=0o620),
        entry("deep/ly/nested/" + "n" * 200, data=b"long name"),
    )
    extract(layer, data)
    su = os.lstat(layer / "bin" / "su")
    assert stat.S_IMODE(su.st_mode) == 0o4755
    assert os.getxattr(layer / "bin" / "ping", "security.capability") == capability
    app = os.lstat(layer / "home" / "app")
    assert (stat.S_IMODE(app.st_mode), app.st_uid, app.st_gid) == (0o2750, 1000, 1001)
    info = os.lstat(layer / "home" / "app" / "data")
    assert (info.st_uid, info.st_gid, int(info.st_mtime)) == (1000, 1001, 1_234_567_890)
    assert info.st_nlink == 2
    assert os.lstat(layer / "home" / "app" / "hard").st_ino == info.st_ino
    assert stat.S_IMODE(os.lstat(layer / "tmp").st_mode) == 0o1777
    null = os.lstat(layer / "dev" / "null")
    assert stat.S_ISCHR(null.st_mode) and null.st_rdev == os.makedev(1, 3)
    assert stat.S_IMODE(null.st_mode) == 0o666
    loop = os.lstat(layer / "dev" / "loop9")
    assert stat.S_ISBLK(loop.st_mode) and loop.st_rdev == os.makedev(7, 9) and loop.st_gid == 6
    assert stat.S_ISFIFO(os.lstat(layer / "dev" / "fifo").st_mode)
    assert int(os.lstat(layer / "bin").st_mtime) == 1_500_000_000
    assert (layer / "deep" / "ly" / "nested" / ("n" * 200)).read_bytes() == b"long name"
    assert stat.S_IMODE(os.lstat(layer / "deep").st_mode) == 0o755


def test_directory_entry_merges_with_existing_directory(sandbox: tuple[Path, Path]) -> None:
    layer, _ = sandbox
    extract(layer, tarball(entry("d", tarfile.DIRTYPE, mode=0o755),
                           entry("d/a", data=b"a"),
                           entry("d", tarfile.DIRTYPE, mode=0o700)))
    assert (layer / "d" / "a").read_bytes() == b"a"
    assert stat.S_IMODE(os.lstat(layer / "d").st_mode) == 0o700


def test_file_replaces_directory(sandbox: tuple[Path, Path]) -> None:
    layer, _ = sandbox
    extract(layer, tarball(entry("d", tarfile.DIRTYPE, mode=0o755),
                           entry("d/a", data=b"a"),
                           entry("d", data=b"now a file")))
    assert (layer / "d").read_bytes() == b"now a file"


def test_directory_replaced_by_outside_symlink_between_its_entries(
        sandbox: tuple[Path, Path], tmp_path: Path) -> None:
    """Entries go into a directory, the directory becomes a link to the outside,
    then another entry names it: the directory once resolved is never reused."""
    layer, outside = sandbox
    with pytest.raises(UnsafeLayer):
        extract(layer, tarball(entry("d", tarfile.DIRTYPE, mode=0o755),
                               entry("d/a", data=b"a"),
                               entry("d", tarfile.SYMTYPE, link=str(outside)),
                               entry("d/escaped", data=b"x")))
    untouched(tmp_path, layer)


def test_entry_under_a_directory_that_became_a_file_fails(sandbox: tuple[Path, Path]) -> None:
    layer, _ = sandbox
    with pytest.raises(ImageError, match="cannot extract 'd/b'"):
        extract(layer, tarball(entry("d", tarfile.DIRTYPE, mode=0o755),
                               entry("d/a", data=b"a"),
                               entry("d", data=b"now a file"),
                               entry("d/b", data=b"b")))
    assert (layer / "d").read_bytes() == b"now a file"


def test_large_and_empty_files_keep_their_content(sandbox: tuple[Path, Path]) -> None:
    layer, _ = sandbox
    big = os.urandom(3 << 20) + b"tail"
    extract(layer, tarball(entry("big", data=big), entry("empty"), entry("z", data=b"z")))
    assert (layer / "big").read_bytes() == big
    assert (layer / "empty").read_bytes() == b""
    assert (layer / "z").read_bytes() == b"z"


@pytest.mark.parametrize(("name", "clean"), [("./etc/passwd", "etc/passwd"), ("a//b/", "a/b"),
                                              ("./", ""), ("a/./b", "a/b")])
def test_clean_name(name: str, clean: str) -> None:
    assert clean_name(name) == clean


@pytest.mark.parametrize("name", ["/etc", "..", "a/../b", "a/..", "x\0y"])
def test_clean_name_refuses(name: str) -> None:
    with pytest.raises(UnsafeLayer):
        clean_name(name)


def test_extraction_only_touches_the_layer(sandbox: tuple[Path, Path], tmp_path: Path) -> None:
    """Every attack of this module in one tarball, one entry at a time: each is
    refused and the directory around the layer stays as it was."""
    layer, outside = sandbox
    attacks: list[Callable[[], bytes]] = [
        lambda: tarball(entry("../../outside/secret", data=b"x")),
        lambda: tarball(entry("a", tarfile.SYMTYPE, link="/"),
                        entry("a" + str(outside / "secret"), data=b"x")),
        lambda: tarball(entry("b", tarfile.SYMTYPE, link="../../outside"),
                        entry("b/secret", data=b"x")),
        lambda: tarball(entry("c", tarfile.LNKTYPE, link="../outside/secret")),
    ]
    for attack in attacks:
        with pytest.raises(UnsafeLayer):
            extract(layer, attack())
        untouched(tmp_path, layer)
