"""Persistent network namespaces as bind-mounted files under the runtime directory.

A container's namespace is made before the container and outlives its process,
so a restarted container keeps its interfaces and address.  It is made in-process,
as util-linux's ``unshare --net=FILE`` makes it, without its process: a thread of
its own unshares its network namespace and bind-mounts it onto the file, then
ends (the switch dies with the thread, never reaching trio's thread cache);
removing it is an unmount and an unlink.  A container that shares another's namespace (or the
host's) gets a bind mount of that namespace under its own name, so the runtime
always finds its namespace at ``<run>/netns/<id>``.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import socket
import struct
import threading
from functools import partial
from pathlib import Path

from common.errors import NetworkFailure
from common.libc import libc
from network.nsthread import CLONE_NEWNET, in_own_thread

_libc = libc
MNT_DETACH = 2
MS_BIND = 4096
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


def make_netns(path: Path) -> None:
    """A new network namespace kept at ``path`` (synchronous: from a worker thread,
    which starts one of its own to unshare)."""
    if os.path.ismount(path):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(exist_ok=True)
    in_own_thread(partial(_unshare_onto, path))


def _unshare_onto(path: Path) -> None:
    """In a thread about to end: a new network namespace, its loopback up, kept at
    ``path``."""
    if _libc.unshare(CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        path.unlink(missing_ok=True)
        raise NetworkFailure(f"cannot create network namespace {path}: {os.strerror(err)}")
    _loopback_up()
    bind_netns(Path(f"/proc/self/task/{threading.get_native_id()}/ns/net"), path)


def _loopback_up() -> None:
    """``lo`` up in this thread's namespace, before anyone else can find it: a socket
    bound to 127.0.0.11 while ``lo`` is coming up (the supervisor's DNS server, as
    soon as the namespace exists) sends its answers from 127.0.0.1, which no
    resolver accepts."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        request = struct.pack("16sh", b"lo", 0)
        flags = struct.unpack("16sh", fcntl.ioctl(probe, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(probe, SIOCSIFFLAGS, struct.pack("16sh", b"lo", flags | IFF_UP))



def bind_netns(source: Path, path: Path) -> None:
    """Make ``path`` another name of the namespace at ``source`` (a container joining
    another's namespace, or the host's own with ``network_mode: host``)."""
    if os.path.ismount(path):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(exist_ok=True)
    if _libc.mount(str(source).encode(), str(path).encode(), None, MS_BIND, None) != 0:
        err = ctypes.get_errno()
        path.unlink(missing_ok=True)
        raise NetworkFailure(f"cannot join network namespace {source}: {os.strerror(err)}")


def remove_netns(path: Path) -> None:
    if os.path.ismount(path) and _libc.umount2(str(path).encode(), MNT_DETACH) != 0:
        err = ctypes.get_errno()
        if err not in (errno.EINVAL, errno.ENOENT):
            raise NetworkFailure(f"cannot unmount network namespace {path}: {os.strerror(err)}")
    path.unlink(missing_ok=True)
