"""Resource keys of a service as cgroup limits, rlimits and sizes (pure).

Follows docker compose (``getDeployResources``: ``deploy.resources.limits``
override ``mem_limit``/``cpus``/``pids_limit``; reservations give only a memory
reservation) and the daemon's own checks and defaults (swap twice the memory
limit, ``cpus`` as a quota over a 100 ms period, /dev/shm 64 MiB).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from runtime.ocispec.host import RLIMITS, HostFacts

DEFAULT_SHM = 64 * 1024 * 1024
DEFAULT_NOFILE = 1048576
CPU_PERIOD = 100_000  # microseconds, Docker's period for ``cpus``
UNLIMITED = 2**64 - 1  # RLIM_INFINITY in the OCI spec
MIN_MEMORY = 6 * 1024 * 1024


class ResourceError(ValueError):
    pass


@dataclass(frozen=True)
class Rlimit:
    type: str
    soft: int
    hard: int


@dataclass(frozen=True)
class Resources:
    cgroup: dict[str, Any] = field(default_factory=dict)
    """OCI ``linux.resources`` without devices."""
    rlimits: tuple[Rlimit, ...] = ()
    shm_size: int = DEFAULT_SHM
    oom_score_adj: int = 0
    warnings: tuple[str, ...] = ()


def as_int(value: Any, key: str) -> int:
    """Byte sizes and counts arrive as ints or strings of ints in the canonical form."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ResourceError(f"{key}: invalid number {value!r}") from None


def _memory(service: Mapping[str, Any], host: HostFacts, warnings: list[str]) -> dict[str, Any]:
    deploy = ((service.get("deploy") or {}).get("resources") or {})
    limits, reservations = deploy.get("limits") or {}, deploy.get("reservations") or {}
    limit = as_int(limits.get("memory") or service.get("mem_limit") or 0, "mem_limit")
    reservation = as_int(reservations.get("memory") or service.get("mem_reservation") or 0,
                         "mem_reservation")
    swap = as_int(service.get("memswap_limit") or 0, "memswap_limit")
    memory: dict[str, Any] = {}
    if limit:
        if limit < MIN_MEMORY:
            raise ResourceError("mem_limit: minimum memory limit allowed is 6MB")
        memory["limit"] = limit
    if reservation:
        if limit and reservation > limit:
            raise ResourceError("mem_reservation: minimum memory limit can not be less than "
                                "memory reservation limit")
        memory["reservation"] = reservation
    if swap and not limit and swap != -1:
        raise ResourceError("memswap_limit: you should always set the memory limit when "
                            "using memoryswap limit")
    if swap > 0 and swap < limit:
        raise ResourceError("memswap_limit: minimum memoryswap limit should be larger than "
                            "memory limit")
    if limit and not swap:
        swap = 2 * limit  # the daemon's default
    if swap and limit:
        if host.swap_limit:
            memory["swap"] = swap
        else:
            warnings.append("this kernel does not limit swap; memory is limited without swap")
    if service.get("mem_swappiness") not in (None, ""):
        value = as_int(service["mem_swappiness"], "mem_swappiness")
        if not 0 <= value <= 100:
            raise ResourceError(f"mem_swappiness: invalid value {value}, valid memory "
                                "swappiness range is 0-100")
        if host.cgroup2:
            warnings.append("mem_swappiness is not supported with cgroup v2; ignored")
        else:
            memory["swappiness"] = value
    if service.get("oom_kill_disable"):
        if host.cgroup2:
            warnings.append("oom_kill_disable is not supported with cgroup v2; ignored")
        else:
            memory["disableOOMKiller"] = True
            if not limit:
                warnings.append("OOM killer is disabled for the container, but no memory limit "
                                "is set, this can result in the system running out of resources")
    return memory


def _cpu(service: Mapping[str, Any], host: HostFacts) -> dict[str, Any]:
    limits = (((service.get("deploy") or {}).get("resources") or {}).get("limits") or {})
    cpus = float(limits.get("cpus") or service.get("cpus") or 0)
    cpu: dict[str, Any] = {}
    quota = as_int(service.get("cpu_quota") or 0, "cpu_quota")
    period = as_int(service.get("cpu_period") or 0, "cpu_period")
    if cpus:
        if quota or period:
            raise ResourceError("conflicting options: cpus and cpu_quota/cpu_period cannot "
                                "both be set")
        if cpus < 0.01 or cpus > host.cpus:
            raise ResourceError(f"cpus: range of CPUs is from 0.01 to {host.cpus}.00, as there "
                                f"are only {host.cpus} CPUs available")
        cpu["period"] = CPU_PERIOD
        cpu["quota"] = int(cpus * 1e9) * CPU_PERIOD // 1_000_000_000
    if quota:
        cpu["quota"] = quota
    if period:
        cpu["period"] = period
    if service.get("cpu_shares"):
        cpu["shares"] = as_int(service["cpu_shares"], "cpu_shares")
    if service.get("cpu_rt_runtime"):
        cpu["realtimeRuntime"] = as_int(service["cpu_rt_runtime"], "cpu_rt_runtime")
    if service.get("cpu_rt_period"):
        cpu["realtimePeriod"] = as_int(service["cpu_rt_period"], "cpu_rt_period")
    if service.get("cpuset"):
        cpu["cpus"] = str(service["cpuset"])
    return cpu


def _pids(service: Mapping[str, Any]) -> int:
    limits = (((service.get("deploy") or {}).get("resources") or {}).get("limits") or {})
    value = as_int(limits.get("pids") or service.get("pids_limit") or 0, "pids_limit")
    return value if value > 0 else 0


def rlimits(ulimits: Mapping[str, Any], host: HostFacts,
            warnings: list[str]) -> tuple[Rlimit, ...]:
    """``ulimits`` (plus Docker's 1048576 open files when unset), never above the
    hard limits pycompose itself has: raising one needs CAP_SYS_RESOURCE."""
    wanted: dict[str, tuple[int, int, bool]] = {}
    nofile_ceiling = host.hard_limits.get("RLIMIT_NOFILE", -1)
    default = DEFAULT_NOFILE if nofile_ceiling == -1 else min(DEFAULT_NOFILE, nofile_ceiling)
    wanted["RLIMIT_NOFILE"] = (default, default, False)
    for name, value in ulimits.items():
        kind = RLIMITS.get(str(name))
        if kind is None:
            raise ResourceError(f"ulimits: invalid ulimit type: {name}")
        if isinstance(value, Mapping):
            soft = as_int(value.get("soft"), f"ulimits.{name}.soft")
            hard = as_int(value.get("hard"), f"ulimits.{name}.hard")
        else:
            soft = hard = as_int(value, f"ulimits.{name}")
        soft = UNLIMITED if soft < 0 else soft
        hard = UNLIMITED if hard < 0 else hard
        if soft > hard:
            raise ResourceError(f"ulimits.{name}: soft limit {soft} is above the hard "
                                f"limit {hard}")
        wanted[kind] = (soft, hard, True)
    result = []
    for kind, (soft, hard, asked) in wanted.items():
        ceiling = host.hard_limits.get(kind, -1)
        if ceiling != -1 and hard > ceiling:
            if asked:
                name = next(n for n, k in RLIMITS.items() if k == kind)
                warnings.append(f"ulimits.{name}: {_show(hard)} is above this host's hard limit "
                                f"{ceiling}; the container gets {ceiling}")
            hard, soft = ceiling, min(soft, ceiling)
        result.append(Rlimit(kind, soft, hard))
    return tuple(result)


def _show(value: int) -> str:
    return "unlimited" if value == UNLIMITED else str(value)


def resources(service: Mapping[str, Any], host: HostFacts) -> Resources:
    warnings: list[str] = []
    cgroup: dict[str, Any] = {}
    memory = _memory(service, host, warnings)
    if memory:
        cgroup["memory"] = memory
    cpu = _cpu(service, host)
    if cpu:
        cgroup["cpu"] = cpu
    pids = _pids(service)
    if pids:
        cgroup["pids"] = {"limit": pids}
    reservations = (((service.get("deploy") or {}).get("resources") or {})
                    .get("reservations") or {})
    if reservations.get("cpus"):
        warnings.append("deploy.resources.reservations.cpus is a Swarm option; ignored")
    oom = as_int(service.get("oom_score_adj") or 0, "oom_score_adj")
    if not -1000 <= oom <= 1000:
        raise ResourceError(f"oom_score_adj: invalid value {oom}, range for oom score adj "
                            "is [-1000, 1000]")
    shm = as_int(service.get("shm_size") or 0, "shm_size") or DEFAULT_SHM
    limits = rlimits(service.get("ulimits") or {}, host, warnings)
    return Resources(cgroup=cgroup, rlimits=limits, shm_size=shm, oom_score_adj=oom,
                     warnings=tuple(warnings))
