"""A shareable container's /dev/shm: a tmpfs on the host, in the container's
bundle, bind-mounted into it and into every container that joins its IPC
namespace (as Docker keeps ``mounts/shm`` per container).  Synchronous."""

from __future__ import annotations

import ctypes
import errno
import os
from pathlib import Path

from common.errors import RuntimeFailure
from common.libc import libc

_libc = libc
MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x2, 0x4, 0x8
MNT_DETACH = 2


def mount_shm(path: Path, size: int) -> None:
    """Mount a tmpfs of ``size`` bytes at ``path`` unless one is there already."""
    path.mkdir(parents=True, exist_ok=True)
    if os.path.ismount(path):
        return
    options = f"mode=1777,size={size}".encode()
    flags = MS_NOSUID | MS_NODEV | MS_NOEXEC
    if _libc.mount(b"shm", str(path).encode(), b"tmpfs", flags, options) != 0:
        err = ctypes.get_errno()
        raise RuntimeFailure(f"cannot mount /dev/shm at {path}: {os.strerror(err)}")


def unmount_shm(path: Path) -> None:
    if not os.path.ismount(path):
        return
    if _libc.umount2(str(path).encode(), 0) != 0:
        err = ctypes.get_errno()
        if err == errno.EBUSY and _libc.umount2(str(path).encode(), MNT_DETACH) == 0:
            return
        if err not in (errno.EINVAL, errno.ENOENT):
            raise RuntimeFailure(f"cannot unmount {path}: {os.strerror(err)}")
