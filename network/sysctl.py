"""The few kernel settings networking needs, in the namespace pycompose runs in.

``/proc/sys/net`` shows the settings of the namespace of whoever opens it, so this
never reaches beyond pycompose's own namespace.
"""

from __future__ import annotations

from pathlib import Path

from common.errors import NetworkFailure

PROC = Path("/proc/sys/net")


def set_value(key: str, value: str) -> None:
    """``key`` as sysctl writes it (``ipv4/ip_forward``); only written when it differs."""
    path = PROC / key
    try:
        if path.read_text().strip() == value:
            return
        path.write_text(value)
    except OSError as exc:
        raise NetworkFailure(f"cannot set net.{key.replace('/', '.')}={value}: "
                             f"{exc.strerror}") from None


def prepare_bridge(bridge: str, ipv6: bool) -> None:
    """Forwarding on (containers reach out, published ports reach in), and loopback
    sources routable on the bridge so the host's 127.0.0.1 reaches published ports."""
    set_value("ipv4/ip_forward", "1")
    set_value(f"ipv4/conf/{bridge}/route_localnet", "1")
    if ipv6:
        set_value("ipv6/conf/all/forwarding", "1")
