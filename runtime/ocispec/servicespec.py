"""A service plus its image config, decided into a ``ContainerSpec`` (pure).

Every service key that changes the container's process, security or resources
is read here from ``service.canonical`` (what ``config`` prints).  What needs the
host (its limits, capabilities, device nodes, an init binary, a seccomp file) is
gathered by the container driver first, so this stays a function over data that
the golden tests call directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from compose.spec.model import Service
from runtime.ocispec.capabilities import CapabilityError, container_capabilities
from runtime.ocispec.devices import DeviceError, block_io, devices
from runtime.ocispec.host import DeviceNode, HostFacts
from runtime.ocispec.namespaces import NamespaceError, Namespaces, namespaces
from runtime.ocispec.resources import ResourceError, resources
from runtime.ocispec.seccomp import ProfileError, parse_profile, to_oci
from runtime.ocispec.seccomp_default import DEFAULT_PROFILE
from runtime.ocispec.security import SecurityError, check_sysctls, security_options
from runtime.ocispec.spec import (
    INIT_PATH,
    MASKED_PATHS,
    READONLY_PATHS,
    ContainerSpec,
    SpecError,
    process_args,
    process_env,
)
from runtime.ocispec.users import UnknownUser, group_ids, resolve_user

DEFAULT_CGROUP_PARENT = "/pycompose"
# Docker's options for a ``tmpfs`` entry before the user's own.
TMPFS_OPTIONS = ("rw", "noexec", "nosuid", "nodev")


@dataclass(frozen=True)
class Gathered:
    """What the driver read from the host and the image for one container."""

    container_id: str
    hostname: str
    rootfs: str
    host: HostFacts
    netns: str | None = None
    files: Mapping[str, str] = field(default_factory=dict)
    passwd: str = ""
    group: str = ""
    devices: Mapping[str, tuple[DeviceNode, ...]] = field(default_factory=dict)
    """Host path -> its device nodes, for ``devices`` and ``blkio_config``."""
    host_devices: tuple[DeviceNode, ...] = ()
    """Every host device (only gathered for a privileged container)."""
    seccomp_profile: str | None = None
    """The text of a ``seccomp=FILE`` profile."""
    shm_source: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    mounts: tuple[Mapping[str, Any], ...] = ()
    """Storage mounts (volumes, binds, tmpfs, secrets, configs), made ready by
    ``volumes.driver.prepare``."""


@dataclass(frozen=True)
class Decided:
    spec: ContainerSpec
    stop_signal: str
    joins: Mapping[str, str] = field(default_factory=dict)
    """Namespace type -> the ``service:x``/``container:x`` it joins at start."""
    warnings: tuple[str, ...] = ()


def seccomp_file(service: Mapping[str, Any]) -> str | None:
    """The path of a ``security_opt: [seccomp=FILE]`` profile, if one is asked for."""
    try:
        wanted = security_options(service.get("security_opt") or ()).seccomp
    except SecurityError:
        return None
    return None if wanted in ("builtin", "unconfined") else wanted


def tmpfs_mounts(entries: Any) -> list[dict[str, Any]]:
    """``tmpfs: [/run, "/tmp:size=10m,mode=1777"]`` as mounts."""
    if isinstance(entries, str):
        entries = [entries]
    mounts = []
    for entry in entries or ():
        destination, _, options = str(entry).partition(":")
        if not destination.startswith("/"):
            raise SpecError(f"tmpfs: {destination!r} is not an absolute path")
        opts = [*TMPFS_OPTIONS, *(o for o in options.split(",") if o)]
        mounts.append({"destination": destination, "type": "tmpfs", "source": "tmpfs",
                       "options": opts})
    return mounts


def cgroups_path(parent: str | None, container_id: str) -> str:
    base = "/" + (parent or DEFAULT_CGROUP_PARENT).strip("/")
    return f"{base.rstrip('/')}/{container_id}"


def decide(service: Service, image_config: Mapping[str, Any], gathered: Gathered) -> Decided:
    """The container's spec, or ``SpecError`` naming the key that cannot be honoured."""
    try:
        return _decide(service, image_config, gathered)
    except (CapabilityError, ResourceError, DeviceError, SecurityError, NamespaceError,
            UnknownUser, ProfileError) as exc:
        raise SpecError(str(exc)) from None


def _decide(service: Service, image_config: Mapping[str, Any], g: Gathered) -> Decided:
    raw = service.canonical
    host = g.host
    warnings: list[str] = []
    privileged = bool(raw.get("privileged"))
    tty = bool(raw.get("tty"))

    args = process_args(service.entrypoint, service.command, image_config)
    mounts = [*tmpfs_mounts(raw.get("tmpfs")), *g.mounts]
    if raw.get("init"):
        if host.init is None:
            raise SpecError("init: true needs tini-static on the host (Debian package tini)")
        args = (INIT_PATH, "--", *args)
        mounts.append({"destination": INIT_PATH, "type": "bind", "source": host.init,
                       "options": ["bind", "ro", "nosuid", "nodev"]})

    cwd = service.working_dir or image_config.get("WorkingDir") or "/"
    if not cwd.startswith("/"):
        raise SpecError(f"working_dir: the working directory {cwd!r} is invalid, it needs "
                        "to be an absolute path")
    user = resolve_user(service.user or image_config.get("User") or None, g.passwd, g.group)
    extra_gids = group_ids(raw.get("group_add") or (), g.group)
    gids = tuple(dict.fromkeys((*user.additional_gids, *extra_gids)))

    caps = container_capabilities(raw.get("cap_add") or (), raw.get("cap_drop") or (),
                                  privileged=privileged, bounding=host.bounding)
    warnings += caps.warnings
    options = security_options(raw.get("security_opt") or ())
    warnings += options.warnings
    seccomp = None
    if not privileged and options.seccomp != "unconfined":
        profile = DEFAULT_PROFILE
        if options.seccomp != "builtin":
            if g.seccomp_profile is None:
                raise SpecError(f"security_opt: cannot read seccomp profile {options.seccomp}")
            profile = parse_profile(g.seccomp_profile)
        seccomp = to_oci(profile, capabilities=caps.granted, arch=host.arch, kernel=host.kernel)
    unconfined_paths = privileged or options.systempaths_unconfined

    ns: Namespaces = namespaces(raw, netns=g.netns, cgroup2=host.cgroup2)
    warnings += ns.warnings
    sysctls = {str(k): str(v) for k, v in (raw.get("sysctls") or {}).items()}
    check_sysctls(sysctls, ipc=ns.private("ipc") or "ipc" in ns.joins,
                  net=ns.private("network"),
                  uts=any(t == "uts" for t, _ in ns.entries))

    res = resources(raw, host)
    warnings += res.warnings
    cgroup = dict(res.cgroup)
    blkio = block_io(raw.get("blkio_config") or {}, g.devices)
    if blkio:
        cgroup["blockIO"] = blkio
    devs = devices(raw.get("devices") or (), g.devices, raw.get("device_cgroup_rules") or (),
                   privileged=privileged, host_devices=g.host_devices)

    annotations = {**g.labels, **{str(k): str(v) for k, v in
                                  (raw.get("annotations") or {}).items()}}
    spec = ContainerSpec(
        container_id=g.container_id,
        args=args,
        env=process_env(image_config.get("Env") or [], service.environment, g.hostname,
                        tty=tty),
        cwd=cwd,
        hostname=g.hostname,
        rootfs=g.rootfs,
        uid=user.uid,
        gid=user.gid,
        additional_gids=gids,
        netns=g.netns,
        files=dict(g.files),
        rlimits=res.rlimits,
        cgroups_path=cgroups_path(raw.get("cgroup_parent"), g.container_id),
        annotations=annotations,
        terminal=tty,
        capabilities=caps.granted,
        no_new_privileges=options.no_new_privileges,
        seccomp=seccomp,
        readonly_root=bool(raw.get("read_only")),
        masked_paths=() if unconfined_paths else (*MASKED_PATHS, *host.thermal_throttle),
        readonly_paths=() if unconfined_paths else READONLY_PATHS,
        privileged=privileged,
        namespaces=ns.entries,
        shm=ns.shm,
        shm_size=res.shm_size,
        shm_source=g.shm_source,
        mounts=tuple(mounts),
        devices=devs.nodes,
        device_rules=devs.rules,
        resources=cgroup,
        oom_score_adj=res.oom_score_adj,
        sysctl=sysctls,
        domainname=str(raw.get("domainname") or ""),
    )
    stop_signal = service.stop_signal or image_config.get("StopSignal") or "SIGTERM"
    return Decided(spec, str(stop_signal), dict(ns.joins), tuple(warnings))
