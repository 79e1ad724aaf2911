"""A process started inside a running container (``exec``, health probes): its
OCI process spec, from the container's own config plus what the caller changes
(pure).  As Docker does, it inherits the container's environment, user, working
directory and capabilities; the runtime applies the container's seccomp filter
and rlimits itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from common.errors import RuntimeFailure
from common.records import ContainerRecord
from common.statefiles import read_json
from runtime.ocispec.users import ProcessUser, UnknownUser, read_in_root, resolve_user

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def exec_process(config: Mapping[str, Any], args: Sequence[str], *,
                 user: ProcessUser | None = None, env: Mapping[str, str] | None = None,
                 cwd: str | None = None, tty: bool = False,
                 capabilities: Sequence[str] | None = None) -> dict[str, Any]:
    """``capabilities``: instead of the container's (a privileged exec gets every
    capability the host has)."""
    base = config.get("process") or {}
    merged: dict[str, str] = {}
    for entry in base.get("env") or ():
        key, _, value = str(entry).partition("=")
        merged[key] = value
    if tty:
        merged.setdefault("TERM", "xterm")
    merged.update(env or {})
    if user is None:
        process_user = dict(base.get("user") or {"uid": 0, "gid": 0})
    else:
        process_user = {"uid": user.uid, "gid": user.gid}
        if user.additional_gids:
            process_user["additionalGids"] = list(user.additional_gids)
    process: dict[str, Any] = {
        "terminal": tty,
        "user": process_user,
        "args": [str(a) for a in args],
        "env": [f"{k}={v}" for k, v in merged.items()],
        "cwd": cwd or base.get("cwd") or "/",
        "noNewPrivileges": bool(base.get("noNewPrivileges")),
    }
    if capabilities is not None:
        process["capabilities"] = {k: list(capabilities)
                                   for k in ("bounding", "effective", "permitted")}
    elif base.get("capabilities"):
        process["capabilities"] = base["capabilities"]
    return process


def container_exec_process(directory: Path, record: ContainerRecord, args: Sequence[str], *,
                           user: str | None, env: Mapping[str, str] | None, cwd: str | None,
                           tty: bool = False, capabilities: Sequence[str] | None = None,
                           ) -> dict[str, Any]:
    """The process spec of an exec in the container whose bundle is ``directory``:
    its own process, with what the caller changes (a user named in the container's
    own /etc/passwd)."""
    process_user = None
    if user:
        root = str(directory / "rootfs")
        try:
            process_user = resolve_user(user, read_in_root(root, "/etc/passwd"),
                                        read_in_root(root, "/etc/group"))
        except UnknownUser as exc:
            raise RuntimeFailure(f"container {record.name}: {exc}") from None
    return exec_process(spec_of(directory), args, user=process_user, env=env, cwd=cwd,
                        tty=tty, capabilities=capabilities)


def spec_of(directory: Path) -> dict[str, Any]:
    """The OCI runtime spec a container was created with ({} once gone)."""
    try:
        value: dict[str, Any] = read_json(directory / "config.json")
        return value
    except (FileNotFoundError, ValueError):
        return {}
