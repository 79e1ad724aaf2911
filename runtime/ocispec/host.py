"""What this host can give a container, read once per process (synchronous).

The spec builder is pure; everything it needs to know about the machine (its
architecture and kernel, the capabilities and rlimits pycompose itself holds,
the cgroup layout, the init binary, device nodes) is gathered here.
"""

from __future__ import annotations

import errno
import glob
import os
import platform
import re
import resource
import shutil
import stat
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

# tini-static runs in any image; the dynamically linked tini needs the host's libc.
INIT_CANDIDATES = ("/usr/bin/tini-static", "/usr/local/bin/tini-static", "/sbin/tini-static")

RLIMITS = {
    "as": "RLIMIT_AS", "core": "RLIMIT_CORE", "cpu": "RLIMIT_CPU", "data": "RLIMIT_DATA",
    "fsize": "RLIMIT_FSIZE", "locks": "RLIMIT_LOCKS", "memlock": "RLIMIT_MEMLOCK",
    "msgqueue": "RLIMIT_MSGQUEUE", "nice": "RLIMIT_NICE", "nofile": "RLIMIT_NOFILE",
    "nproc": "RLIMIT_NPROC", "rss": "RLIMIT_RSS", "rtprio": "RLIMIT_RTPRIO",
    "rttime": "RLIMIT_RTTIME", "sigpending": "RLIMIT_SIGPENDING", "stack": "RLIMIT_STACK",
}


@dataclass(frozen=True)
class HostFacts:
    arch: str = "amd64"
    kernel: tuple[int, int] = (6, 1)
    bounding: int = (1 << 41) - 1
    """The capability bounding set of this process: runc cannot grant more."""
    hard_limits: dict[str, int] = field(default_factory=dict)
    """RLIMIT_* -> this process's hard limit (-1 = unlimited): a container cannot
    get more without CAP_SYS_RESOURCE."""
    cgroup2: bool = False
    """The whole hierarchy is cgroup v2 (not v1 or hybrid)."""
    swap_limit: bool = True
    thermal_throttle: tuple[str, ...] = ()
    init: str | None = None
    cpus: int = 1
    absent_arches: tuple[str, ...] = ()
    """Seccomp sub-architectures this kernel cannot run (x32 unless built in and
    enabled): rules for them would be compiled by libseccomp at every runc create
    for nothing (10-15 ms each of 50 with Docker's profile)."""


def go_arch(machine: str) -> str:
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386",
            "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}.get(machine, machine)


def kernel_version(release: str) -> tuple[int, int]:
    match = re.match(r"(\d+)\.(\d+)", release)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def _bounding(status: str) -> int:
    for line in status.splitlines():
        if line.startswith("CapBnd:"):
            return int(line.split()[1], 16)
    return 0


def _hard_limits() -> dict[str, int]:
    limits = {}
    for name in RLIMITS.values():
        number = getattr(resource, name, None)
        if number is None:
            continue
        hard = resource.getrlimit(number)[1]
        limits[name] = -1 if hard == resource.RLIM_INFINITY else hard
    return limits


X32_SYSCALL_BIT = 0x40000000
GETPID_X86_64 = 39


def _absent_arches(machine: str, status: str) -> tuple[str, ...]:
    """("SCMP_ARCH_X32",) on an x86-64 kernel that refuses x32 system calls (most:
    CONFIG_X86_X32_ABI off, or ``syscall.x32=n``): ``getpid`` made with the x32
    bit fails with ENOSYS there, and no x32 binary can run.  Asked only when no
    seccomp filter of our own could answer instead (or kill us for asking)."""
    if machine != "x86_64" or "\nSeccomp:\t0\n" not in status:
        return ()
    import ctypes

    from common.libc import libc

    failed = libc.syscall(X32_SYSCALL_BIT | GETPID_X86_64) == -1
    return ("SCMP_ARCH_X32",) if failed and ctypes.get_errno() == errno.ENOSYS else ()


def _cgroup2() -> bool:
    return Path("/sys/fs/cgroup/cgroup.controllers").exists()


@cache
def host_facts() -> HostFacts:
    with open("/proc/self/status") as file:
        status = file.read()
    cgroup2 = _cgroup2()
    if cgroup2:
        swap = bool(glob.glob("/sys/fs/cgroup/*/memory.swap.max"))
    else:
        swap = Path("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes").exists()
    return HostFacts(
        arch=go_arch(platform.machine()),
        kernel=kernel_version(platform.release()),
        bounding=_bounding(status),
        hard_limits=_hard_limits(),
        cgroup2=cgroup2,
        swap_limit=swap,
        thermal_throttle=tuple(sorted(glob.glob("/sys/devices/system/cpu/cpu*/thermal_throttle"))),
        init=next((p for p in INIT_CANDIDATES if os.access(p, os.X_OK)), None)
        or shutil.which("tini-static"),
        cpus=os.cpu_count() or 1,
        absent_arches=_absent_arches(platform.machine(), status),
    )


@dataclass(frozen=True)
class DeviceNode:
    """A host device node as the OCI spec describes it."""

    path: str
    kind: str  # "c" or "b"
    major: int
    minor: int
    mode: int
    uid: int
    gid: int


class NotADevice(ValueError):
    pass


def device_nodes(path: str) -> list[DeviceNode]:
    """The device at ``path``, or every device under the directory ``path`` (as
    Docker allows ``devices: [/dev/snd]``)."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise NotADevice(f"error gathering device information while adding custom device "
                         f"{path!r}: {exc.strerror.lower() if exc.strerror else exc}") from None
    if stat.S_ISDIR(info.st_mode):
        nodes = []
        for root, _dirs, files in os.walk(path):
            for name in sorted(files):
                full = os.path.join(root, name)
                try:
                    nodes.append(_node(full, os.stat(full)))
                except (OSError, NotADevice):
                    continue
        return nodes
    return [_node(path, info)]


def _node(path: str, info: os.stat_result) -> DeviceNode:
    if stat.S_ISCHR(info.st_mode):
        kind = "c"
    elif stat.S_ISBLK(info.st_mode):
        kind = "b"
    else:
        raise NotADevice(f"{path} is not a device node")
    return DeviceNode(path, kind, os.major(info.st_rdev), os.minor(info.st_rdev),
                      stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)


# Directories of /dev that are never host devices a privileged container gets.
_SKIPPED_DEV = {"pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"}


def all_host_devices() -> list[DeviceNode]:
    """Every device node under /dev, as a privileged container sees them."""
    nodes = []
    for root, dirs, files in os.walk("/dev"):
        dirs[:] = [d for d in dirs if d not in _SKIPPED_DEV]
        for name in sorted(files):
            full = os.path.join(root, name)
            if full == "/dev/console":
                continue
            try:
                info = os.lstat(full)
                nodes.append(_node(full, info))
            except (OSError, NotADevice):
                continue
    return nodes
