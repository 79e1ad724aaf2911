"""A directory tree a container can write to, as a tar stream: ``export`` (the
container's whole root) and ``commit`` (its overlay upper directory as an OCI
layer, ``whiteouts=True``).

The tree is walked by directory file descriptors, each name opened with
``O_NOFOLLOW`` relative to its parent and described by ``fstat`` of what was
opened: a symlink the container swaps in while the walk runs is stored as a
link, never followed to a host file.  With ``whiteouts``, overlayfs' markers
become the OCI image spec's: a character device 0/0 is ``.wh.<name>`` and a
directory marked ``trusted.overlay.opaque=y`` gets ``<dir>/.wh..wh..opq``.
Nothing in the tree is changed (overlayfs' own ``trusted.overlay.*`` attributes
are left out of the tar, not removed: the overlay may be mounted).  Owners,
modes, times, extended attributes and hard links are kept; sockets are not.
The walk is iterative, so no depth of directories exhausts the Python stack.
Synchronous.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import tarfile
from collections.abc import Iterator
from typing import IO

WHITEOUT_PREFIX = ".wh."
OPAQUE = ".wh..wh..opq"
_OPAQUE_XATTR = "trusted.overlay.opaque"
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK


class HashingWriter:
    """Hashes what passes (the tar: a layer's diff_id) on its way to ``target``."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target = target
        self.hash = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        self.target.write(data)
        return len(data)

    def flush(self) -> None:
        pass

    def digest(self) -> str:
        return "sha256:" + self.hash.hexdigest()


def write_tree(root: str, output: IO[bytes], *, whiteouts: bool = False) -> str:
    """Write ``root``'s content (not ``root`` itself) as a PAX tar to ``output``;
    returns the tar's sha256 digest."""
    writer = HashingWriter(output)
    with tarfile.open(fileobj=writer, mode="w|",  # type: ignore[call-overload]
                      format=tarfile.PAX_FORMAT) as tar:
        links: dict[tuple[int, int], str] = {}
        for info, fd in _entries(root, whiteouts):
            if fd is None:
                tar.addfile(info)
                continue
            with os.fdopen(fd, "rb") as handle:
                st = os.fstat(fd)
                key = (st.st_dev, st.st_ino)
                if key in links:
                    info.type, info.linkname, info.size = tarfile.LNKTYPE, links[key], 0
                    tar.addfile(info)
                    continue
                if st.st_nlink > 1:
                    links[key] = info.name
                tar.addfile(info, handle)
    return writer.digest()


def _entries(root: str, whiteouts: bool) -> Iterator[tuple[tarfile.TarInfo, int | None]]:
    """Tar headers in order, each with the open descriptor of a regular file to
    copy (the caller closes it) or None."""
    top = os.open(root, _DIR_FLAGS)
    stack: list[tuple[int, str, Iterator[str]]] = [(top, "", iter(sorted(os.listdir(top))))]
    try:
        while stack:
            parent, prefix, names = stack[-1]
            name = next(names, None)
            if name is None:
                os.close(parent)
                stack.pop()
                continue
            path = prefix + name
            st = os.stat(name, dir_fd=parent, follow_symlinks=False)
            if whiteouts and stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
                yield _marker(prefix + WHITEOUT_PREFIX + name), None
            elif stat.S_ISDIR(st.st_mode):
                child = _open(name, parent, _DIR_FLAGS)
                if child is None:
                    continue
                stack.append((child, path + "/", iter(sorted(os.listdir(child)))))
                yield _header(path, os.fstat(child), child), None
                if whiteouts and _xattr(child, _OPAQUE_XATTR) == b"y":
                    yield _marker(f"{path}/{OPAQUE}"), None
            elif stat.S_ISREG(st.st_mode):
                fd = _open(name, parent, _FILE_FLAGS)
                if fd is None:
                    continue
                info = _header(path, os.fstat(fd), fd)
                if info.type != tarfile.REGTYPE:  # swapped for something else meanwhile
                    os.close(fd)
                    continue
                yield info, fd
            elif stat.S_ISLNK(st.st_mode):
                info = _header(path, st, None)
                info.type, info.linkname = tarfile.SYMTYPE, os.readlink(name, dir_fd=parent)
                yield info, None
            elif not stat.S_ISSOCK(st.st_mode):
                yield _header(path, st, None), None
    finally:
        for fd, _, _ in stack:
            os.close(fd)


def _open(name: str, parent: int, flags: int) -> int | None:
    """``name`` opened under ``parent``; None when it went away or became a link."""
    try:
        return os.open(name, flags, dir_fd=parent)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # a symlink now, where the walk saw something else
            return None
        raise


def _marker(path: str) -> tarfile.TarInfo:
    """An empty file standing for a deletion (whiteout) or an opaque directory."""
    info = tarfile.TarInfo(path)
    info.mode, info.mtime = 0o644, 0
    return info


def _header(path: str, st: os.stat_result, fd: int | None) -> tarfile.TarInfo:
    info = tarfile.TarInfo(path)
    info.mode = stat.S_IMODE(st.st_mode)
    info.uid, info.gid = st.st_uid, st.st_gid
    info.uname = info.gname = ""
    info.mtime = int(st.st_mtime)
    if fd is not None:
        info.pax_headers = {"SCHILY.xattr." + name: value.decode("utf-8", "surrogateescape")
                            for name, value in _xattrs(fd).items()}
    if stat.S_ISDIR(st.st_mode):
        info.type = tarfile.DIRTYPE
    elif stat.S_ISREG(st.st_mode):
        info.type, info.size = tarfile.REGTYPE, st.st_size
    elif stat.S_ISFIFO(st.st_mode):
        info.type = tarfile.FIFOTYPE
    elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        info.type = tarfile.CHRTYPE if stat.S_ISCHR(st.st_mode) else tarfile.BLKTYPE
        info.devmajor, info.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
    else:
        info.type = tarfile.SYMTYPE  # the caller sets the target
    return info


def _xattr(fd: int, name: str) -> bytes | None:
    with contextlib.suppress(OSError):
        return os.getxattr(fd, name)
    return None


def _xattrs(fd: int) -> dict[str, bytes]:
    """The extended attributes to keep: overlayfs' own bookkeeping is not content."""
    try:
        names = os.listxattr(fd)
    except OSError:
        return {}
    found = {}
    for name in names:
        if name.startswith("trusted.overlay."):
            continue
        value = _xattr(fd, name)
        if value is not None:
            found[name] = value
    return found
