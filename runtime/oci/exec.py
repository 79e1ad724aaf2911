"""A process started inside a running container (``exec``, health probes): its
OCI process spec, from the container's own config plus what the caller changes
(pure).  As Docker does, it inherits the container's environment, user, working
directory and capabilities; the runtime applies the container's seccomp filter
and rlimits itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from runtime.ocispec.users import ProcessUser


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
