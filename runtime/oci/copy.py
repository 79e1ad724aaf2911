"""``cp`` between the host and a container's filesystem (synchronous).

A running container is reached through ``/proc/<pid>/root`` (so its tmpfs and
other mounts are seen as inside it); a stopped one through its bundle's
``rootfs``.  Docker's rules for what lands where: a file onto a directory goes
inside it; a directory onto a missing path becomes that path; ``dir/.`` copies the
contents.

The container's paths are decided with ``resolve_in_root`` (its symlinks followed
as if its root were ``/``), then opened with ``openat2(RESOLVE_IN_ROOT)``, and
everything below is read and written by name relative to its directory's file
descriptor, never through a symlink: a link the container left where a file lands,
inside a directory being filled, or swapped in while the copy runs
(CVE-2018-15664, CVE-2019-14271) is replaced or copied as a link, never followed
to a host file.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass

from runtime.images.unpack import RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, openat2
from runtime.ocispec.users import resolve_in_root

Owner = tuple[int, int] | None
"""The uid and gid to give everything written; None: the source's."""

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_CHUNK = 1 << 24


class CopyError(ValueError):
    pass


def container_path(root: str, path: str, *, follow: bool = True) -> str:
    """The host path of the container's ``path`` (relative paths from ``/``);
    with ``follow`` false a final symlink is left as it is."""
    path = "/" + path.lstrip("/")
    if follow:
        return resolve_in_root(root, path)
    parent, _, name = path.rstrip("/").rpartition("/")
    if name in ("", ".", ".."):
        return resolve_in_root(root, path)
    return os.path.join(resolve_in_root(root, parent or "/"), name)


@dataclass(frozen=True)
class _Tree:
    """A directory tree by its root's descriptor: the host's (``/``, resolved as
    usual) or a container's (resolved inside it by the kernel)."""

    fd: int
    resolve: int

    def open_dir(self, path: str) -> int:
        return openat2(self.fd, path if self.resolve == 0 else path.lstrip("/") or ".",
                       _DIR, self.resolve)

    def parent(self, path: str) -> tuple[int, str]:
        """The open directory holding ``path``, and its name there."""
        head, _, name = path.rstrip("/").rpartition("/")
        if name in ("", ".", ".."):
            return self.open_dir(path), "."
        return self.open_dir(head or "/"), name

    def stat(self, path: str) -> os.stat_result | None:
        """``path`` followed to the end (``lstat`` for a dangling link), or None."""
        try:
            fd = openat2(self.fd, path if self.resolve == 0 else path.lstrip("/") or ".",
                         os.O_PATH, self.resolve)
        except OSError:  # missing, or a link that leads nowhere (or loops)
            return _lstat_in(self, path)
        try:
            return os.fstat(fd)
        finally:
            os.close(fd)


def _lstat_in(tree: _Tree, path: str) -> os.stat_result | None:
    try:
        with _closing(*tree.parent(path)) as (parent, name):
            return os.stat(name, dir_fd=parent, follow_symlinks=False)
    except (FileNotFoundError, NotADirectoryError):
        return None


@contextlib.contextmanager
def _closing(fd: int, name: str) -> Iterator[tuple[int, str]]:
    try:
        yield fd, name
    finally:
        os.close(fd)


@contextlib.contextmanager
def _trees(container_root: str) -> Iterator[tuple[_Tree, _Tree]]:
    """The host's tree and the container's."""
    host = os.open("/", _DIR)
    try:
        inside = os.open(container_root, _DIR)
    except BaseException:
        os.close(host)
        raise
    try:
        yield _Tree(host, 0), _Tree(inside, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
    finally:
        os.close(inside)
        os.close(host)


def copy(source: tuple[_Tree, str], destination: tuple[_Tree, str], *, contents_only: bool,
         dest_is_dir_hint: bool, owner: Owner) -> str:
    """Copy ``source`` to ``destination`` (each a tree and a resolved path in it)
    by docker's rules; returns what was written."""
    src_tree, src_path = source
    dst_tree, dst_path = destination
    try:
        src_parent, src_name = src_tree.parent(src_path)
    except (FileNotFoundError, NotADirectoryError):
        raise CopyError("no such file or directory") from None
    with _closing(src_parent, src_name):
        try:
            info = os.stat(src_name, dir_fd=src_parent, follow_symlinks=False)
        except FileNotFoundError:
            raise CopyError("no such file or directory") from None
        found = dst_tree.stat(dst_path)
        dest_dir = found is not None and stat.S_ISDIR(found.st_mode)
        base = os.path.basename(src_path.rstrip("/"))
        if not stat.S_ISDIR(info.st_mode):
            if found is None and dest_is_dir_hint:
                raise CopyError("the destination directory must exist")
            target = os.path.join(dst_path, base) if dest_dir else dst_path
            with _closing(*_dest_parent(dst_tree, target)) as (parent, name):
                _put_file(src_parent, src_name, parent, name, owner)
            return target
        if found is not None and not dest_dir:
            raise CopyError("cannot copy a directory to a file")
        if found is not None and contents_only:
            with _closing(dst_tree.open_dir(dst_path), ".") as (parent, _), \
                    _closing(_open_dir_at(src_parent, src_name), ".") as (children, _):
                _put_children(children, parent, owner)
            return dst_path
        target = os.path.join(dst_path, base) if found is not None else dst_path
        with _closing(*_dest_parent(dst_tree, target)) as (parent, name):
            _put_tree(src_parent, src_name, parent, name, owner)
        return target


def _dest_parent(tree: _Tree, path: str) -> tuple[int, str]:
    try:
        return tree.parent(path)
    except (FileNotFoundError, NotADirectoryError):
        raise CopyError("the destination's parent directory does not exist") from None


def _open_dir_at(parent: int, name: str) -> int:
    return os.open(name, _DIR | os.O_NOFOLLOW, dir_fd=parent)


def _clear(parent: int, name: str, *, keep_dir: bool) -> bool:
    """Make room for ``name``: True if it is a directory to merge into; anything
    else there (a symlink above all) is removed, never followed."""
    try:
        info = os.stat(name, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        return False
    if stat.S_ISDIR(info.st_mode):
        if keep_dir:
            return True
        raise CopyError(f"cannot overwrite directory {name} with a non-directory")
    os.unlink(name, dir_fd=parent)
    return False


def _put_tree(src_parent: int, src_name: str, parent: int, name: str, owner: Owner) -> None:
    info = os.stat(src_name, dir_fd=src_parent, follow_symlinks=False)
    if not _clear(parent, name, keep_dir=True):
        os.mkdir(name, 0o700, dir_fd=parent)
    with _closing(_open_dir_at(src_parent, src_name), ".") as (source, _), \
            _closing(_open_dir_at(parent, name), ".") as (target, _):
        _put_children(source, target, owner)
        _set_metadata(target, info, owner)


def _put_children(source: int, target: int, owner: Owner) -> None:
    with os.scandir(source) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                _put_tree(source, entry.name, target, entry.name, owner)
            else:
                _put_file(source, entry.name, target, entry.name, owner)


def _put_file(src_parent: int, src_name: str, parent: int, name: str, owner: Owner) -> None:
    """One entry that is not a directory: a file's content, a link's target, a
    device or fifo node; sockets are skipped, as tar does."""
    info = os.stat(src_name, dir_fd=src_parent, follow_symlinks=False)
    _clear(parent, name, keep_dir=False)
    mode = info.st_mode
    if stat.S_ISLNK(mode):
        os.symlink(os.readlink(src_name, dir_fd=src_parent), name, dir_fd=parent)
        uid, gid = owner or (info.st_uid, info.st_gid)
        os.chown(name, uid, gid, dir_fd=parent, follow_symlinks=False)
        os.utime(name, ns=(info.st_atime_ns, info.st_mtime_ns), dir_fd=parent,
                 follow_symlinks=False)
        return
    if stat.S_ISSOCK(mode):
        return
    if not stat.S_ISREG(mode):
        os.mknod(name, stat.S_IFMT(mode) | 0o600, info.st_rdev, dir_fd=parent)
        _set_node_metadata(parent, name, info, owner)
        return
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    target = os.open(name, flags, 0o600, dir_fd=parent)
    try:
        _copy_content(src_parent, src_name, target)
        _set_metadata(target, info, owner)
    finally:
        os.close(target)


def _set_node_metadata(parent: int, name: str, info: os.stat_result, owner: Owner) -> None:
    """A device or fifo node's metadata, through a descriptor of the node itself
    (a link swapped in for it is refused, never followed)."""
    fd = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent)
    try:
        if stat.S_IFMT(os.fstat(fd).st_mode) != stat.S_IFMT(info.st_mode):
            raise CopyError(f"{name} changed while it was copied")
        uid, gid = owner or (info.st_uid, info.st_gid)
        os.chown(f"/proc/self/fd/{fd}", uid, gid)
        os.chmod(f"/proc/self/fd/{fd}", stat.S_IMODE(info.st_mode))
    finally:
        os.close(fd)


def _copy_content(src_parent: int, src_name: str, target: int) -> None:
    source = os.open(src_name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=src_parent)
    try:
        try:
            while os.sendfile(target, source, None, _CHUNK):
                pass
        except OSError:  # a file sendfile cannot read (procfs, say): plainly
            os.lseek(source, 0, os.SEEK_SET)
            os.ftruncate(target, 0)
            os.lseek(target, 0, os.SEEK_SET)
            while chunk := os.read(source, 1 << 20):
                os.write(target, chunk)
    finally:
        os.close(source)


def _set_metadata(fd: int, info: os.stat_result, owner: Owner) -> None:
    """Owner, then mode (a chown clears set-id bits), then times."""
    uid, gid = owner or (info.st_uid, info.st_gid)
    os.fchown(fd, uid, gid)
    os.fchmod(fd, stat.S_IMODE(info.st_mode))
    os.utime(fd, ns=(info.st_atime_ns, info.st_mtime_ns))


def _inside(root: str, host_path: str) -> str:
    """A path ``container_path`` gave, as the container names it."""
    relative = os.path.relpath(host_path, root)
    return "/" if relative == "." else "/" + relative


def host_to_container(host: str, root: str, path: str, *, archive: bool,
                      follow: bool) -> str:
    source = os.path.realpath(host) if follow else os.path.abspath(host)
    destination = _inside(root, container_path(root, path))
    with _trees(root) as (host_tree, container):
        return copy((host_tree, source), (container, destination),
                    contents_only=host.endswith("/."), dest_is_dir_hint=path.endswith("/"),
                    owner=None if archive else (0, 0))


def container_to_host(root: str, path: str, host: str, *, archive: bool,
                      follow: bool) -> str:
    source = _inside(root, container_path(root, path, follow=follow))
    with _trees(root) as (host_tree, container):
        if _lstat_in(container, source) is None:
            raise CopyError(f"could not find the file {path} in the container")
        return copy((container, source), (host_tree, os.path.abspath(host)),
                    contents_only=path.endswith("/."), dest_is_dir_hint=host.endswith("/"),
                    owner=None if archive else (os.getuid(), os.getgid()))
