"""Safe layer extraction: a layer tarball into a directory it can never escape.

Every path is resolved with ``openat2(RESOLVE_BENEATH)`` from the layer's own
directory, so a parent that is (or passes through) a symlink pointing outside,
absolutely or with ``..``, is refused by the kernel rather than followed; the last
component is always created with the ``*at`` calls that do not follow symlinks,
after removing whatever was there (a file never writes through an existing
link).  Entry names that are absolute or contain ``..`` are refused outright, as
are hard links to such names.  Symlink *targets* are stored as they are: inside
the container they resolve against its own root.

The rest follows Docker's overlay2 driver: owners, modes (setuid included), times,
``SCHILY.xattr`` extended attributes, device nodes and FIFOs are kept; a
directory entry over an existing directory merges; ``.wh.<name>`` becomes an
overlayfs whiteout (character device 0/0) and ``.wh..wh..opq`` marks its
directory opaque (``trusted.overlay.opaque=y``); AUFS metadata (``.wh..wh.*``) is
skipped, and so are ``trusted.overlay.*`` attributes in the tarball, which would
let a layer steer overlayfs itself.  Needs root; synchronous.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import io
import os
import shutil
import stat
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from common.errors import ImageError
from common.libc import libc
from runtime.images.preadfile import PreadFile
from runtime.images.tarheader import FastTarInfo, members

SYS_OPENAT2 = 437  # the same number on every architecture (added in Linux 5.6)
RESOLVE_NO_MAGICLINKS = 0x02
RESOLVE_BENEATH = 0x08
RESOLVE_IN_ROOT = 0x10
WHITEOUT_PREFIX = ".wh."
OPAQUE = ".wh..wh..opq"
AUFS_META = ".wh..wh."
OVERLAY_OPAQUE_XATTR = "trusted.overlay.opaque"
_PAX_XATTR = "SCHILY.xattr."
_CHUNK = 1 << 20
_SMALL = 32 << 10
_libc = libc


class _OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64),
                ("resolve", ctypes.c_uint64)]


class UnsafeLayer(ImageError):
    """A layer tried to write outside its directory."""


def openat2_beneath(dir_fd: int, path: str, flags: int) -> int:
    """``openat2`` with RESOLVE_BENEATH: EXDEV if resolution would leave ``dir_fd``."""
    return openat2(dir_fd, path, flags, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)


def openat2(dir_fd: int, path: str, flags: int, resolve: int) -> int:
    """``openat2(2)``: ``open`` whose path resolution the kernel restricts as
    ``resolve`` says, in one step (no window for a symlink swapped in meanwhile)."""
    how = _OpenHow(flags | os.O_CLOEXEC, 0, resolve)
    fd = _libc.syscall(SYS_OPENAT2, dir_fd, os.fsencode(path), ctypes.byref(how),
                       ctypes.sizeof(how))
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), path)
    return int(fd)


def _beneath(root_fd: int, path: str, flags: int) -> int:
    try:
        return openat2_beneath(root_fd, path, flags)
    except OSError as exc:
        if exc.errno == errno.EXDEV:
            raise UnsafeLayer(f"layer entry under {path!r} leads outside the layer "
                              "through a symlink") from None
        raise


def clean_name(name: str) -> str:
    """The member's path relative to the layer root ("" for the root itself);
    UnsafeLayer for an absolute path or any ``..`` component."""
    if not (name.startswith(("/", ".")) or "/." in name or "//" in name or "\0" in name):
        return name.rstrip("/")  # the common case: nothing to clean or refuse
    if name.startswith("/") or "\0" in name:
        raise UnsafeLayer(f"layer entry {name!r} is an absolute path")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UnsafeLayer(f"layer entry {name!r} leads outside the layer")
    return "/".join(parts)


class _Extractor:
    """Writes one tarball's entries under ``root_fd``.

    The directory an entry goes into is resolved once and kept while entries go
    into it (tarballs list a directory's entries together); any removal forgets it,
    so an entry never lands in a directory that a later entry replaced."""

    def __init__(self, root_fd: int, data: _Data) -> None:
        self.root_fd = root_fd
        self.data = data
        self.dir_times: list[tuple[str, int]] = []
        self._cached: tuple[str, int] | None = None

    def parent_fd(self, path: str) -> int:
        """An O_PATH descriptor of ``path``'s directory, created (0755) if missing;
        owned by the extractor (kept until another directory or a removal)."""
        if self._cached is not None and self._cached[0] == path:
            return self._cached[1]
        self.forget()
        fd = self._open_dir(path, True)
        self._cached = (path, fd)
        return fd

    def forget(self) -> None:
        if self._cached is not None:
            os.close(self._cached[1])
            self._cached = None

    @contextmanager
    def parent(self, path: str, *, create: bool = True) -> Iterator[int]:
        """An O_PATH descriptor of ``path``'s directory, closed after use."""
        fd = self._open_dir(path, create)
        try:
            yield fd
        finally:
            os.close(fd)

    def _open_dir(self, path: str, create: bool, flags: int = os.O_PATH) -> int:
        if not path:
            return os.open(".", flags | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=self.root_fd)
        try:
            return _beneath(self.root_fd, path, flags | os.O_DIRECTORY)
        except FileNotFoundError:
            if not create:
                raise
        head, _, tail = path.rpartition("/")
        fd = self._open_dir(head, create)
        try:
            with contextlib.suppress(FileExistsError):  # a dangling symlink: openat2 tells
                os.mkdir(tail, 0o755, dir_fd=fd)
        finally:
            os.close(fd)
        return _beneath(self.root_fd, path, flags | os.O_DIRECTORY)

    def entry(self, member: tarfile.TarInfo) -> None:
        name = clean_name(member.name)
        aufs_meta = name.split("/", 1)[0].startswith(AUFS_META) and not name.endswith(OPAQUE)
        if not name or aufs_meta:
            return
        head, _, base = name.rpartition("/")
        if base == OPAQUE:
            fd = self._open_dir(head, True, os.O_RDONLY)
            try:
                os.setxattr(fd, OVERLAY_OPAQUE_XATTR, b"y")
            finally:
                os.close(fd)
            return
        if base.startswith(AUFS_META):
            return
        parent = self.parent_fd(head)
        if base.startswith(WHITEOUT_PREFIX):
            hidden = base[len(WHITEOUT_PREFIX):]
            if hidden in ("", ".", ".."):
                raise UnsafeLayer(f"invalid whiteout {member.name!r}")
            parent = self._remove(parent, hidden, head)
            os.mknod(hidden, 0o600 | stat.S_IFCHR, os.makedev(0, 0), dir_fd=parent)
            return
        try:
            self._create(parent, base, name, member, merge=False)
        except FileExistsError:
            existing = _lstat(parent, base)
            merge = existing is not None and stat.S_ISDIR(existing.st_mode) and member.isdir()
            if not merge:
                parent = self._remove(parent, base, head)
            self._create(parent, base, name, member, merge=merge)

    def _create(self, parent: int, base: str, name: str, member: tarfile.TarInfo,
                merge: bool) -> None:
        """The entry itself; FileExistsError when something is already there (and
        ``merge`` is False)."""
        if member.isdir():
            self._directory(parent, base, name, member, merge)
        elif member.isreg():
            self._file(parent, base, member)
        elif member.issym():
            os.symlink(member.linkname, base, dir_fd=parent)
            os.chown(base, member.uid, member.gid, dir_fd=parent, follow_symlinks=False)
            os.utime(base, ns=_ns(member), dir_fd=parent, follow_symlinks=False)
        elif member.islnk():
            self._hardlink(parent, base, member)
        elif member.ischr() or member.isblk() or member.isfifo():
            kind = (stat.S_IFCHR if member.ischr() else
                    stat.S_IFBLK if member.isblk() else stat.S_IFIFO)
            os.mknod(base, 0o600 | kind, os.makedev(member.devmajor, member.devminor),
                     dir_fd=parent)
            os.chown(base, member.uid, member.gid, dir_fd=parent, follow_symlinks=False)
            os.chmod(base, member.mode & 0o7777, dir_fd=parent)
            os.utime(base, ns=_ns(member), dir_fd=parent, follow_symlinks=False)
        else:
            raise ImageError(f"layer entry {member.name!r} has an unsupported type "
                             f"{member.type!r}")

    def _directory(self, parent: int, base: str, name: str, member: tarfile.TarInfo,
                   exists: bool) -> None:
        if not exists:
            os.mkdir(base, 0o700, dir_fd=parent)
        fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                     dir_fd=parent)
        try:
            _metadata(fd, member)
        finally:
            os.close(fd)
        self.dir_times.append((name, int(member.mtime * 1e9)))

    def _file(self, parent: int, base: str, member: tarfile.TarInfo) -> None:
        fd = os.open(base, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                     0o600, dir_fd=parent)
        try:
            self.data.copy(member, fd)
            _metadata(fd, member)
            os.utime(fd, ns=_ns(member))
        finally:
            os.close(fd)

    def _hardlink(self, parent: int, base: str, member: tarfile.TarInfo) -> None:
        target = clean_name(member.linkname)
        if not target:
            raise UnsafeLayer(f"hard link {member.name!r} points at the layer root")
        head, _, source = target.rpartition("/")
        with self.parent(head, create=False) as source_dir:
            os.link(source, base, src_dir_fd=source_dir, dst_dir_fd=parent,
                    follow_symlinks=False)

    def _remove(self, parent: int, base: str, head: str) -> int:
        """Remove whatever is at ``head/base``; returns ``head``'s descriptor, opened
        anew (a removal never trusts a kept directory)."""
        info = _lstat(parent, base)
        if info is not None and stat.S_ISDIR(info.st_mode):
            shutil.rmtree(base, dir_fd=parent)
        elif info is not None:
            os.unlink(base, dir_fd=parent)
        self.forget()
        return self.parent_fd(head)

    def finish(self) -> None:
        """Directory times last: creating entries inside changed them."""
        self.forget()
        for name, mtime in reversed(self.dir_times):
            head, _, base = name.rpartition("/")
            try:
                with self.parent(head, create=False) as parent:
                    os.utime(base, ns=(mtime, mtime), dir_fd=parent, follow_symlinks=False)
            except (FileNotFoundError, NotADirectoryError):
                continue  # replaced by a later entry


def _ns(member: tarfile.TarInfo) -> tuple[int, int]:
    mtime = int(member.mtime * 1e9)
    return mtime, mtime


def _metadata(fd: int, member: tarfile.TarInfo) -> None:
    """Owner, then mode (chown clears setuid), then xattrs (chown clears
    security.capability)."""
    os.fchown(fd, member.uid, member.gid)
    os.fchmod(fd, member.mode & 0o7777)
    if not member.pax_headers:
        return
    for key, value in member.pax_headers.items():
        if not key.startswith(_PAX_XATTR):
            continue
        attribute = key[len(_PAX_XATTR):]
        if attribute.startswith("trusted.overlay."):
            continue
        try:
            os.setxattr(fd, attribute, value.encode("utf-8", "surrogateescape"))
        except OSError as exc:
            if exc.errno not in (errno.ENOTSUP, errno.EPERM):
                raise  # like Docker: a filesystem without xattrs is not fatal


def _lstat(parent: int, base: str) -> os.stat_result | None:
    try:
        return os.stat(base, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        return None


class _Data:
    """Copies a regular file's content from the tarball (read through tarfile)."""

    def __init__(self, tar: tarfile.TarFile) -> None:
        self.tar = tar

    def copy(self, member: tarfile.TarInfo, fd: int) -> None:
        source = self.tar.extractfile(member)
        if source is None:
            return
        while chunk := source.read(_CHUNK):
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view):]


class _FileData(_Data):
    """Copies from a tarball that is a plain file, in the kernel
    (``copy_file_range``): the data never passes through Python."""

    def __init__(self, tar: tarfile.TarFile, source: PreadFile) -> None:
        super().__init__(tar)
        self.source = source
        self.source_fd = source.fd
        self.in_kernel = True

    def copy(self, member: tarfile.TarInfo, fd: int) -> None:
        if member.sparse is not None or not self.in_kernel:
            super().copy(member, fd)
            return
        if member.size < _SMALL:  # most likely read already with its header
            data = self.source.pread(member.offset_data, member.size)
            if len(data) != member.size:
                raise ImageError(f"layer entry {member.name!r} ends early")
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            return
        offset, left = member.offset_data, member.size
        while left > 0:
            try:
                done = os.copy_file_range(self.source_fd, fd, left, offset)
            except OSError as exc:
                if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                    raise
                self.in_kernel = False  # some filesystems cannot: read and write instead
                os.ftruncate(fd, 0)
                os.lseek(fd, 0, os.SEEK_SET)
                super().copy(member, fd)
                return
            if done == 0:
                raise ImageError(f"layer entry {member.name!r} ends early")
            offset += done
            left -= done


def _seekable_fd(stream: IO[bytes]) -> int | None:
    """The file descriptor under ``stream`` when it is a plain file read from its
    start (then entries are copied from it in place), else None."""
    if not isinstance(stream, (io.BufferedReader, io.FileIO)):
        return None  # a GzipFile, say, has the compressed file's fileno()
    try:
        fd = stream.fileno()
        if not stream.seekable() or stream.tell() != 0:
            return None
    except (AttributeError, OSError, ValueError):
        return None
    return fd if stat.S_ISREG(os.fstat(fd).st_mode) else None


def unpack(stream: IO[bytes], dest: str | os.PathLike[str]) -> None:
    """Extract the uncompressed layer tarball ``stream`` into the directory ``dest``
    (a plain file is read in place, anything else as a stream)."""
    root_fd = os.open(dest, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    source_fd = _seekable_fd(stream)
    try:
        source = None if source_fd is None else PreadFile(source_fd)
        with tarfile.open(fileobj=source or stream, mode="r|" if source is None else "r:",
                          tarinfo=FastTarInfo) as tar:
            data = _Data(tar) if source is None else _FileData(tar, source)
            extractor = _Extractor(root_fd, data)
            try:
                for member in tar if source is None else members(tar, source):
                    _extract(extractor, member)
                extractor.finish()
            finally:
                extractor.forget()
    finally:
        os.close(root_fd)


def _extract(extractor: _Extractor, member: tarfile.TarInfo) -> None:
    try:
        extractor.entry(member)
    except UnsafeLayer:
        raise
    except OSError as exc:
        raise ImageError(f"cannot extract {member.name!r}: {exc.strerror}") from None
