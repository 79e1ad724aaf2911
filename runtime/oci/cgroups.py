"""A container's cgroup: where it is (v1 controllers or the v2 tree) and what it
counts (CPU, memory, pids, block I/O, OOM kills).

Parsing is pure; the readers are small synchronous functions (sysfs reads are
cheap and never block for long).  ``cgroups_path`` is the spec's
``linux.cgroupsPath`` (``/pycompose/<id>``), which runc's cgroupfs manager
places under each v1 controller, or under /sys/fs/cgroup on a v2 host.
"""

from __future__ import annotations

from pathlib import Path

from common.status import CgroupStats, Usage

ROOT = Path("/sys/fs/cgroup")


def _dir(cgroups_path: str, controller: str, cgroup2: bool, root: Path) -> Path:
    relative = cgroups_path.strip("/")
    return root / relative if cgroup2 else root / controller / relative


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except (FileNotFoundError, NotADirectoryError, PermissionError, OSError):
        return ""


def flat_keyed(text: str) -> dict[str, int]:
    """``key value`` lines (memory.stat, memory.oom_control, memory.events, cpu.stat)."""
    result = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            result[parts[0]] = int(parts[1])
    return result


def blkio_v1(text: str) -> tuple[int, int]:
    """blkio.throttle.io_service_bytes: ``8:0 Read 4096`` lines; read and write totals."""
    read = write = 0
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2].isdigit():
            if parts[1] == "Read":
                read += int(parts[2])
            elif parts[1] == "Write":
                write += int(parts[2])
    return read, write


def io_stat_v2(text: str) -> tuple[int, int]:
    """io.stat: ``8:0 rbytes=4096 wbytes=0 ...`` lines."""
    read = write = 0
    for line in text.splitlines():
        for field in line.split()[1:]:
            key, _, value = field.partition("=")
            if key == "rbytes" and value.isdigit():
                read += int(value)
            elif key == "wbytes" and value.isdigit():
                write += int(value)
    return read, write


def _limit(text: str) -> int | None:
    text = text.strip()
    if not text or text == "max":
        return None
    value = int(text)
    return None if value >= 1 << 62 else value  # v1 reports "no limit" as a huge number


def read_stats(cgroups_path: str, *, cgroup2: bool, root: Path = ROOT) -> CgroupStats:
    def at(controller: str, name: str) -> str:
        return _read(_dir(cgroups_path, controller, cgroup2, root) / name)

    if cgroup2:
        cpu_ns = flat_keyed(at("", "cpu.stat")).get("usage_usec", 0) * 1000
        usage = int(at("", "memory.current").strip() or 0)
        inactive = flat_keyed(at("", "memory.stat")).get("inactive_file", 0)
        limit = _limit(at("", "memory.max"))
        block = io_stat_v2(at("", "io.stat"))
    else:
        cpu_ns = int(at("cpuacct", "cpuacct.usage").strip() or 0)
        usage = int(at("memory", "memory.usage_in_bytes").strip() or 0)
        inactive = flat_keyed(at("memory", "memory.stat")).get("total_inactive_file", 0)
        limit = _limit(at("memory", "memory.limit_in_bytes"))
        block = blkio_v1(at("blkio", "blkio.throttle.io_service_bytes"))
    pids = int(at("pids", "pids.current").strip() or 0)
    return CgroupStats(cpu_ns=cpu_ns, memory=max(usage - inactive, 0), memory_limit=limit,
                       pids=pids, block_read=block[0], block_write=block[1])


def oom_kills(cgroups_path: str, *, cgroup2: bool, root: Path = ROOT) -> int:
    """How many processes the kernel's OOM killer ended in this cgroup."""
    if cgroup2:
        text = _read(_dir(cgroups_path, "", True, root) / "memory.events")
    else:
        text = _read(_dir(cgroups_path, "memory", False, root) / "memory.oom_control")
    return flat_keyed(text).get("oom_kill", 0)


def net_dev(text: str) -> tuple[int, int]:
    """/proc/<pid>/net/dev: received and sent bytes over every interface but lo."""
    rx = tx = 0
    for line in text.splitlines()[2:]:
        name, _, counters = line.partition(":")
        fields = counters.split()
        if name.strip() == "lo" or len(fields) < 9:
            continue
        rx += int(fields[0])
        tx += int(fields[8])
    return rx, tx


def system_cpu_ns(text: str) -> int:
    """/proc/stat's first line as nanoseconds of CPU time (docker's system usage)."""
    first = text.splitlines()[0].split() if text else []
    ticks = sum(int(v) for v in first[1:8]) if first and first[0] == "cpu" else 0
    return ticks * 10_000_000  # USER_HZ is 100 on Linux


def usage(cgroups_path: str, pid: int | None, *, cgroup2: bool) -> Usage:
    """The cgroup's counters with the network totals of ``pid``'s namespace and the
    host's CPU time, read together so one sample's numbers belong together."""
    net = net_dev(_read(Path(f"/proc/{pid}/net/dev"))) if pid else (0, 0)
    return Usage(read_stats(cgroups_path, cgroup2=cgroup2), net,
                 system_cpu_ns(_read(Path("/proc/stat"))))
