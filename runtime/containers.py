"""Containers on disk and in the runtime: the ContainerBackend for runc/crun + conmon.

A container's directory (``containers/<id>``) is its OCI bundle: ``container.json``
(our record, written first so a crash mid-way still leaves something ``down``
can clean), ``config.json``, the overlay's ``upper``/``work`` and mount point
``rootfs``, the files bind-mounted into it and conmon's ``ctr.log``.
"""

from __future__ import annotations

import os
import resource
import shutil
from pathlib import Path

import trio

from compose.errors import ImageError, RuntimeFailure
from compose.model import Service
from compose.observed import CREATED, DEAD, EXITED, RUNNING, ContainerStatus
from compose.paths import Layout
from compose.records import ContainerRecord
from compose.statefiles import read_json, write_atomic, write_json
from network.hosts import render_resolv_conf
from runtime import rootfs
from runtime.oci import OciRuntime, conmon_pid, wait_for_exit
from runtime.spec import ContainerSpec, SpecError, build_spec, process_args, process_env
from runtime.store import Image, ImageStore
from runtime.users import UnknownUser, resolve_user

RECORD = "container.json"
LOG = "ctr.log"


def read_record(directory: Path) -> ContainerRecord | None:
    try:
        return ContainerRecord.from_json(read_json(directory / RECORD))
    except (FileNotFoundError, NotADirectoryError):
        return None


def nofile_limit() -> tuple[int, int]:
    """Docker gives containers 1048576 open files; never more than this host allows
    (raising a hard limit needs CAP_SYS_RESOURCE)."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    ceiling = hard if hard != resource.RLIM_INFINITY else 1048576
    limit = min(1048576, ceiling)
    return limit, limit


def build_container_spec(
    record: ContainerRecord, service: Service, image: Image, layout: Layout,
    passwd: str, group: str,
) -> ContainerSpec:
    """Everything the OCI config needs, or SpecError/UnknownUser naming the problem."""
    config = image.runtime_config
    directory = layout.container_dir(record.id)
    user = resolve_user(service.user or config.get("User") or None, passwd, group)
    return ContainerSpec(
        container_id=record.id,
        args=process_args(service.entrypoint, service.command, config),
        env=process_env(config.get("Env") or [], service.environment, record.hostname),
        cwd=service.working_dir or config.get("WorkingDir") or "/",
        hostname=record.hostname,
        rootfs=str(directory / "rootfs"),
        uid=user.uid,
        gid=user.gid,
        additional_gids=user.additional_gids,
        netns=str(layout.netns / record.id),
        files={
            "/etc/hosts": str(directory / "hosts"),
            "/etc/hostname": str(directory / "hostname"),
            "/etc/resolv.conf": str(directory / "resolv.conf"),
        },
        nofile=nofile_limit(),
        cgroups_path=f"/pycompose/{record.id}",
        annotations=dict(record.labels),
    )


class ContainerDriver:
    def __init__(self, layout: Layout, store: ImageStore, oci: OciRuntime) -> None:
        self.layout = layout
        self.store = store
        self.oci = oci

    def directory(self, record: ContainerRecord) -> Path:
        return self.layout.container_dir(record.id)

    def log_path(self, record: ContainerRecord) -> Path:
        return self.directory(record) / LOG

    def _image(self, record: ContainerRecord) -> Image:
        image = self.store.resolve(record.image)
        if image.id != record.image_id:
            raise ImageError(
                f"image {record.image} changed while {record.name} was being created; retry"
            )
        return image

    async def create(self, record: ContainerRecord, service: Service, hosts: str) -> None:
        directory = self.directory(record)
        directory.mkdir(parents=True, exist_ok=True)
        write_json(directory / RECORD, record.to_json())
        image = await trio.to_thread.run_sync(self._image, record)
        await trio.to_thread.run_sync(
            rootfs.mount_rootfs, self.store, self.layout.layers, image, directory
        )
        etc = directory / "rootfs" / "etc"
        try:
            spec = build_container_spec(
                record, service, image, self.layout,
                _read_text(etc / "passwd"), _read_text(etc / "group"),
            )
        except (SpecError, UnknownUser) as exc:
            raise RuntimeFailure(f"container {record.name}: {exc}") from None
        write_atomic(directory / "hostname", f"{record.hostname}\n".encode())
        write_atomic(directory / "resolv.conf",
                     render_resolv_conf(_read_text(Path("/etc/resolv.conf"))).encode())
        write_atomic(directory / "hosts", hosts.encode())
        write_json(directory / "config.json", build_spec(spec))

    async def write_hosts(self, record: ContainerRecord, hosts: str) -> None:
        path = self.directory(record) / "hosts"
        if not path.exists():
            return
        # In place: a running container has this inode bind-mounted.
        with open(path, "r+") as handle:
            if handle.read() == hosts:
                return
            handle.seek(0)
            handle.write(hosts)
            handle.truncate()

    async def start(self, record: ContainerRecord) -> None:
        if await self.oci.state(record.id) is not None:
            await self.oci.delete(record.id)  # a stopped container is recreated to rerun
        directory = self.directory(record)
        await trio.to_thread.run_sync(self._remount, record)
        await self.oci.create(record.id, record.name, directory, directory / LOG)
        await self.oci.start(record.id, record.name)

    def _remount(self, record: ContainerRecord) -> None:
        """After a reboot the overlay is gone; mount it again from the same layers."""
        directory = self.directory(record)
        if not os.path.ismount(directory / "rootfs"):
            rootfs.mount_rootfs(self.store, self.layout.layers, self._image(record), directory)

    async def stop(self, record: ContainerRecord, timeout: float | None = None) -> None:
        grace = record.stop_grace_period if timeout is None else timeout
        pid = conmon_pid(self.directory(record), record.id)
        if pid is None:
            return
        if await self.oci.kill(record.id, record.stop_signal):
            with trio.move_on_after(grace):
                await wait_for_exit(pid)
                return
        await self.oci.kill(record.id, "KILL")
        with trio.move_on_after(10):
            await wait_for_exit(pid)
            return
        raise RuntimeFailure(f"container {record.name} did not exit after SIGKILL")

    async def remove(self, record: ContainerRecord) -> None:
        directory = self.directory(record)
        pid = conmon_pid(directory, record.id)
        if pid is not None:
            await self.oci.kill(record.id, "KILL")
            with trio.move_on_after(10):
                await wait_for_exit(pid)
        await self.oci.delete(record.id)
        await trio.to_thread.run_sync(rootfs.unmount_rootfs, directory)
        self.oci.forget_exit(record.id)
        await trio.to_thread.run_sync(shutil.rmtree, directory, True)

    async def status(self, record: ContainerRecord) -> ContainerStatus:
        directory = self.directory(record)
        code = self.oci.exit_code(record.id)
        if code is not None:
            finished = _mtime(self.layout.exits / record.id)
            return ContainerStatus(record, EXITED, code, started_at=_mtime(directory / "pid"),
                                   finished_at=finished)
        state = await self.oci.state(record.id)
        if state is None:
            if (directory / "pid").exists():
                return ContainerStatus(record, DEAD)
            return ContainerStatus(record, CREATED)
        status = state.get("status")
        pid = state.get("pid") or None
        if status == "running" or status == "paused":
            return ContainerStatus(record, RUNNING, pid=pid, started_at=_mtime(directory / "pid"))
        if status == "created":
            return ContainerStatus(record, CREATED, pid=pid)
        # stopped, yet conmon has not written the exit file (yet, or ever)
        return ContainerStatus(record, EXITED if conmon_pid(directory, record.id) else DEAD)

    async def wait(self, record: ContainerRecord) -> int | None:
        pid = conmon_pid(self.directory(record), record.id)
        if pid is not None:
            await wait_for_exit(pid)
        return self.oci.exit_code(record.id)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except (FileNotFoundError, NotADirectoryError):
        return ""


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return None
