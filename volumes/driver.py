"""Volumes on the host: the ``VolumeBackend`` (the local driver), and what a
container's create does for its storage (``prepare``, synchronous, run in a
thread by the container driver).

``prepare`` reads the facts (volume records, the containers ``volumes_from``
names, the content of secrets and configs), asks the pure ``mounts.plan_mounts``
for the mounts, then acts: creates short-syntax bind sources, checks the paths
that must exist, copies the image's content into empty volumes (owner, modes,
links and all, with ``cp -a``), and writes each granted file, with its owner and
mode, into the container's directory to be bind-mounted read-only.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import trio

from common import state
from common.errors import RuntimeFailure, UsageError
from common.paths import Layout
from common.records import ContainerRecord, VolumeRecord
from common.statefiles import read_json, write_atomic, write_json
from compose.spec.model import FileGrant, Service
from volumes import store
from volumes.local import DriverError, check_driver, check_name
from volumes.mounts import MountError, MountPlan, depth, oci_only, plan_mounts

MOUNTS = "mounts.json"
"""In a container's directory: its bind and volume mounts, for ``volumes_from``."""
FILES = "files"
"""In a container's directory: the secrets and configs granted to it."""


class LocalVolumes:
    """The local driver: a directory per volume under the state root."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout

    async def create_volume(self, volume: VolumeRecord) -> None:
        try:
            check_name(volume.name)
            check_driver(volume.driver, volume.options, f"volume {volume.name}")
        except DriverError as exc:
            raise UsageError(str(exc)) from None
        await trio.to_thread.run_sync(store.create, self.layout, volume)

    async def remove_volume(self, volume: VolumeRecord) -> None:
        await trio.to_thread.run_sync(store.remove, self.layout, volume.name)

    async def volumes(self) -> dict[str, VolumeRecord]:
        return await trio.to_thread.run_sync(store.list_volumes, self.layout)

    def data_dir(self, name: str) -> str:
        return str(store.data_dir(self.layout, name))

    async def disk_usage(self, name: str) -> int:
        return await trio.to_thread.run_sync(store.disk_usage, store.data_dir(self.layout, name))


def selinux_enabled() -> bool:
    return os.path.exists("/sys/fs/selinux/enforce")


def prepare(layout: Layout, record: ContainerRecord, service: Service, rootfs: str,
            warn: Callable[[str], None]) -> list[dict[str, Any]]:
    """The container's storage mounts, with everything they need in place; the
    file it writes in the container's directory (``MOUNTS``) waits for the caller's
    fsync of that directory (``runtime.oci.bundle.make``: one for all its files)."""
    directory = layout.container_dir(record.id)
    data: dict[str, str] = {}
    options: dict[str, Mapping[str, str]] = {}
    for target, name in record.volumes.items():
        volume = store.read(layout, name)
        if volume is None:
            raise RuntimeFailure(f"container {record.name}: {target}: no such volume: {name}")
        store.create(layout, volume)  # its data directory, if a crash left it out
        data[name] = str(store.data_dir(layout, name))
        options[name] = volume.options
    files = {g.target: str(_write_grant(directory, index, g, record))
             for index, g in enumerate(service.files)}
    try:
        plan = plan_mounts(service, record.volumes, data, options, files=files,
                           selinux=selinux_enabled())
    except MountError as exc:
        raise RuntimeFailure(f"container {record.name}: {exc}") from None
    for warning in plan.warnings:
        warn(warning)
    _act(plan, rootfs, record)
    write_json(directory / MOUNTS, plan.user_mounts, sync_dir=False, make_parent=False)
    return oci_only(plan.mounts)


def _act(plan: MountPlan, rootfs: str, record: ContainerRecord) -> None:
    for path in plan.create_paths:
        if os.path.lexists(path):
            continue  # a file is fine: single-file binds
        try:
            os.makedirs(path, exist_ok=True)
        except OSError as exc:
            raise RuntimeFailure(f"container {record.name}: cannot create the bind source "
                                 f"{path}: {exc.strerror or exc}") from None
    for path, message in plan.required_paths:
        if not os.path.exists(path):
            raise RuntimeFailure(f"container {record.name}: {message}")
    for item in plan.populate:
        source = _in_root(rootfs, item.target)
        if source is None or not store.is_empty(Path(item.path)):
            continue
        result = subprocess.run(["cp", "-a", "--", f"{source}/.", f"{item.path}/"],
                                capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeFailure(f"container {record.name}: copying the image's "
                                 f"{item.target} into volume {item.volume} failed: "
                                 f"{result.stderr.strip()}")


def _in_root(rootfs: str, target: str) -> str | None:
    """The image's directory at ``target`` (symlinks not followed out of the root)."""
    path = rootfs
    for part in [p for p in target.split("/") if p]:
        path = os.path.join(path, part)
        if os.path.islink(path) or not os.path.isdir(path):
            return None
    return path


def _write_grant(directory: Path, index: int, grant: FileGrant,
                 record: ContainerRecord) -> Path:
    """The content of a secret or config in a file of its own, owner and mode set
    (default 0444, root)."""
    where = f"{grant.kind}s.{grant.key}"
    if grant.external:
        raise RuntimeFailure(f"container {record.name}: {where}: external {grant.kind}s are "
                             "not supported on a single host")
    if grant.file is not None:
        try:
            content = Path(grant.file).read_bytes()
        except OSError as exc:
            raise RuntimeFailure(f"container {record.name}: {where}: cannot read "
                                 f"{grant.file}: {exc.strerror or exc}") from None
    elif grant.content is not None:
        content = grant.content.encode()
    elif grant.environment is not None:
        raise RuntimeFailure(f"container {record.name}: {where}: environment variable "
                             f"{grant.environment} is not set")
    else:
        raise RuntimeFailure(f"container {record.name}: {where}: no file, environment or "
                             "content")
    try:
        uid = int(grant.uid or 0)
        gid = int(grant.gid or 0)
    except ValueError:
        raise RuntimeFailure(f"container {record.name}: {where}: uid and gid must be "
                             "numbers") from None
    path = directory / FILES / f"{index}-{grant.kind}-{grant.key}"
    # only root on the host reads them; in the container the bind mount is the way in
    path.parent.mkdir(mode=0o700, exist_ok=True)
    os.chmod(path.parent, 0o700)
    mode = 0o444 if grant.mode is None else grant.mode
    write_atomic(path, content, mode)
    os.chown(path, uid, gid)
    os.chmod(path, mode)
    return path


def inherit(layout: Layout, record: ContainerRecord, entries: list[str]) -> None:
    """At start (the containers it names exist by then: ``volumes_from`` implies
    ``depends_on``): add their binds and volumes to the container's ``config.json``,
    except where it has a mount of its own."""
    directory = layout.container_dir(record.id)
    config = read_json(directory / "config.json")
    try:
        own = {m["destination"] for m in read_json(directory / MOUNTS)}
    except (FileNotFoundError, ValueError):
        own = set()
    try:
        inherited = plan_mounts(_NO_SERVICE, {}, {}, {}, inherited=[
            _inherited(layout, record, entry) for entry in entries]).mounts
    except MountError as exc:
        raise RuntimeFailure(f"container {record.name}: {exc}") from None
    wanted = {m["destination"]: m for m in oci_only(inherited) if m["destination"] not in own}
    mounts = [m for m in config.get("mounts", []) if m["destination"] not in wanted]
    mounts += wanted.values()
    config["mounts"] = sorted(mounts, key=lambda m: depth(str(m["destination"])))
    write_json(directory / "config.json", config)


_NO_SERVICE = Service(name="", image="")


def _inherited(layout: Layout, record: ContainerRecord,
               entry: str) -> tuple[list[dict[str, Any]], str]:
    """The mounts of the container a ``volumes_from`` entry names, and its mode."""
    kind, _, rest = entry.partition(":")
    if kind not in ("service", "container"):
        kind, rest = "service", entry
    name, _, mode = rest.partition(":")
    records = state.container_records(layout)
    if kind == "service":
        found = [r for r in records if r.project == record.project and r.service == name]
    else:
        found = [r for r in records if r.name == name]
    if not found:
        raise RuntimeFailure(f"container {record.name}: volumes_from {entry}: no such "
                             f"{kind}")
    try:
        mounts: list[dict[str, Any]] = read_json(layout.container_dir(found[0].id) / MOUNTS)
    except (FileNotFoundError, ValueError):
        mounts = []
    return mounts, mode
