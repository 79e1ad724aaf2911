"""A service's storage as OCI mounts (pure).

``plan_mounts`` turns a service's mounts (named, anonymous and image ``VOLUME``
volumes, binds, tmpfs), the mounts it inherits through ``volumes_from`` and its
granted secrets and configs into the mounts of ``config.json``, plus what the
driver must do on the host first: directories to create for short-syntax binds,
paths that must exist, volumes to populate from the image.  Docker's semantics:
binds are ``rbind`` + ``rprivate`` unless told otherwise; named volumes are binds
of the volume's ``_data``; a local volume with ``driver_opts`` is mounted as its
options say (``type``, ``o``, ``device``).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from compose.spec.model import Mount, Service

TMPFS_OPTIONS = ("rw", "noexec", "nosuid", "nodev")
PROPAGATIONS = frozenset({"rprivate", "private", "rshared", "shared", "rslave", "slave"})


class MountError(ValueError):
    """A mount the file asks for cannot be made (names the key)."""


@dataclass(frozen=True)
class Populate:
    """Copy the image's content at ``target`` into the volume's data ``path`` (if
    the volume is empty)."""

    volume: str
    path: str
    target: str


@dataclass(frozen=True)
class MountPlan:
    mounts: tuple[dict[str, Any], ...] = ()
    create_paths: tuple[str, ...] = ()
    """Bind sources to create as directories when missing (short syntax)."""
    required_paths: tuple[tuple[str, str], ...] = ()
    """(path, error message) for sources that must already exist."""
    populate: tuple[Populate, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def user_mounts(self) -> list[dict[str, Any]]:
        """What a ``volumes_from`` container inherits: binds and volumes."""
        return [m for m in self.mounts if m.get("x-kind") in ("bind", "volume")]


def anonymous_targets(service: Service, image_volumes: Iterable[str]) -> list[str]:
    """Container paths that get an anonymous volume: ``volumes`` entries without a
    source, then the image's ``VOLUME`` paths no other mount covers."""
    targets = [m.target for m in service.mounts if m.type == "volume" and not m.source]
    tmpfs = service.canonical.get("tmpfs") or ()
    covered = ({m.target for m in service.mounts} | {f.target for f in service.files}
               | {str(e).partition(":")[0] for e in ([tmpfs] if isinstance(tmpfs, str)
                                                      else tmpfs)})
    for path in image_volumes:
        clean = posixpath.normpath("/" + path.strip("/")) if path.startswith("/") else path
        if clean not in covered and clean not in targets:
            targets.append(clean)
    return targets


def volume_names(service: Service, anonymous: Mapping[str, str]) -> dict[str, str]:
    """Container path -> volume name, for every volume mount of the service."""
    names = {}
    for mount in service.mounts:
        if mount.type != "volume":
            continue
        if mount.volume is not None:
            names[mount.target] = mount.volume.name
        elif mount.source:
            names[mount.target] = mount.source  # an undeclared name: checks.py refuses it
    names.update(anonymous)
    return names


def _ro(read_only: bool) -> list[str]:
    return ["ro"] if read_only else []


def _bind_options(mount: Mount) -> list[str]:
    options = ["bind" if mount.recursive == "disabled" else "rbind"]
    options.append(mount.propagation or "rprivate")
    return options + _ro(mount.read_only)


def _entry(kind: str, target: str, source: str, mount_type: str,
           options: list[str]) -> dict[str, Any]:
    return {"destination": target, "type": mount_type, "source": source,
            "options": options, "x-kind": kind}


def local_volume_mount(name: str, target: str, options: Mapping[str, str],
                       read_only: bool) -> dict[str, Any]:
    """A local volume with ``driver_opts``, mounted as Docker's local driver would
    mount it on its ``_data``: ``mount -t TYPE -o O DEVICE``."""
    kind = options.get("type", "")
    device = options.get("device", "")
    opts = [o for o in options.get("o", "").split(",") if o]
    if "bind" in opts or "rbind" in opts:
        if not device:
            raise MountError(f"volume {name}: driver_opts o=bind needs a device")
        rest = [o for o in opts if o not in ("bind", "rbind")]
        return _entry("volume", target, device, "bind", ["rbind", "rprivate", *rest,
                                                           *_ro(read_only)])
    if not kind or kind == "none":
        raise MountError(f"volume {name}: driver_opts needs a type (or o: bind)")
    return _entry("volume", target, device or kind, kind, [*opts, *_ro(read_only)])


def plan_mounts(
    service: Service,
    volumes: Mapping[str, str],
    volume_data: Mapping[str, str],
    volume_options: Mapping[str, Mapping[str, str]],
    *,
    files: Mapping[str, str] | None = None,
    inherited: Sequence[tuple[Sequence[dict[str, Any]], str]] = (),
    selinux: bool = False,
) -> MountPlan:
    """``volumes``: container path -> volume name (``volume_names``);
    ``volume_data``: volume name -> its data directory; ``volume_options``: volume
    name -> its driver options; ``files``: a granted file's target -> the host file
    holding its content; ``inherited``: (mounts, "ro"/"rw"/"") per ``volumes_from``
    entry."""
    draft = _Draft(f"services.{service.name}")
    _inherit(draft, inherited)
    for mount in service.mounts:
        _service_mount(draft, mount, selinux)
    _volume_mounts(draft, service, volumes, volume_data, volume_options)
    _file_mounts(draft, service, files or {})
    return draft.plan()


@dataclass
class _Draft:
    """What ``plan_mounts`` has gathered so far.  Mounts are by container path: a
    later one replaces an earlier one at the same path (the service's own mounts
    over inherited ones, granted files over everything)."""

    where: str
    mounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    create: list[str] = field(default_factory=list)
    required: list[tuple[str, str]] = field(default_factory=list)
    populate: list[Populate] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def plan(self) -> MountPlan:
        """Parents mounted before their children; each path to create listed once."""
        ordered = sorted(self.mounts.values(), key=lambda m: depth(str(m["destination"])))
        return MountPlan(tuple(ordered), tuple(dict.fromkeys(self.create)),
                         tuple(self.required), tuple(self.populate), tuple(self.warnings))


def _inherit(draft: _Draft, inherited: Sequence[tuple[Sequence[dict[str, Any]], str]]) -> None:
    """``volumes_from``: the other container's mounts, read-only when the entry says
    ``ro``, or when it says nothing and the mount was."""
    for inherited_mounts, mode in inherited:
        for m in inherited_mounts:
            options = [o for o in m.get("options", []) if o not in ("ro", "rw")]
            read_only = mode == "ro" or (mode != "rw" and "ro" in m.get("options", []))
            draft.mounts[m["destination"]] = {**m, "options": options + _ro(read_only)}


def _service_mount(draft: _Draft, mount: Mount, selinux: bool) -> None:
    """A bind or tmpfs of ``volumes``; volume mounts come after, with the anonymous ones."""
    if not mount.target.startswith("/"):
        raise MountError(f"{draft.where}.volumes: {mount.target!r}: the container path must "
                         "be absolute")
    if mount.type == "bind":
        _bind(draft, mount, selinux)
    elif mount.type == "tmpfs":
        draft.mounts[mount.target] = _tmpfs(mount)
    elif mount.type != "volume":
        raise MountError(f"{draft.where}.volumes: {mount.target}: mount type {mount.type!r} "
                         "is not supported")


def _bind(draft: _Draft, mount: Mount, selinux: bool) -> None:
    """A host path: created when missing for the short syntax, required otherwise."""
    where = draft.where
    if not mount.source:
        raise MountError(f"{where}.volumes: {mount.target}: a bind mount needs a source")
    if mount.selinux and not selinux:
        draft.warnings.append(f"{where}.volumes: {mount.source}:{mount.target}: "
                              f":{mount.selinux} ignored, SELinux is not enabled on this host")
    if mount.propagation and mount.propagation not in PROPAGATIONS:
        raise MountError(f"{where}.volumes: invalid propagation mode {mount.propagation!r}")
    if mount.create_host_path:
        draft.create.append(mount.source)
    else:
        draft.required.append((mount.source, f"{where}.volumes: invalid mount config for "
                               f"type \"bind\": bind source path does not exist: "
                               f"{mount.source}"))
    draft.mounts[mount.target] = _entry("bind", mount.target, mount.source, "bind",
                                        _bind_options(mount))


def _tmpfs(mount: Mount) -> dict[str, Any]:
    """Docker's tmpfs options, then the size and mode asked for."""
    options = list(TMPFS_OPTIONS)
    if mount.tmpfs_size:
        options.append(f"size={mount.tmpfs_size}")
    if mount.tmpfs_mode is not None:
        options.append(f"mode={mount.tmpfs_mode:o}")
    if mount.read_only:
        options[0] = "ro"
    return _entry("tmpfs", mount.target, "tmpfs", "tmpfs", options)


def _volume_mounts(draft: _Draft, service: Service, volumes: Mapping[str, str],
                   volume_data: Mapping[str, str],
                   volume_options: Mapping[str, Mapping[str, str]]) -> None:
    """Named and anonymous volumes: mounted as their driver options say, else a bind
    of their data directory."""
    by_target = {m.target: m for m in service.mounts if m.type == "volume"}
    for target, name in volumes.items():
        declared = by_target.get(target)
        read_only = bool(declared and declared.read_only)
        driver_opts = volume_options.get(name) or {}
        if driver_opts:
            draft.mounts[target] = local_volume_mount(name, target, driver_opts, read_only)
        else:
            draft.mounts[target] = _volume_data(draft, target, name, volume_data[name],
                                                declared, read_only)


def _volume_data(draft: _Draft, target: str, name: str, data: str, declared: Mount | None,
                 read_only: bool) -> dict[str, Any]:
    """A bind of the volume's data directory, or of a ``subpath`` that must exist in
    it; a whole volume is populated from the image unless ``nocopy``."""
    source = data
    subpath = declared.subpath if declared else ""
    if subpath:
        clean = posixpath.normpath(subpath)
        if clean.startswith("..") or posixpath.isabs(clean):
            raise MountError(f"{draft.where}.volumes: {target}: subpath {subpath!r} must "
                             "stay inside the volume")
        source = posixpath.join(data, clean)
        draft.required.append((source, f"{draft.where}.volumes: {target}: subpath "
                               f"{subpath!r} does not exist in volume {name}"))
    elif not (declared and declared.nocopy):
        draft.populate.append(Populate(name, data, target))
    return _entry("volume", target, source, "bind", ["rbind", "rprivate", *_ro(read_only)])


def _file_mounts(draft: _Draft, service: Service, files: Mapping[str, str]) -> None:
    """Granted secrets and configs: read-only binds of the host files holding them."""
    for grant in service.files:
        if grant.target not in files:
            continue
        draft.mounts[grant.target] = _entry(grant.kind, grant.target, files[grant.target],
                                            "bind", ["rbind", "rprivate", "ro"])


def depth(path: str) -> tuple[int, str]:
    """Parents before children (Docker sorts mounts by the number of separators)."""
    return (len([p for p in path.split("/") if p]), path)


def oci_only(mounts: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The mounts without our bookkeeping key."""
    return [{k: v for k, v in m.items() if k != "x-kind"} for m in mounts]
