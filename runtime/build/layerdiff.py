"""A build step's change as a layer: the overlay's upper directory as a tarball.

The upper directory already is the change: new and modified files as they are,
a deleted file as an overlayfs whiteout (a character device 0/0) and a replaced
directory marked ``trusted.overlay.opaque=y``.  In the tarball they become
``.wh.<name>`` and ``<dir>/.wh..wh..opq``, as the OCI image spec writes them.
Owners, modes, times, xattrs and hard links are kept; overlayfs' own bookkeeping
(``trusted.overlay.*`` other than opacity) is dropped, also from the directory,
which then serves as the unpacked layer.  Synchronous.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import stat
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from runtime.images.treetar import HashingWriter

WHITEOUT_PREFIX = ".wh."
OPAQUE = ".wh..wh..opq"
_OPAQUE_XATTR = "trusted.overlay.opaque"


@dataclass(frozen=True)
class Change:
    """One tar entry of a layer, in order: a path and what it is."""

    path: str
    kind: str
    """``file``, ``dir``, ``symlink``, ``hardlink``, ``whiteout``, ``opaque``, ``other``."""


def is_whiteout(info: os.stat_result) -> bool:
    return stat.S_ISCHR(info.st_mode) and info.st_rdev == 0


def _xattrs(path: str) -> dict[str, bytes]:
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return {}
    found = {}
    for name in names:
        try:
            found[name] = os.getxattr(path, name, follow_symlinks=False)
        except OSError:
            continue
    return found


def changes(upper: Path) -> list[Change]:
    """What the upper directory holds, in tar order (pure over the directory tree)."""
    found: list[Change] = []
    for path, kind in _walk(str(upper), ""):
        found.append(Change(path, kind))
    return found


def _walk(root: str, relative: str) -> list[tuple[str, str]]:
    entries: list[tuple[str, str]] = []
    directory = os.path.join(root, relative) if relative else root
    for name in sorted(os.listdir(directory)):
        rel = f"{relative}/{name}" if relative else name
        full = os.path.join(root, rel)
        info = os.lstat(full)
        if is_whiteout(info):
            entries.append((f"{relative}/{WHITEOUT_PREFIX}{name}" if relative
                            else WHITEOUT_PREFIX + name, "whiteout"))
        elif stat.S_ISDIR(info.st_mode):
            entries.append((rel, "dir"))
            with contextlib.suppress(OSError):
                if os.getxattr(full, _OPAQUE_XATTR, follow_symlinks=False) == b"y":
                    entries.append((f"{rel}/{OPAQUE}", "opaque"))
            entries.extend(_walk(root, rel))
        elif stat.S_ISLNK(info.st_mode):
            entries.append((rel, "symlink"))
        elif stat.S_ISREG(info.st_mode):
            entries.append((rel, "file"))
        else:
            entries.append((rel, "other"))
    return entries


def write_layer(upper: Path, output: IO[bytes], *, compresslevel: int = 6) -> str:
    """Write the gzip layer tarball of ``upper`` to ``output``; returns its diff_id.
    Strips overlayfs bookkeeping xattrs from ``upper`` on the way."""
    for name in _xattrs(str(upper)):
        if name.startswith("trusted.overlay."):
            with contextlib.suppress(OSError):
                os.removexattr(upper, name)
    with gzip.GzipFile(fileobj=output, mode="wb", mtime=0, compresslevel=compresslevel) as gz:
        writer = HashingWriter(gz)  # type: ignore[arg-type]
        with tarfile.open(fileobj=writer, mode="w|",  # type: ignore[call-overload]
                          format=tarfile.PAX_FORMAT) as tar:
            links: dict[tuple[int, int], str] = {}
            for change in changes(upper):
                _add(tar, upper, change, links)
    return writer.digest()


def _add(tar: tarfile.TarFile, upper: Path, change: Change,
         links: dict[tuple[int, int], str]) -> None:
    if change.kind in ("whiteout", "opaque"):
        info = tarfile.TarInfo(change.path)
        info.mode, info.mtime = 0o644, 0
        tar.addfile(info)
        return
    full = str(upper / change.path)
    st = os.lstat(full)
    info = tarfile.TarInfo(change.path)
    info.mode = stat.S_IMODE(st.st_mode)
    info.uid, info.gid = st.st_uid, st.st_gid
    info.uname = info.gname = ""
    info.mtime = int(st.st_mtime)
    headers: dict[str, str] = {}
    for name, value in _xattrs(full).items():
        if name.startswith("trusted.overlay."):
            if name != _OPAQUE_XATTR:
                with contextlib.suppress(OSError):
                    os.removexattr(full, name, follow_symlinks=False)
            continue
        headers["SCHILY.xattr." + name] = value.decode("utf-8", "surrogateescape")
    info.pax_headers = headers
    if change.kind == "dir":
        info.type = tarfile.DIRTYPE
        tar.addfile(info)
    elif change.kind == "symlink":
        info.type, info.linkname = tarfile.SYMTYPE, os.readlink(full)
        tar.addfile(info)
    elif change.kind == "file":
        key = (st.st_dev, st.st_ino)
        if st.st_nlink > 1 and key in links:
            info.type, info.linkname = tarfile.LNKTYPE, links[key]
            tar.addfile(info)
            return
        links[key] = change.path
        info.size = st.st_size
        with open(full, "rb") as handle:
            tar.addfile(info, handle)
    else:
        if stat.S_ISFIFO(st.st_mode):
            info.type = tarfile.FIFOTYPE
        elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
            info.type = tarfile.CHRTYPE if stat.S_ISCHR(st.st_mode) else tarfile.BLKTYPE
            info.devmajor, info.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
        else:
            return  # sockets are not kept in layers
        tar.addfile(info)


def is_empty(upper: Path) -> bool:
    return not any(upper.iterdir())
