"""Persistent network namespaces as bind-mounted files under the runtime directory.

A container's namespace is made before the container and outlives its process,
so a restarted container keeps its interfaces and address.  util-linux's
``unshare --net=FILE`` makes it (no namespace code of our own); removing it is an
unmount and an unlink.  A container that shares another's namespace (or the
host's) gets a bind mount of that namespace under its own name, so the runtime
always finds its namespace at ``<run>/netns/<id>``.
"""

from __future__ import annotations

import ctypes
import errno
import os
from pathlib import Path

import trio

from common.errors import NetworkFailure
from common.libc import libc

_libc = libc
MNT_DETACH = 2
MS_BIND = 4096


async def create_netns(path: Path) -> None:
    if os.path.ismount(path):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(exist_ok=True)
    result = await trio.run_process(
        ["unshare", f"--net={path}", "true"], capture_stdout=True, capture_stderr=True,
        check=False, stdin=b"",
    )
    if result.returncode != 0:
        path.unlink(missing_ok=True)
        message = result.stderr.decode(errors="replace").strip()
        raise NetworkFailure(f"cannot create network namespace {path}: {message}")


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
