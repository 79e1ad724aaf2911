"""``cp`` between the host and a container's filesystem (synchronous).

A running container is reached through ``/proc/<pid>/root`` (so its tmpfs and
other mounts are seen as inside it); a stopped one through its bundle's
``rootfs``.  Container paths are resolved with ``resolve_in_root``: a symlink in
the image never leads to a host file.  Docker's rules for what lands where: a
file onto a directory goes inside it; a directory onto a missing path becomes
that path; ``dir/.`` copies the contents.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from runtime.ocispec.users import resolve_in_root


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


def _chown_tree(path: str, uid: int, gid: int) -> None:
    os.lchown(path, uid, gid)
    if os.path.isdir(path) and not os.path.islink(path):
        for base, dirs, files in os.walk(path):
            for name in dirs + files:
                os.lchown(os.path.join(base, name), uid, gid)


def copy(source: str, destination: str, *, contents_only: bool, dest_is_dir_hint: bool,
         owner: tuple[int, int] | None) -> str:
    """Copy the resolved host path ``source`` to the resolved host path
    ``destination`` by docker's rules; returns what was written.  ``owner``: the
    uid and gid to give everything written (None: keep the source's)."""
    try:
        info = os.lstat(source)
    except FileNotFoundError:
        raise CopyError("no such file or directory") from None
    is_dir = stat.S_ISDIR(info.st_mode)
    exists = os.path.lexists(destination)
    dest_dir = exists and os.path.isdir(destination)
    if not is_dir:
        if not exists and dest_is_dir_hint:
            raise CopyError("the destination directory must exist")
        target = os.path.join(destination, os.path.basename(source)) if dest_dir \
            else destination
        if not os.path.isdir(os.path.dirname(target) or "/"):
            raise CopyError("the destination's parent directory does not exist")
        if os.path.lexists(target) and not os.path.isdir(target):
            os.unlink(target)
        if stat.S_ISLNK(info.st_mode):
            os.symlink(os.readlink(source), target)
        else:
            shutil.copy2(source, target, follow_symlinks=False)
        written = [target]
    else:
        if exists and not dest_dir:
            raise CopyError("cannot copy a directory to a file")
        if not exists:
            if not os.path.isdir(os.path.dirname(destination.rstrip("/")) or "/"):
                raise CopyError("the destination's parent directory does not exist")
            target = destination
        elif contents_only:
            target = destination
        else:
            target = os.path.join(destination, os.path.basename(source.rstrip("/")))
        shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
        written = [target] if not (exists and contents_only) else \
            [os.path.join(target, n) for n in os.listdir(source)]
    if owner is not None:
        for path in written:
            _chown_tree(path, *owner)
    return written[0] if written else destination


def host_to_container(host: str, root: str, path: str, *, archive: bool,
                      follow: bool) -> str:
    source = os.path.realpath(host) if follow else os.path.abspath(host)
    destination = container_path(root, path)
    return copy(source, destination, contents_only=host.endswith("/."),
                dest_is_dir_hint=path.endswith("/"), owner=None if archive else (0, 0))


def container_to_host(root: str, path: str, host: str, *, archive: bool,
                      follow: bool) -> str:
    source = container_path(root, path, follow=follow)
    if not Path(source).exists() and not os.path.islink(source):
        raise CopyError(f"could not find the file {path} in the container")
    return copy(source, os.path.abspath(host), contents_only=path.endswith("/."),
                dest_is_dir_hint=host.endswith("/"),
                owner=None if archive else (os.getuid(), os.getgid()))
