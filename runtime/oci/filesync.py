"""``watch``'s sync: host files made the same inside a container (synchronous).

Built on ``copy.py``'s safe paths: every container path is opened with
``openat2(RESOLVE_IN_ROOT)`` and written by name under its directory's
descriptor, so a symlink in the container never leads out of it.  A changed file
replaces the old one atomically (a temporary name, then ``rename``), keeping the
old file's owner and mode, so a reader never sees half a file; a new file gets the
host file's mode and the container user's uid and gid (as docker compose's tar
copy does).  A file that cannot be renamed over (a bind-mounted one) is rewritten
in place.  A deleted path is deleted, a directory with what is in it.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
import stat
from collections.abc import Sequence

from common.syncpaths import DIRECTORY, MISSING, SyncEntry
from runtime.images.unpack import openat2
from runtime.oci.copy import _DIR, _closing, _copy_content, _put_file, _Tree, _trees

Owner = tuple[int, int]


def sync_into(root: str, entries: Sequence[SyncEntry], owner: Owner) -> None:
    """Carry out ``entries`` (already ordered: deletions, directories, files) in the
    container whose root directory is ``root``."""
    with _trees(root) as (_, container):
        for entry in entries:
            if entry.kind == MISSING:
                _delete(container, entry.container)
            elif entry.kind == DIRECTORY:
                _make_dirs(container, entry.container, owner, _mode(entry.host, 0o755))
            else:
                _put(container, entry, owner)


def _mode(host: str, default: int) -> int:
    try:
        return stat.S_IMODE(os.stat(host).st_mode)
    except OSError:
        return default


def _relative(path: str) -> str:
    return path.strip("/") or "."


def _make_dirs(tree: _Tree, path: str, owner: Owner, mode: int) -> None:
    """``mkdir -p`` inside the container; new directories get ``owner`` and ``mode``."""
    done = ""
    for part in [p for p in path.split("/") if p]:
        here = f"{done}/{part}"
        try:
            os.close(openat2(tree.fd, _relative(here), _DIR, tree.resolve))
        except FileNotFoundError:
            with _closing(tree.open_dir(done or "/"), part) as (parent, name):
                _clear_non_dir(parent, name)
                os.mkdir(name, 0o700, dir_fd=parent)
                made = os.open(name, _DIR | os.O_NOFOLLOW, dir_fd=parent)
                try:
                    os.fchown(made, *owner)
                    os.fchmod(made, mode)
                finally:
                    os.close(made)
        except NotADirectoryError:
            with _closing(tree.open_dir(done or "/"), part) as (parent, name):
                os.unlink(name, dir_fd=parent)  # a file where a directory goes
            _make_dirs(tree, here, owner, mode)
        done = here


def _clear_non_dir(parent: int, name: str) -> None:
    """A dangling symlink where a directory goes is removed, never followed."""
    try:
        info = os.stat(name, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(info.st_mode):
        os.unlink(name, dir_fd=parent)


def _delete(tree: _Tree, path: str) -> None:
    try:
        parent, name = tree.parent(path)
    except (FileNotFoundError, NotADirectoryError):
        return
    with _closing(parent, name):
        if name in ("", ".", ".."):
            return
        try:
            info = os.stat(name, dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(info.st_mode):
            shutil.rmtree(name, dir_fd=parent)
        else:
            os.unlink(name, dir_fd=parent)


def _put(tree: _Tree, entry: SyncEntry, owner: Owner) -> None:
    head = entry.container.rstrip("/").rpartition("/")[0] or "/"
    _make_dirs(tree, head, owner, 0o755)
    source_dir, _, source_name = entry.host.rpartition("/")
    with _closing(os.open(source_dir or "/", _DIR), source_name) as (src_parent, src_name), \
            _closing(*tree.parent(entry.container)) as (parent, name):
        try:
            info = os.stat(src_name, dir_fd=src_parent, follow_symlinks=False)
        except FileNotFoundError:
            return  # gone since the batch was planned: the next batch deletes it
        if not stat.S_ISREG(info.st_mode):
            _put_file(src_parent, src_name, parent, name, owner)  # a link or node
            return
        _replace(src_parent, src_name, parent, name, owner, stat.S_IMODE(info.st_mode))


def _replace(src_parent: int, src_name: str, parent: int, name: str, owner: Owner,
             mode: int) -> None:
    """``name`` atomically replaced by the host file, keeping its owner and mode."""
    try:
        old = os.stat(name, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        old = None
    if old is not None and stat.S_ISDIR(old.st_mode):
        shutil.rmtree(name, dir_fd=parent)
        old = None
    keep = old is not None and stat.S_ISREG(old.st_mode)
    uid, gid = (old.st_uid, old.st_gid) if keep and old else owner
    mode = stat.S_IMODE(old.st_mode) if keep and old else mode
    temporary = f".{name}.pycompose-sync-{secrets.token_hex(4)}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    target = os.open(temporary, flags, 0o600, dir_fd=parent)
    try:
        _copy_content(src_parent, src_name, target)
        os.fchown(target, uid, gid)
        os.fchmod(target, mode)
    finally:
        os.close(target)
    try:
        os.rename(temporary, name, src_dir_fd=parent, dst_dir_fd=parent)
    except OSError as exc:
        os.unlink(temporary, dir_fd=parent)
        if exc.errno != errno.EBUSY:
            raise
        _rewrite(src_parent, src_name, parent, name)


def _rewrite(src_parent: int, src_name: str, parent: int, name: str) -> None:
    """A mount point (a bind-mounted file) cannot be renamed over: rewritten in place."""
    target = os.open(name, os.O_WRONLY | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC,
                     dir_fd=parent)
    try:
        _copy_content(src_parent, src_name, target)
    finally:
        os.close(target)
