"""Making a container's OCI bundle (synchronous, in a worker thread): its root
filesystem mounted, its storage prepared, the host facts and image files the spec
needs gathered, the spec decided and written with the files bind-mounted into it
(``hostname``, ``resolv.conf``, ``hosts``) and ``bundle.json`` (how to start it).
The record that says the bundle is complete is written last, after one directory
fsync for all of them (``mounts.json`` and the caller's files too).

The spec's modules are imported by ``make``: the verbs and the supervisor that
only run, stop and remove containers read ``bundle.json`` through this module and
start 6-8 ms sooner without them.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from common import logoptions
from common.errors import RuntimeFailure
from common.filecache import FileCache
from common.paths import Layout
from common.records import ContainerRecord
from common.statefiles import json_bytes, sync_directory, write_atomic, write_json
from compose.spec.model import Service
from network.hosts import container_resolv_conf
from runtime.images.store import Image, ImageStore
from runtime.oci import rootfs
from runtime.oci.runtime import Runtime
from runtime.ocispec.host import NotADevice, all_host_devices, device_nodes, host_facts
from runtime.ocispec.namespaces import SHM_HOST, SHM_SHAREABLE
from runtime.ocispec.spec import SpecError, process_args

TYPE_CHECKING = False
if TYPE_CHECKING:
    from runtime.ocispec.servicespec import Decided, Gathered

RECORD = "container.json"
LOG = "ctr.log"
"""conmon's log of the container's output, beside its bundle."""
BUNDLE = "bundle.json"


def make(layout: Layout, store: ImageStore, image: Image, record: ContainerRecord,
         service: Service, hosts: str, runtime: Runtime,
         files: Mapping[str, bytes] | None = None) -> list[str]:
    """A born container's directory (its first record in it) made into its
    bundle: root filesystem, storage, spec and files; the record last, saying
    the bundle is complete (synchronous).  Warnings."""
    from runtime.ocispec.servicespec import decide
    from runtime.ocispec.spec import build_spec
    from volumes.driver import prepare as prepare_storage

    directory = layout.container_dir(record.id)
    rootfs.mount_rootfs(store, layout.layers, image, directory)
    notes: list[str] = []
    storage = prepare_storage(layout, record, service, str(directory / "rootfs"),
                              notes.append)
    try:
        gathered = dataclasses.replace(gather(layout, record, service, directory),
                                       mounts=tuple(storage))
        decided = decide(service, image.runtime_config, gathered)
    except SpecError as exc:
        raise RuntimeFailure(f"container {record.name}: {exc}") from None
    # the command line it really runs, as ``ps`` and ``inspect`` show it
    command = process_args(service.entrypoint, service.command, image.runtime_config)
    record = dataclasses.replace(record, stop_signal=decided.stop_signal,
                                 runtime=runtime.path, command=command)
    # The bundle's files share one directory fsync, made before the record that
    # says the bundle is complete; the directory is there (no mkdir each).
    write = partial(write_atomic, sync_dir=False, make_parent=False)
    write(directory / BUNDLE, json_bytes({**options_of(service, decided),
                                          "runtime": runtime.path}))
    write(directory / "hostname", f"{record.hostname}\n".encode())
    resolv = container_resolv_conf(record.network, bool(record.attachments),
                                   _read_text(Path("/etc/resolv.conf")))
    write(directory / "resolv.conf", resolv.encode())
    write(directory / "hosts", hosts.encode())
    write(directory / "config.json", json_bytes(build_spec(decided.spec), compact=True))
    for name, data in (files or {}).items():  # the caller's (the supervisor's file)
        write(directory / name, data)
    sync_directory(directory)
    write_json(directory / RECORD, record.to_json())
    return [*notes, *decided.warnings]


def gather(layout: Layout, record: ContainerRecord, service: Service,
           directory: Path) -> Gathered:
    """Everything the spec needs from the host and the image's files."""
    from runtime.ocispec.devices import block_paths
    from runtime.ocispec.servicespec import Gathered, seccomp_file
    from runtime.ocispec.users import read_in_root

    raw = service.canonical
    root = str(directory / "rootfs")
    wanted = [str(d.get("source")) for d in raw.get("devices") or ()]
    wanted += block_paths(raw.get("blkio_config") or {})
    try:
        found = {path: tuple(device_nodes(path)) for path in wanted}
    except NotADevice as exc:
        raise SpecError(str(exc)) from None
    profile = None
    path = seccomp_file(raw)
    if path is not None:
        base = record.labels.get("com.docker.compose.project.working_dir") or os.getcwd()
        full = os.path.join(base, path)
        try:
            profile = Path(full).read_text()
        except OSError as exc:
            raise SpecError(f"opening seccomp profile ({path}) failed: "
                            f"{exc.strerror or exc}") from None
    ipc = str(raw.get("ipc") or "")
    shm_source = None
    if ipc == "shareable":
        shm_source = str(directory / "shm")
    elif ipc == "host":
        shm_source = "/dev/shm"
    elif ipc.startswith(("service:", "container:")):
        shm_source = str(directory / "shm-joined")  # replaced at start
    return Gathered(
        container_id=record.id,
        hostname=record.hostname,
        rootfs=root,
        host=host_facts(),
        netns=str(layout.netns / record.id),
        files={
            "/etc/hosts": str(directory / "hosts"),
            "/etc/hostname": str(directory / "hostname"),
            "/etc/resolv.conf": str(directory / "resolv.conf"),
        },
        passwd=read_in_root(root, "/etc/passwd"),
        group=read_in_root(root, "/etc/group"),
        devices=found,
        host_devices=tuple(all_host_devices()) if raw.get("privileged") else (),
        seccomp_profile=profile,
        shm_source=shm_source,
        labels=dict(record.labels),
    )


def _options(raw: bytes) -> dict[str, Any]:
    value = json.loads(raw)
    return value if isinstance(value, dict) else {}


_read_options = FileCache(_options)
"""``bundle.json`` by version (``common/filecache.py``): a container's is written
once, whole (``make``), and read at each step of its start and by the supervisor
at each look at its status (five times in a start)."""


def read_options(directory: Path) -> dict[str, Any]:
    """``bundle.json`` (shared: not to be changed), or nothing for a container
    whose bundle is not complete."""
    try:
        return _read_options.get(directory / BUNDLE)
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return {}


def options_of(service: Service, decided: Decided) -> dict[str, Any]:
    """How to start the container, kept beside its spec (``bundle.json``)."""
    raw = service.canonical
    options: dict[str, Any] = {
        "terminal": bool(raw.get("tty")),
        "stdin": bool(raw.get("stdin_open")),
        "shm": decided.spec.shm,
    }
    if decided.spec.shm == SHM_SHAREABLE:
        options["shm_size"] = decided.spec.shm_size
    if decided.spec.shm == SHM_HOST:
        options["shm_source"] = "/dev/shm"
    if decided.joins:
        options["joins"] = dict(decided.joins)
    options["log_size_max"] = logoptions.max_size(raw.get("logging"))
    options["log_files"] = logoptions.max_files(raw.get("logging"))
    if service.volumes_from:
        options["volumes_from"] = list(service.volumes_from)
    return options


def _read_text(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except (FileNotFoundError, NotADirectoryError):
        return ""
