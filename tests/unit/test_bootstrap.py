"""runtime/images/bootstrap.py: the busybox layer is reproducible byte for byte."""

from __future__ import annotations

import io
import os
import tarfile

import pytest

from runtime.images.bootstrap import BUSYBOX, build_layer

pytestmark = pytest.mark.skipif(not os.path.exists(BUSYBOX), reason=f"{BUSYBOX} not found")


@pytest.fixture(scope="module")
def layer() -> bytes:
    return build_layer()


def members(data: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name: m for m in tar.getmembers()}


def test_layer_is_reproducible(layer: bytes) -> None:
    assert build_layer() == layer
    assert build_layer(BUSYBOX) == layer


def test_layer_holds_busybox_binary(layer: bytes) -> None:
    with tarfile.open(fileobj=io.BytesIO(layer)) as tar:
        info = tar.getmember("bin/busybox")
        assert info.isfile()
        assert info.mode == 0o755
        handle = tar.extractfile(info)
        assert handle is not None
        with open(BUSYBOX, "rb") as original:
            assert handle.read() == original.read()


def test_bin_sh_is_a_symlink_to_busybox(layer: bytes) -> None:
    sh = members(layer)["bin/sh"]
    assert sh.issym()
    assert sh.linkname == "/bin/busybox"


def test_layer_metadata_is_fixed(layer: bytes) -> None:
    entries = members(layer)
    mtime = int(os.stat(BUSYBOX).st_mtime)
    for info in entries.values():
        assert (info.uid, info.gid, info.uname, info.gname) == (0, 0, "", "")
        assert info.mtime == mtime
    assert entries["tmp"].isdir()
    assert entries["tmp"].mode == 0o1777
    assert entries["root"].mode == 0o700
    assert entries["proc"].mode == 0o555


def test_layer_files(layer: bytes) -> None:
    with tarfile.open(fileobj=io.BytesIO(layer)) as tar:
        passwd = tar.extractfile("etc/passwd")
        group = tar.extractfile("etc/group")
        assert passwd is not None
        assert group is not None
        assert passwd.read().decode().splitlines()[0] == "root:x:0:0:root:/root:/bin/sh"
        assert "nogroup:x:65534:" in group.read().decode()


def test_layer_order_is_stable(layer: bytes) -> None:
    names = list(members(layer))
    # directories first, sorted, then the binary, then files, then applet links
    assert names[:3] == ["bin", "dev", "etc"]
    assert names.index("bin/busybox") < names.index("etc/passwd") < names.index("bin/sh")
    assert len(names) == len(set(names))
    # every applet link lives at the top or in a directory of the layer
    dirs = {n for n, m in members(layer).items() if m.isdir()} | {""}
    links = [name for name, info in members(layer).items() if info.issym()]
    assert "bin/ls" in links
    for name in links:
        assert os.path.dirname(name) in dirs
