"""The OCI runtime ``config.json`` for a container, generated in full (pure).

``runc spec``'s template differs from Docker's defaults, so nothing is patched
from it: capabilities, mounts, masked paths, devices and namespaces are written
here to match what a docker compose user gets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Docker's default capability set (moby daemon/pkg/oci/caps/defaults.go).
DEFAULT_CAPABILITIES = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
)

MASKED_PATHS = (
    "/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
    "/proc/latency_stats", "/proc/sched_debug", "/proc/scsi", "/proc/timer_list",
    "/proc/timer_stats", "/sys/devices/virtual/powercap", "/sys/firmware",
)
READONLY_PATHS = ("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")

DEFAULT_PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Docker's device cgroup: deny everything, then allow the usual character devices.
_ALLOWED_DEVICES = (
    # null, zero, full, random, urandom
    ("c", 1, 3), ("c", 1, 5), ("c", 1, 7), ("c", 1, 8), ("c", 1, 9),
    ("c", 5, 0), ("c", 5, 1), ("c", 5, 2),  # tty console ptmx
    ("c", 136, None),  # pts
    ("c", 10, 200),  # tun
)


class SpecError(ValueError):
    """The service and image together do not describe a runnable process."""


@dataclass(frozen=True)
class ContainerSpec:
    """Everything the OCI config depends on, decided by the planner."""

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
    files: Mapping[str, str] = field(default_factory=dict)
    """Container path -> host file bind-mounted over it (hosts, hostname, resolv.conf)."""
    nofile: tuple[int, int] = (1048576, 1048576)
    cgroups_path: str = ""
    annotations: Mapping[str, str] = field(default_factory=dict)


def process_args(
    entrypoint: Sequence[str] | None,
    command: Sequence[str] | None,
    image_config: Mapping[str, Any],
) -> tuple[str, ...]:
    """Docker's rule: a service ``entrypoint`` replaces the image's and drops its Cmd;
    ``command`` replaces the image's Cmd."""
    if entrypoint is not None:
        args = [*entrypoint, *(command or [])]
    else:
        image_cmd = image_config.get("Cmd") or []
        args = [*(image_config.get("Entrypoint") or []),
                *(command if command is not None else image_cmd)]
    if not args:
        raise SpecError("no command specified: the service and its image give none")
    return tuple(str(a) for a in args)


def process_env(image_env: Sequence[str], service_env: Mapping[str, str],
                hostname: str) -> tuple[str, ...]:
    """The image's Env overridden by the service's; PATH and HOSTNAME as Docker sets them."""
    merged: dict[str, str] = {}
    for entry in image_env:
        key, _, value = entry.partition("=")
        merged[key] = value
    merged.setdefault("PATH", DEFAULT_PATH_ENV.partition("=")[2])
    merged["HOSTNAME"] = hostname
    merged.update(service_env)
    return tuple(f"{k}={v}" for k, v in merged.items())


def _mount(destination: str, kind: str, source: str, options: list[str]) -> dict[str, Any]:
    return {"destination": destination, "type": kind, "source": source, "options": options}


def default_mounts() -> list[dict[str, Any]]:
    return [
        _mount("/proc", "proc", "proc", ["nosuid", "noexec", "nodev"]),
        _mount("/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]),
        _mount("/dev/pts", "devpts", "devpts",
               ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
        _mount("/sys", "sysfs", "sysfs", ["nosuid", "noexec", "nodev", "ro"]),
        _mount("/sys/fs/cgroup", "cgroup", "cgroup", ["ro", "nosuid", "noexec", "nodev"]),
        _mount("/dev/mqueue", "mqueue", "mqueue", ["nosuid", "noexec", "nodev"]),
        _mount("/dev/shm", "tmpfs", "shm",
               ["nosuid", "noexec", "nodev", "mode=1777", "size=67108864"]),
    ]


def build_spec(spec: ContainerSpec) -> dict[str, Any]:
    caps = list(DEFAULT_CAPABILITIES)
    mounts = default_mounts()
    for destination, source in sorted(spec.files.items()):
        mounts.append(_mount(destination, "bind", source, ["rbind", "rprivate"]))
    namespaces: list[dict[str, str]] = [
        {"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"},
    ]
    if spec.netns is not None:
        namespaces.append({"type": "network", "path": spec.netns})
    else:
        namespaces.append({"type": "network"})
    devices: list[dict[str, Any]] = [{"allow": False, "access": "rwm"}]
    for kind, major, minor in _ALLOWED_DEVICES:
        rule: dict[str, Any] = {"allow": True, "type": kind, "major": major, "access": "rwm"}
        if minor is not None:
            rule["minor"] = minor
        devices.append(rule)
    config: dict[str, Any] = {
        "ociVersion": "1.0.2",
        "process": {
            "terminal": False,
            "user": {"uid": spec.uid, "gid": spec.gid,
                     **({"additionalGids": list(spec.additional_gids)}
                        if spec.additional_gids else {})},
            "args": list(spec.args),
            "env": list(spec.env),
            "cwd": spec.cwd,
            "capabilities": {k: caps for k in ("bounding", "effective", "permitted")},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": spec.nofile[1], "soft": spec.nofile[0]}],
            "noNewPrivileges": False,
            "oomScoreAdj": 0,
        },
        "root": {"path": spec.rootfs, "readonly": False},
        "hostname": spec.hostname,
        "mounts": mounts,
        "linux": {
            "namespaces": namespaces,
            "maskedPaths": list(MASKED_PATHS),
            "readonlyPaths": list(READONLY_PATHS),
            "resources": {"devices": devices},
        },
    }
    if spec.cgroups_path:
        config["linux"]["cgroupsPath"] = spec.cgroups_path
    if spec.annotations:
        config["annotations"] = dict(spec.annotations)
    return config
