"""Which network namespace a command runs in, and where a namespace still lives.

A project's bridges, its firewall table and its supervisor live in the network
namespace of the ``up`` that made them; a network's record says which
(``NetworkRecord.netns``).  A ``down`` run from another namespace would find no
bridge there and forget the record, leaving the bridge and its table behind
where nobody would look for them: the commands refuse instead, and say where
the project's namespace is (``/run/netns/<name>`` when it has a name).
"""

from __future__ import annotations

import contextlib
import os

NAMED = "/run/netns"
"""Where ``ip netns`` keeps its namespaces' bind mounts."""


def here() -> str:
    """This process's network namespace, as the kernel names it: ``net:[4026531840]``
    (the initial namespace's number is the same at every boot).  Read each time (a
    few microseconds): a fork server's child enters its command's namespace, and a
    value kept from before would name the server's."""
    return os.readlink("/proc/self/ns/net")


def where(identity: str) -> str | None:
    """A path to the live network namespace named ``identity`` (``here``'s form):
    its ``ip netns`` name's mount, else a process of it; None when none is found
    (it has ended, and its links with it)."""
    with contextlib.suppress(OSError):
        for name in sorted(os.listdir(NAMED)):
            path = os.path.join(NAMED, name)
            with contextlib.suppress(OSError):
                if _identity(os.stat(path).st_ino) == identity:
                    return path
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            path = f"/proc/{pid}/ns/net"
            with contextlib.suppress(OSError):
                if os.readlink(path) == identity:
                    return path
    return None


def _identity(inode: int) -> str:
    return f"net:[{inode}]"
