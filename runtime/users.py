"""``user:`` as the process's uid, gid and supplementary groups, read from the
image's own ``/etc/passwd`` and ``/etc/group`` (pure functions over their text)."""

from __future__ import annotations

from dataclasses import dataclass


class UnknownUser(ValueError):
    pass


@dataclass(frozen=True)
class ProcessUser:
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
