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
from runtime.ocispec.devices import DeviceError, Devices, block_io, devices
from runtime.ocispec.host import DeviceNode, HostFacts
from runtime.ocispec.namespaces import NamespaceError, Namespaces, namespaces
from runtime.ocispec.resources import ResourceError, Resources, resources
from runtime.ocispec.seccomp import ProfileError, parse_profile, to_oci
from runtime.ocispec.seccomp_default import DEFAULT_PROFILE
from runtime.ocispec.security import (
    SecurityError,
    SecurityOptions,
    check_sysctls,
    security_options,
)
from runtime.ocispec.spec import (
    INIT_PATH,
    MASKED_PATHS,
    READONLY_PATHS,
    ContainerSpec,
    SpecError,
    process_args,
    process_env,
)
from runtime.ocispec.users import ProcessUser, UnknownUser, group_ids, resolve_user

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
    """Phase by phase, in the order their errors are reported; warnings in that order too."""
    raw = service.canonical
    warnings: list[str] = []
    process = _process(service, image_config, g)
    security = _security(raw, g, warnings)
    ns: Namespaces = namespaces(raw, netns=g.netns, cgroup2=g.host.cgroup2)
    warnings += ns.warnings
    sysctls = _sysctls(raw, ns)
    limits = _limits(raw, g, warnings)
    spec = _spec(service, image_config, g, process, security, ns, sysctls, limits)
    stop_signal = service.stop_signal or image_config.get("StopSignal") or "SIGTERM"
    return Decided(spec, str(stop_signal), dict(ns.joins), tuple(warnings))


@dataclass(frozen=True)
class _Process:
    """What the container runs, where, and as whom."""

    args: tuple[str, ...]
    mounts: tuple[Mapping[str, Any], ...]
    """``tmpfs`` entries, the storage mounts, then the init binary."""
    cwd: str
    user: ProcessUser
    gids: tuple[int, ...]
    """The user's additional groups, then ``group_add``'s."""


@dataclass(frozen=True)
class _Security:
    """What the container may do: capabilities, seccomp, hidden system paths."""

    capabilities: tuple[str, ...]
    options: SecurityOptions
    seccomp: Mapping[str, Any] | None
    unconfined_paths: bool


@dataclass(frozen=True)
class _Limits:
    """The cgroup (with ``blkio_config``), rlimits and the devices it gets."""

    resources: Resources
    cgroup: dict[str, Any]
    devices: Devices


def _process(service: Service, image_config: Mapping[str, Any], g: Gathered) -> _Process:
    """The command (behind tini with ``init: true``), working directory and user:
    the service's, else the image's."""
    raw = service.canonical
    args = process_args(service.entrypoint, service.command, image_config)
    mounts: list[Mapping[str, Any]] = [*tmpfs_mounts(raw.get("tmpfs")), *g.mounts]
    if raw.get("init"):
        if g.host.init is None:
            raise SpecError("init: true needs tini-static on the host (Debian package tini)")
        args = (INIT_PATH, "--", *args)
        mounts.append({"destination": INIT_PATH, "type": "bind", "source": g.host.init,
                       "options": ["bind", "ro", "nosuid", "nodev"]})
    cwd = service.working_dir or image_config.get("WorkingDir") or "/"
    if not cwd.startswith("/"):
        raise SpecError(f"working_dir: the working directory {cwd!r} is invalid, it needs "
                        "to be an absolute path")
    user = resolve_user(service.user or image_config.get("User") or None, g.passwd, g.group)
    extra_gids = group_ids(raw.get("group_add") or (), g.group)
    gids = tuple(dict.fromkeys((*user.additional_gids, *extra_gids)))
    return _Process(args, tuple(mounts), cwd, user, gids)


def _security(raw: Mapping[str, Any], g: Gathered, warnings: list[str]) -> _Security:
    """Capabilities and ``security_opt``; a privileged container is left unconfined."""
    privileged = bool(raw.get("privileged"))
    caps = container_capabilities(raw.get("cap_add") or (), raw.get("cap_drop") or (),
                                  privileged=privileged, bounding=g.host.bounding)
    warnings += caps.warnings
    options = security_options(raw.get("security_opt") or ())
    warnings += options.warnings
    seccomp = None
    if not privileged and options.seccomp != "unconfined":
        seccomp = _seccomp(options.seccomp, caps.granted, g)
    return _Security(caps.granted, options, seccomp,
                     privileged or options.systempaths_unconfined)


def _seccomp(wanted: str, capabilities: tuple[str, ...], g: Gathered) -> dict[str, Any]:
    """Docker's default profile, or the file's, filtered for the granted capabilities
    and this host's architecture and kernel."""
    profile = DEFAULT_PROFILE
    if wanted != "builtin":
        if g.seccomp_profile is None:
            raise SpecError(f"security_opt: cannot read seccomp profile {wanted}")
        profile = parse_profile(g.seccomp_profile)
    return to_oci(profile, capabilities=capabilities, arch=g.host.arch, kernel=g.host.kernel,
                  absent=g.host.absent_arches)


def _sysctls(raw: Mapping[str, Any], ns: Namespaces) -> dict[str, str]:
    """``sysctls``, refused when they would reach a namespace the container shares."""
    sysctls = {str(k): str(v) for k, v in (raw.get("sysctls") or {}).items()}
    check_sysctls(sysctls, ipc=ns.private("ipc") or "ipc" in ns.joins,
                  net=ns.private("network"),
                  uts=any(t == "uts" for t, _ in ns.entries))
    return sysctls


def _limits(raw: Mapping[str, Any], g: Gathered, warnings: list[str]) -> _Limits:
    """Resources within what the host has, block IO weights and the devices."""
    res = resources(raw, g.host)
    warnings += res.warnings
    cgroup = dict(res.cgroup)
    blkio = block_io(raw.get("blkio_config") or {}, g.devices)
    if blkio:
        cgroup["blockIO"] = blkio
    devs = devices(raw.get("devices") or (), g.devices, raw.get("device_cgroup_rules") or (),
                   privileged=bool(raw.get("privileged")), host_devices=g.host_devices)
    return _Limits(res, cgroup, devs)


def _spec(service: Service, image_config: Mapping[str, Any], g: Gathered, process: _Process,
          security: _Security, ns: Namespaces, sysctls: Mapping[str, str],
          limits: _Limits) -> ContainerSpec:
    """The phases' decisions with what the driver gathered, as one spec."""
    raw = service.canonical
    tty = bool(raw.get("tty"))
    res = limits.resources
    annotations = {**g.labels, **{str(k): str(v) for k, v in
                                  (raw.get("annotations") or {}).items()}}
    return ContainerSpec(
        container_id=g.container_id,
        args=process.args,
        env=process_env(image_config.get("Env") or [], service.environment, g.hostname,
                        tty=tty),
        cwd=process.cwd,
        hostname=g.hostname,
        rootfs=g.rootfs,
        uid=process.user.uid,
        gid=process.user.gid,
        additional_gids=process.gids,
        netns=g.netns,
        files=dict(g.files),
        rlimits=res.rlimits,
        cgroups_path=cgroups_path(raw.get("cgroup_parent"), g.container_id),
        annotations=annotations,
        terminal=tty,
        capabilities=security.capabilities,
        no_new_privileges=security.options.no_new_privileges,
        seccomp=security.seccomp,
        readonly_root=bool(raw.get("read_only")),
        masked_paths=(() if security.unconfined_paths
                      else (*MASKED_PATHS, *g.host.thermal_throttle)),
        readonly_paths=() if security.unconfined_paths else READONLY_PATHS,
        privileged=bool(raw.get("privileged")),
        namespaces=ns.entries,
        shm=ns.shm,
        shm_size=res.shm_size,
        shm_source=g.shm_source,
        mounts=process.mounts,
        devices=limits.devices.nodes,
        device_rules=limits.devices.rules,
        resources=limits.cgroup,
        oom_score_adj=res.oom_score_adj,
        sysctl=sysctls,
        domainname=str(raw.get("domainname") or ""),
    )
