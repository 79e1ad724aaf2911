"""``privileged``, ``security_opt`` and ``sysctls`` (pure).

Docker's ``security_opt`` keys: ``no-new-privileges[:true|false]``,
``seccomp=unconfined|builtin|FILE`` and ``systempaths=unconfined`` are acted on;
``label``/``apparmor`` (no SELinux or AppArmor here) and anything else is
warned about and ignored.  Sysctls are allowed only where the kernel keeps them
per namespace, as runc requires; anything else would change the host.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# Sysctls the IPC namespace isolates (runc libcontainer/configs/validate).
IPC_SYSCTLS = frozenset({
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
    "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
})
UTS_SYSCTLS = frozenset({"kernel.domainname", "kernel.hostname"})


class SecurityError(ValueError):
    pass


@dataclass(frozen=True)
class SecurityOptions:
    no_new_privileges: bool = False
    seccomp: str = "builtin"
    """``builtin`` (Docker's default profile), ``unconfined``, or a file path."""
    systempaths_unconfined: bool = False
    warnings: tuple[str, ...] = ()


def _bool(key: str, value: str) -> bool:
    if value.lower() in ("true", "1", "yes", ""):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise SecurityError(f"security_opt: invalid {key} value {value!r}")


def security_options(entries: Sequence[str]) -> SecurityOptions:
    nnp, seccomp, systempaths = False, "builtin", False
    warnings = []
    for raw in entries:
        opt = str(raw)
        if opt == "no-new-privileges":
            nnp = True
            continue
        key, sep, value = opt.partition("=")
        if not sep:
            key, sep, value = opt.partition(":")  # the old ``key:value`` spelling
        if key == "no-new-privileges":
            nnp = _bool(key, value)
        elif key == "seccomp" and value:
            seccomp = value
        elif key == "systempaths" and value == "unconfined":
            systempaths = True
        elif key in ("label", "apparmor"):
            warnings.append(f"security_opt {opt!r}: {'SELinux' if key == 'label' else 'AppArmor'}"
                            " is not used by pycompose; ignored")
        else:
            warnings.append(f"security_opt {opt!r} is not supported; ignored")
    return SecurityOptions(nnp, seccomp, systempaths, tuple(warnings))


def check_sysctls(sysctls: Mapping[str, str], *, ipc: bool, net: bool, uts: bool) -> None:
    """Refuse a sysctl the container's namespaces do not isolate: setting it
    would change the host (``ipc``/``net``/``uts``: the namespace is private)."""
    for name in sysctls:
        if name in IPC_SYSCTLS or name.startswith("fs.mqueue."):
            if not ipc:
                raise SecurityError(f"sysctls: {name} needs a private IPC namespace "
                                    "(not ipc: host)")
        elif name.startswith("net."):
            if not net:
                raise SecurityError(f"sysctls: {name} needs a private network namespace "
                                    "(not network_mode: host)")
        elif name in UTS_SYSCTLS:
            if not uts:
                raise SecurityError(f"sysctls: {name} needs a private UTS namespace "
                                    "(not uts: host)")
        else:
            raise SecurityError(f"sysctls: {name} is not namespaced: setting it in a "
                                "container would change the host")
