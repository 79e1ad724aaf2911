"""The OCI runtime ``config.json`` for a container, generated in full (pure).

``runc spec``'s template differs from Docker's defaults, so nothing is patched
from it: capabilities, mounts, masked paths, devices and namespaces are written
here to match what a docker compose user gets.  ``ContainerSpec`` holds what was
decided for one container (``servicespec`` decides it from the service and its
image); ``build_spec`` only renders it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from common.commandline import command_line
from runtime.ocispec.capabilities import DEFAULT_CAPABILITIES
from runtime.ocispec.devices import DEFAULT_DEVICE_RULES
from runtime.ocispec.namespaces import SHM_HOST, SHM_JOINED, SHM_NONE, SHM_PRIVATE, SHM_SHAREABLE
from runtime.ocispec.resources import DEFAULT_NOFILE, DEFAULT_SHM, Rlimit

__all__ = ["DEFAULT_CAPABILITIES", "DEFAULT_PATH_ENV", "MASKED_PATHS", "READONLY_PATHS",
           "ContainerSpec", "SpecError", "build_spec", "process_args", "process_env"]

# moby daemon/pkg/oci/defaults.go, plus each CPU's thermal_throttle (host-dependent).
MASKED_PATHS = (
    "/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
    "/proc/latency_stats", "/proc/sched_debug", "/proc/scsi", "/proc/timer_list",
    "/proc/timer_stats", "/sys/devices/virtual/powercap", "/sys/firmware",
)
READONLY_PATHS = ("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")

DEFAULT_PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
INIT_PATH = "/sbin/docker-init"  # where Docker puts its init in the container


class SpecError(ValueError):
    """The service and image together do not describe a runnable process."""


@dataclass(frozen=True)
class ContainerSpec:
    """Everything the OCI config depends on, decided before it is rendered."""

    container_id: str
    args: tuple[str, ...]
    env: tuple[str, ...]
    cwd: str
    hostname: str
    rootfs: str
    uid: int = 0
    gid: int = 0
    additional_gids: tuple[int, ...] = ()
    netns: str | None = None
    """The network namespace to join when ``namespaces`` is not given."""
    files: Mapping[str, str] = field(default_factory=dict)
    """Container path -> host file bind-mounted over it (hosts, hostname, resolv.conf)."""
    rlimits: tuple[Rlimit, ...] = (Rlimit("RLIMIT_NOFILE", DEFAULT_NOFILE, DEFAULT_NOFILE),)
    cgroups_path: str = ""
    annotations: Mapping[str, str] = field(default_factory=dict)
    terminal: bool = False
    capabilities: tuple[str, ...] = DEFAULT_CAPABILITIES
    no_new_privileges: bool = False
    seccomp: Mapping[str, Any] | None = None
    readonly_root: bool = False
    masked_paths: tuple[str, ...] = MASKED_PATHS
    readonly_paths: tuple[str, ...] = READONLY_PATHS
    privileged: bool = False
    """/sys and the cgroup mount writable (the rest of privilege is in the fields)."""
    namespaces: tuple[tuple[str, str | None], ...] | None = None
    shm: str = SHM_PRIVATE
    shm_size: int = DEFAULT_SHM
    shm_source: str | None = None
    """Host directory bind-mounted at /dev/shm (shareable, joined or host IPC)."""
    mounts: tuple[Mapping[str, Any], ...] = ()
    """Further mounts (tmpfs, the init binary), by destination."""
    devices: tuple[Mapping[str, Any], ...] = ()
    device_rules: tuple[Mapping[str, Any], ...] = DEFAULT_DEVICE_RULES
    resources: Mapping[str, Any] = field(default_factory=dict)
    """OCI ``linux.resources`` other than devices (memory, cpu, pids, blockIO)."""
    oom_score_adj: int = 0
    sysctl: Mapping[str, str] = field(default_factory=dict)
    domainname: str = ""


def process_args(
    entrypoint: Sequence[str] | None,
    command: Sequence[str] | None,
    image_config: Mapping[str, Any],
) -> tuple[str, ...]:
    """Docker's rule (common/commandline.py); SpecError when it gives nothing."""
    args = command_line(entrypoint, command, image_config)
    if not args:
        raise SpecError("no command specified: the service and its image give none")
    return args


def process_env(image_env: Sequence[str], service_env: Mapping[str, str],
                hostname: str, *, tty: bool = False) -> tuple[str, ...]:
    """As the daemon builds it: PATH and HOSTNAME (and TERM with a terminal), then
    the service's variables, then the image's that the service does not set, each
    replacing an earlier entry of the same name."""
    merged: dict[str, str] = {"PATH": DEFAULT_PATH_ENV.partition("=")[2], "HOSTNAME": hostname}
    if tty:
        merged["TERM"] = "xterm"
    config = [(k, v) for k, v in service_env.items()]
    for entry in image_env:
        key, _, value = entry.partition("=")
        if key not in service_env:
            config.append((key, value))
    for key, value in config:
        merged[key] = value
    return tuple(f"{k}={v}" for k, v in merged.items())


def _mount(destination: str, kind: str, source: str, options: list[str]) -> dict[str, Any]:
    return {"destination": destination, "type": kind, "source": source, "options": options}


def default_mounts(*, privileged: bool = False, shm: str = SHM_PRIVATE,
                   shm_size: int = DEFAULT_SHM, shm_source: str | None = None
                   ) -> list[dict[str, Any]]:
    sys_mode = "rw" if privileged else "ro"
    mounts = [
        _mount("/proc", "proc", "proc", ["nosuid", "noexec", "nodev"]),
        _mount("/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]),
        _mount("/dev/pts", "devpts", "devpts",
               ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
        _mount("/sys", "sysfs", "sysfs", ["nosuid", "noexec", "nodev", sys_mode]),
        _mount("/sys/fs/cgroup", "cgroup", "cgroup", [sys_mode, "nosuid", "noexec", "nodev"]),
        _mount("/dev/mqueue", "mqueue", "mqueue", ["nosuid", "noexec", "nodev"]),
    ]
    if shm == SHM_PRIVATE:
        mounts.append(_mount("/dev/shm", "tmpfs", "shm",
                             ["nosuid", "noexec", "nodev", "mode=1777", f"size={shm_size}"]))
    elif shm == SHM_HOST:
        mounts.append(_mount("/dev/shm", "bind", "/dev/shm", ["rbind", "rprivate"]))
    elif shm in (SHM_SHAREABLE, SHM_JOINED):
        if not shm_source:  # never fall back to the host's /dev/shm
            raise ValueError(f"a {shm} /dev/shm needs its host directory")
        mounts.append(_mount("/dev/shm", "bind", shm_source, ["rbind", "rprivate"]))
    elif shm != SHM_NONE:
        raise ValueError(f"unknown /dev/shm kind {shm!r}")
    return mounts


def _namespaces(spec: ContainerSpec) -> list[dict[str, str]]:
    entries = spec.namespaces
    if entries is None:
        entries = (("pid", None), ("ipc", None), ("uts", None), ("mount", None),
                   ("network", spec.netns))
    return [{"type": kind, **({"path": path} if path else {})} for kind, path in entries]


def _all_mounts(spec: ContainerSpec) -> list[dict[str, Any]]:
    """Docker's mounts, then the user's and the container's files by destination.
    A user mount replaces Docker's own at its destination (``/dev/shm``, and
    ``/dev/*`` under a ``/dev`` mount, as moby's ``WithMounts``) and the file
    Docker would put there (``/etc/hosts``..., as its ``NetworkMounts``): runc
    mounts in order, so a later one would hide the user's."""
    mine = {str(m["destination"]) for m in spec.mounts}
    over_dev = "/dev" in mine
    mounts = [m for m in default_mounts(privileged=spec.privileged, shm=spec.shm,
                                        shm_size=spec.shm_size, shm_source=spec.shm_source)
              if m["destination"] not in mine
              and not (over_dev and m["destination"].startswith("/dev/"))]
    extra = [dict(m) for m in spec.mounts]
    extra += [_mount(destination, "bind", source, ["rbind", "rprivate"])
              for destination, source in spec.files.items() if destination not in mine]
    return mounts + sorted(extra, key=lambda m: str(m["destination"]))


def build_spec(spec: ContainerSpec) -> dict[str, Any]:
    caps = list(spec.capabilities)
    mounts = _all_mounts(spec)
    user: dict[str, Any] = {"uid": spec.uid, "gid": spec.gid}
    if spec.additional_gids:
        user["additionalGids"] = list(spec.additional_gids)
    process: dict[str, Any] = {
        "terminal": spec.terminal,
        "user": user,
        "args": list(spec.args),
        "env": list(spec.env),
        "cwd": spec.cwd,
        "capabilities": {k: list(caps) for k in ("bounding", "effective", "permitted")},
        "rlimits": [{"type": r.type, "hard": r.hard, "soft": r.soft} for r in spec.rlimits],
        "noNewPrivileges": spec.no_new_privileges,
        "oomScoreAdj": spec.oom_score_adj,
    }
    resources: dict[str, Any] = {"devices": [dict(r) for r in spec.device_rules]}
    resources.update({k: v for k, v in spec.resources.items() if k != "devices"})
    linux: dict[str, Any] = {
        "namespaces": _namespaces(spec),
        "maskedPaths": list(spec.masked_paths),
        "readonlyPaths": list(spec.readonly_paths),
        "resources": resources,
    }
    if spec.devices:
        linux["devices"] = [dict(d) for d in spec.devices]
    sysctl = dict(spec.sysctl)
    if spec.domainname:
        sysctl.setdefault("kernel.domainname", spec.domainname)
    if sysctl:
        linux["sysctl"] = sysctl
    if spec.seccomp is not None:
        linux["seccomp"] = dict(spec.seccomp)
    if spec.cgroups_path:
        linux["cgroupsPath"] = spec.cgroups_path
    config: dict[str, Any] = {
        "ociVersion": "1.0.2",
        "process": process,
        "root": {"path": spec.rootfs, "readonly": spec.readonly_root},
    }
    if any(kind == "uts" for kind, _ in (spec.namespaces or (("uts", None),))):
        config["hostname"] = spec.hostname  # runc refuses a hostname without a UTS namespace
    config["mounts"] = mounts
    config["linux"] = linux
    if spec.annotations:
        config["annotations"] = dict(spec.annotations)
    return config
