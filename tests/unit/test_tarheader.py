"""The fast tar header parser and member walk agree with tarfile on every archive."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.images.preadfile import PreadFile
from runtime.images.tarheader import FastTarInfo, _parse, byte_sum, members

FIELDS = ("name", "mode", "uid", "gid", "size", "mtime", "type", "linkname", "uname",
          "gname", "devmajor", "devminor", "offset", "offset_data", "pax_headers", "sparse")

names = st.text(st.characters(codec="utf-8", exclude_characters="\0"), min_size=1,
                max_size=180)
kinds = st.sampled_from([tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE,
                         tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE])
entries = st.lists(st.tuples(names, kinds, st.binary(max_size=1500),
                             st.integers(0, 2**21 - 1), st.integers(0, 2**33 - 1),
                             names, st.integers(0, 4095)),
                   min_size=1, max_size=8)
formats = st.sampled_from([tarfile.GNU_FORMAT, tarfile.USTAR_FORMAT, tarfile.PAX_FORMAT])


def archive(spec: list[tuple[str, bytes, bytes, int, int, str, int]], fmt: int,
            global_pax: bool = False) -> bytes:
    out = io.BytesIO()
    pax = {"comment": "global"} if global_pax else None
    with tarfile.open(fileobj=out, mode="w", format=fmt, pax_headers=pax) as tar:
        for name, kind, data, uid, mtime, link, devminor in spec:
            info = tarfile.TarInfo(name)
            info.type, info.uid, info.mtime, info.mode = kind, uid, mtime, 0o4755
            if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
                info.linkname = link
            if kind in (tarfile.CHRTYPE, tarfile.BLKTYPE):
                info.devmajor, info.devminor = 1, devminor
            if kind == tarfile.REGTYPE:
                info.size = len(data)
            try:
                tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
            except ValueError:
                continue  # a name that USTAR cannot hold
    return out.getvalue()


def described(infos: list[tarfile.TarInfo]) -> list[dict[str, object]]:
    return [{field: getattr(info, field) for field in FIELDS} for info in infos]


def walk(data: bytes, tmp: Path) -> tuple[list[tarfile.TarInfo], list[tarfile.TarInfo]]:
    path = tmp / "layer.tar"
    path.write_bytes(data)
    with tarfile.open(path) as tar:
        expected = list(tar)
    fd = os.open(path, os.O_RDONLY)
    try:
        source = PreadFile(fd)
        with tarfile.open(fileobj=source, mode="r:", tarinfo=FastTarInfo) as tar:
            got = list(members(tar, source))
    finally:
        os.close(fd)
    return expected, got


@settings(max_examples=150, deadline=None)
@given(entries, formats, st.booleans())
def test_members_match_tarfile(tmp_path_factory: object, spec: list, fmt: int,
                               global_pax: bool) -> None:
    tmp = tmp_path_factory.mktemp("tar")  # type: ignore[attr-defined]
    expected, got = walk(archive(spec, fmt, global_pax), tmp)
    assert described(got) == described(expected)


@given(st.binary(min_size=512, max_size=512))
def test_byte_sum_is_the_sum(block: bytes) -> None:
    assert byte_sum(block) == sum(block)


def test_common_headers_take_the_fast_path() -> None:
    for fmt in (tarfile.GNU_FORMAT, tarfile.USTAR_FORMAT):
        block = tarfile.TarInfo("usr/share/doc/x/copyright").tobuf(fmt)
        assert _parse(FastTarInfo, block, "utf-8", "surrogateescape") is not None


def test_byte_sum_extremes() -> None:
    assert byte_sum(b"\xff" * 512) == 255 * 512
    assert byte_sum(bytes(512)) == 0


def test_uncommon_headers_are_left_to_tarfile(tmp_path: Path) -> None:
    """Base-256 numbers (a uid past octal's reach), a signed checksum and a bad
    block parse as tarfile parses them."""
    info = tarfile.TarInfo("big-uid")
    info.uid = 8**8 + 5  # GNU writes it in base 256
    block = info.tobuf(tarfile.GNU_FORMAT)
    parsed = FastTarInfo.frombuf(block, "utf-8", "surrogateescape")
    assert parsed.uid == 8**8 + 5
    signed = bytearray(tarfile.TarInfo("é").tobuf(tarfile.GNU_FORMAT))
    checksum = 256 + sum(b - 256 if b > 127 else b for i, b in enumerate(signed)
                         if not 148 <= i < 156)
    signed[148:156] = b"%06o\0 " % checksum
    assert FastTarInfo.frombuf(bytes(signed), "utf-8", "surrogateescape").name == "é"
    try:
        FastTarInfo.frombuf(b"x" * 512, "utf-8", "surrogateescape")
    except tarfile.HeaderError:
        pass
    else:
        raise AssertionError("a bad block parsed")


def test_truncated_archive_fails_the_walk_as_tarfile(tmp_path: Path) -> None:
    data = archive([("a", tarfile.REGTYPE, b"x" * 2000, 0, 0, "", 0),
                    ("b", tarfile.REGTYPE, b"y", 0, 0, "", 0)], tarfile.GNU_FORMAT)
    with pytest.raises(tarfile.ReadError, match="unexpected end of data"):
        walk(data[:1536], tmp_path)
    path = tmp_path / "layer.tar"
    fd = os.open(path, os.O_RDONLY)
    try:
        source = PreadFile(fd)
        with tarfile.open(fileobj=source, mode="r:", tarinfo=FastTarInfo) as tar:
            walked = members(tar, source)
            assert next(walked).name == "a"
            with pytest.raises(tarfile.ReadError, match="unexpected end of data"):
                next(walked)
    finally:
        os.close(fd)


def test_pread_file_reads_seeks_and_tells(tmp_path: Path) -> None:
    path = tmp_path / "f"
    content = os.urandom(200_000)
    path.write_bytes(content)
    fd = os.open(path, os.O_RDONLY)
    try:
        source = PreadFile(fd)
        assert source.read(10) == content[:10]
        source.seek(100_000)
        assert source.read(70_000) == content[100_000:170_000]
        assert source.tell() == 170_000
        source.seek(-5, os.SEEK_END)
        assert source.read() == content[-5:]
        assert source.read(10) == b""
        assert source.pread(3, 4) == content[3:7]
        assert source.tell() == 200_000
    finally:
        os.close(fd)


def test_a_directory_named_wholly_by_the_ustar_prefix_has_no_trailing_slash(
        tmp_path: Path) -> None:
    """Found by the property test: a long directory name that USTAR splits at its
    trailing slash leaves an empty name field; tarfile strips the slash after
    joining the prefix, and so must the fast path."""
    name = "0000" + "\U00010000" * 19 + "\U0001d4f5" + "\U0001d4fc" * 3 + \
        "\U0001d4ff\U0001d500\U0001d501"  # 108 bytes: more than a name field holds
    spec = [("first", b"0", b"", 0, 0, "0", 0),  # the first entry is tarfile's own read
            (name, b"5", b"", 0, 0, "0", 0)]
    expected, got = walk(archive(spec, tarfile.USTAR_FORMAT, False), tmp_path)
    assert described(got) == described(expected)
    assert got[1].name == name
