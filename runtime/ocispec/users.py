"""``user:`` as the process's uid, gid and supplementary groups, read from the
image's own ``/etc/passwd`` and ``/etc/group``: pure functions over their text,
and a reader that keeps symlinks in the image from pointing at host files."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass


class UnknownUser(ValueError):
    pass


@dataclass(frozen=True)
class ProcessUser:
    """The ids a process runs as, resolved from the image's passwd and group files."""

    uid: int
    gid: int
    additional_gids: tuple[int, ...] = ()


def _entries(text: str) -> list[list[str]]:
    return [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]


def resolve_user(spec: str | None, passwd: str, group: str) -> ProcessUser:
    """``name``, ``uid``, ``name:group`` or ``uid:gid``, as Docker resolves them."""
    if not spec:
        spec = "0"
    user_part, _, group_part = spec.partition(":")
    users = _entries(passwd)
    uid: int | None = None
    gid: int | None = None
    name: str | None = None
    for entry in users:
        if len(entry) >= 4 and (entry[0] == user_part or entry[2] == user_part):
            name, uid, gid = entry[0], int(entry[2]), int(entry[3])
            break
    if uid is None:
        if not user_part.isdigit():
            raise UnknownUser(
                f"unable to find user {user_part}: no matching entries in passwd file")
        uid, gid = int(user_part), 0
    groups = _entries(group)
    if group_part:
        gid = None
        for entry in groups:
            if len(entry) >= 3 and (entry[0] == group_part or entry[2] == group_part):
                gid = int(entry[2])
                break
        if gid is None:
            if not group_part.isdigit():
                raise UnknownUser(
                    f"unable to find group {group_part}: no matching entries in group file")
            gid = int(group_part)
    extra: list[int] = []
    if name is not None and not group_part:  # an explicit group means no others (runc)
        for entry in groups:
            if len(entry) >= 4 and name in entry[3].split(","):
                extra.append(int(entry[2]))
    return ProcessUser(uid, gid if gid is not None else 0, tuple(sorted(set(extra) - {gid})))


def group_ids(names: Sequence[str], group: str) -> tuple[int, ...]:
    """``group_add`` entries as gids: numbers as they are, names from the image's
    ``/etc/group``."""
    entries = _entries(group)
    result: list[int] = []
    for raw in names:
        name = str(raw)
        gid: int | None = None
        for entry in entries:
            if len(entry) >= 3 and entry[0] == name:
                gid = int(entry[2])
                break
        if gid is None:
            if not name.isdigit():
                raise UnknownUser(f"unable to find group {name}: no matching entries in "
                                  "group file")
            gid = int(name)
        result.append(gid)
    return tuple(result)


_MAX_LINKS = 40


def resolve_in_root(root: str, path: str) -> str:
    """``path`` inside the directory tree ``root`` as a host path, following
    symlinks as if ``root`` were ``/``: an absolute link or ``..`` never leaves
    ``root`` (an image's ``/etc/passwd -> /host/file`` stays inside the image)."""
    parts = [p for p in path.split("/") if p]
    resolved: list[str] = []
    links = 0
    while parts:
        part = parts.pop(0)
        if part == ".":
            continue
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = os.path.join(root, *resolved, part)
        try:
            info = os.lstat(candidate)
        except OSError:
            resolved.append(part)
            continue
        if stat.S_ISLNK(info.st_mode):
            links += 1
            if links > _MAX_LINKS:
                raise OSError(errno.ELOOP, f"too many levels of symbolic links in {path}")
            target = os.readlink(candidate)
            if target.startswith("/"):
                resolved = []
            parts = [p for p in target.split("/") if p] + parts
            continue
        resolved.append(part)
    return os.path.join(root, *resolved)


def read_in_root(root: str, path: str, limit: int = 1 << 20) -> str:
    """The text of the image's file ``path`` (empty if absent), symlinks resolved
    inside ``root`` and the final open refusing to follow one."""
    host_path = resolve_in_root(root, path)
    try:
        fd = os.open(host_path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return ""
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return ""
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return ""
    with os.fdopen(fd, "rb") as handle:
        return handle.read(limit).decode(errors="replace")
