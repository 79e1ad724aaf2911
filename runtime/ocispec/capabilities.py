"""Linux capabilities as Docker computes them for a container (pure).

``cap_add``/``cap_drop``/``privileged`` are combined with Docker's 14 default
capabilities by the same rules as moby's ``caps.TweakCapabilities``; the result
is then limited to the capabilities this host can grant (its bounding set), since
runc cannot give a container more than the caller holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Capability numbers are the list index (linux/capability.h, up to Linux 6.x).
ALL_CAPABILITIES = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
    "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
    "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON",
    "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
)

# Docker's default set (moby daemon/pkg/oci/caps/defaults.go), in its order.
DEFAULT_CAPABILITIES = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
)


class CapabilityError(ValueError):
    pass


@dataclass(frozen=True)
class Capabilities:
    granted: tuple[str, ...]
    warnings: tuple[str, ...] = ()


def normalize(names: Iterable[str]) -> list[str]:
    """``net_admin`` -> ``CAP_NET_ADMIN``; ``ALL`` stays; unknown names are an error."""
    result: list[str] = []
    for raw in names:
        name = str(raw).strip().upper()
        if name != "ALL" and not name.startswith("CAP_"):
            name = "CAP_" + name
        if name != "ALL" and name not in ALL_CAPABILITIES:
            raise CapabilityError(f"unknown capability: {str(raw)!r}")
        if name not in result:
            result.append(name)
    return result


def tweak(adds: Sequence[str], drops: Sequence[str], *, privileged: bool,
          known: Sequence[str] = ALL_CAPABILITIES) -> list[str]:
    """Docker's rules: privileged gets every capability; ``cap_add: [ALL]`` every one
    but the dropped; ``cap_drop: [ALL]`` only the added; otherwise defaults minus
    drops plus adds."""
    if privileged:
        return list(known)
    add, drop = normalize(adds), normalize(drops)
    if not add and not drop:
        return list(DEFAULT_CAPABILITIES)
    if "ALL" in add:
        return [c for c in known if c not in drop]
    if "ALL" in drop:
        return [c for c in add if c != "ALL"]
    kept = [c for c in DEFAULT_CAPABILITIES if c not in drop]
    return kept + [c for c in add if c not in kept]


def names_in_mask(mask: int) -> tuple[str, ...]:
    return tuple(name for bit, name in enumerate(ALL_CAPABILITIES) if mask >> bit & 1)


def mask_of(names: Iterable[str]) -> int:
    return sum(1 << ALL_CAPABILITIES.index(n) for n in set(names))


def container_capabilities(adds: Sequence[str], drops: Sequence[str], *, privileged: bool,
                           bounding: int) -> Capabilities:
    """The capabilities to grant, limited to the host's bounding set ``bounding``;
    a capability asked for by name that the host lacks is dropped with a warning."""
    available = names_in_mask(bounding)
    wanted = tweak(adds, drops, privileged=privileged, known=available)
    granted = tuple(c for c in wanted if c in available)
    missing = [c for c in wanted if c not in available]
    warnings = tuple(
        f"{c} is not in this host's capability bounding set; the container runs without it"
        for c in missing)
    return Capabilities(granted, warnings)
