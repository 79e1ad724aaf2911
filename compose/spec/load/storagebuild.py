"""The loader's storage part (pure): ``Project.volumes`` and each service's mounts,
``volumes_from`` and granted secrets and configs, from the canonical form.

Short and long syntax are one form by now (``mountmodel.py``); here a named
volume's key is joined with its top-level definition, and a secret or config
reference with where its content comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from compose.spec.model import FileGrant, Mount, Volume, frozen_map

STORAGE_SERVICE_KEYS = frozenset({"volumes", "volumes_from", "secrets", "configs", "tmpfs"})
STORAGE_TOP_LEVEL = frozenset({"volumes", "secrets", "configs"})
SECRETS_DIR = "/run/secrets"


def project_volumes(canonical: Mapping[str, Any]) -> Mapping[str, Volume]:
    project = str(canonical["name"])
    return MappingProxyType({
        str(key): _volume(str(key), raw or {}, project)
        for key, raw in (canonical.get("volumes") or {}).items()
    })


def _volume(key: str, raw: Mapping[str, Any], project: str) -> Volume:
    external = raw.get("external")
    return Volume(
        key=key,
        name=str(raw.get("name") or (key if external else f"{project}_{key}")),
        external=bool(external),
        driver=str(raw.get("driver") or "local"),
        driver_opts=frozen_map((str(k), str(v))
                               for k, v in (raw.get("driver_opts") or {}).items()),
        labels=frozen_map((str(k), str(v)) for k, v in (raw.get("labels") or {}).items()),
    )


def service_mounts(raw: Mapping[str, Any], volumes: Mapping[str, Volume]) -> tuple[Mount, ...]:
    """The service's ``volumes`` entries (long form) as mounts."""
    mounts = []
    for entry in raw.get("volumes") or ():
        kind = str(entry.get("type") or "volume")
        bind = entry.get("bind") or {}
        volume = entry.get("volume") or {}
        tmpfs = entry.get("tmpfs") or {}
        source = str(entry.get("source") or "")
        mounts.append(Mount(
            type=kind,
            target=str(entry.get("target") or ""),
            source=source,
            read_only=bool(entry.get("read_only")),
            volume=volumes.get(source) if kind == "volume" and source else None,
            nocopy=bool(volume.get("nocopy")),
            subpath=str(volume.get("subpath") or ""),
            create_host_path=bool(bind.get("create_host_path")),
            propagation=str(bind.get("propagation") or ""),
            selinux=str(bind.get("selinux") or ""),
            recursive=str(bind.get("recursive") or ""),
            tmpfs_size=None if tmpfs.get("size") is None else int(tmpfs["size"]),
            tmpfs_mode=None if tmpfs.get("mode") is None else int(tmpfs["mode"]),
        ))
    return tuple(mounts)


def service_files(raw: Mapping[str, Any], canonical: Mapping[str, Any],
                  environ: Mapping[str, str]) -> tuple[FileGrant, ...]:
    """Granted secrets (at ``/run/secrets/<target>``) and configs (at ``target``,
    default ``/<key>``), with where their content comes from."""
    grants = []
    for kind, section in (("secret", "secrets"), ("config", "configs")):
        defined = canonical.get(section) or {}
        for ref in raw.get(section) or ():
            key = str(ref.get("source") or "")
            top = defined.get(key) or {}
            target = str(ref.get("target") or "")
            if kind == "secret":
                target = target or key
                if not target.startswith("/"):
                    target = f"{SECRETS_DIR}/{target}"
            else:
                target = target or f"/{key}"
            mode = ref.get("mode")
            variable = top.get("environment")
            grants.append(FileGrant(
                kind=kind, key=key, target=target,
                uid=str(ref.get("uid") or ""), gid=str(ref.get("gid") or ""),
                mode=None if mode is None else _mode(mode),
                file=None if top.get("file") is None else str(top["file"]),
                environment=None if variable is None else str(variable),
                content=(environ.get(str(variable)) if variable is not None
                         else None if top.get("content") is None else str(top["content"])),
                external=bool(top.get("external")),
            ))
    return tuple(grants)


def _mode(value: Any) -> int:
    """A mode as the canonical form keeps it: an octal string (``"0400"``) or a number."""
    if isinstance(value, str):
        return int(value, 8)
    return int(value)


def volumes_from(raw: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(v) for v in raw.get("volumes_from") or ())
