"""Containers on disk and in the runtime: the ContainerBackend for runc/crun + conmon.

A container's directory (``containers/<id>``) is its OCI bundle: ``container.json``
(our record, written first so a crash mid-way still leaves something ``down``
can clean), ``config.json``, ``bundle.json`` (how to start it: terminal, stdin,
namespaces to join, a shareable /dev/shm), the overlay's ``upper``/``work`` and
mount point ``rootfs``, the files bind-mounted into it and conmon's ``ctr.log``.
``bundle.py`` makes the bundle, ``starting.py`` starts it; this module is the
backend's face, and stops, removes, watches and enters what they made.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
import shutil
import sys
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from functools import partial
from pathlib import Path
from typing import IO, Any

import trio

from common import state
from common.errors import RuntimeFailure, UsageError
from common.filewatch import DIRECTORY_CHANGES, FileWatch
from common.paths import Layout
from common.processes import wait_for_exit
from common.records import ContainerRecord
from common.statefiles import mtime, read_json, write_json
from common.status import (
    CREATED,
    DEAD,
    DETACHED,
    EXITED,
    INTERRUPTED,
    RUNNING,
    AttachEnd,
    ContainerStatus,
    LogLine,
    LogPosition,
    Probe,
    Usage,
)
from common.syncpaths import SyncEntry
from compose.spec.model import Hook, Service
from runtime.images.store import ImageStore
from runtime.images.treetar import write_tree
from runtime.oci import bundle, conmonctl, logs, procs, rootfs, staging
from runtime.oci.attach import attach_running, attached, run_foreground
from runtime.oci.bundle import RECORD
from runtime.oci.cgroups import oom_kills, usage
from runtime.oci.copy import CopyError, container_to_host, host_to_container
from runtime.oci.exec import container_exec_process, spec_of
from runtime.oci.filesync import sync_into
from runtime.oci.hookrun import container_stdio, run_hook_process
from runtime.oci.logs import LogFile
from runtime.oci.probe import run_probe
from runtime.oci.runcstate import read_state, wait_started
from runtime.oci.runtime import OciRuntime, Runtime, conmon_pid, named_runtime
from runtime.oci.shm import unmount_shm
from runtime.oci.starting import Starting, current_image, log_limits
from runtime.ocispec.capabilities import names_in_mask
from runtime.ocispec.host import host_facts
from runtime.ocispec.spec import SpecError, process_args


def read_record(directory: Path) -> ContainerRecord | None:
    try:
        return ContainerRecord.from_json(read_json(directory / RECORD))
    except (FileNotFoundError, NotADirectoryError):
        return None


def _stderr_warning(message: str) -> None:
    print(f"WARN[0000] {message}", file=sys.stderr, flush=True)


def _shown(record: ContainerRecord, last: staging.LastRun) -> ContainerStatus:
    """A container whose restart is staged, as it shows: its last run, exited."""
    return ContainerStatus(record, EXITED, last.exit_code, started_at=last.started_at,
                           finished_at=last.finished_at)


class ContainerDriver:
    def __init__(self, layout: Layout, store: ImageStore, oci: OciRuntime,
                 warn: Callable[[str], None] | None = None) -> None:
        self.layout = layout
        self.store = store
        self.oci = oci
        self.warn = warn or _stderr_warning
        """Where warnings about a container go (a rlimit clamped, a capability the
        host lacks); the CLI may point it at its console."""
        self.starting = Starting(layout, store, self.runtime_for)

    def directory(self, record: ContainerRecord) -> Path:
        return self.layout.container_dir(record.id)

    def log_path(self, record: ContainerRecord) -> Path:
        return self.directory(record) / bundle.LOG

    def runtime_for(self, record: ContainerRecord) -> OciRuntime:
        """The OCI runtime the container was created with (a service's ``runtime:``),
        as its bundle says: the caller's record may predate ``create``."""
        path = str(self.bundle_options(record).get("runtime") or record.runtime
                   or self.oci.runtime.path)
        if path == self.oci.runtime.path:
            return self.oci
        return OciRuntime(self.layout, Runtime(os.path.basename(path), path))


    # --- create ------------------------------------------------------------------------

    async def create(self, record: ContainerRecord, service: Service, hosts: str,
                     files: Mapping[str, bytes] | None = None) -> None:
        runtime = self.oci.runtime
        if service.canonical.get("runtime"):
            try:
                runtime = named_runtime(str(service.canonical["runtime"]))
            except RuntimeFailure as exc:
                raise RuntimeFailure(f"container {record.name}: {exc}") from None
        # One worker thread does all of a container's file work: the blocking writes
        # and fsyncs never hold the event loop, and containers are made side by side.
        for warning in await trio.to_thread.run_sync(
                self._make_bundle, record, service, hosts, runtime, files or {}):
            self.warn(f"container {record.name}: {warning}")

    def _make_bundle(self, record: ContainerRecord, service: Service, hosts: str,
                     runtime: Runtime, files: Mapping[str, bytes]) -> list[str]:
        """The container's directory, born with its record (no config hash until the
        bundle is complete: if anything fails, the next ``up`` makes it again), then
        made into its bundle (synchronous); warnings."""
        state.give_birth(self.layout, record.id, RECORD,
                         dataclasses.replace(record, config_hash="").to_json())
        return bundle.make(self.layout, self.store, current_image(self.store, record),
                           record, service, hosts, runtime, files)

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

    # --- start -------------------------------------------------------------------------

    def bundle_options(self, record: ContainerRecord) -> dict[str, Any]:
        return bundle.read_options(self.directory(record))

    async def start(self, record: ContainerRecord, *, stdin: bool | None = None,
                    staged: bool = False,
                    ready: Callable[[], Awaitable[None]] | None = None,
                    before_start: Callable[[], Awaitable[None]] | None = None) -> None:
        """``starting.Starting.start``."""
        await self.starting.start(record, stdin=stdin, staged=staged, ready=ready,
                                  before_start=before_start)

    async def stage(self, record: ContainerRecord) -> None:
        """``starting.Starting.stage``: a restart made ahead, all but ``runc start``."""
        await self.starting.stage(record)

    async def unstage(self, record: ContainerRecord) -> None:
        await self.starting.unstage(record)

    async def release(self, record: ContainerRecord) -> None:
        await self.starting.release(record)

    # --- stop, remove, status ---------------------------------------------------------

    async def stop(self, record: ContainerRecord, timeout: float | None = None) -> None:
        grace = record.stop_grace_period if timeout is None else timeout
        pid = conmon_pid(self.directory(record), record.id)
        if pid is None:
            return
        oci = self.runtime_for(record)
        status = (await self.starting.settled_create(record, pid) or {}).get("status")
        if status == "created" and staging.is_staged(self.directory(record)):
            await self.unstage(record)  # a restart in its back-off: called off
            return
        if status == "paused":
            await oci.resume(record.id, record.name)  # a frozen process cannot handle signals
        if await oci.kill(record.id, record.stop_signal):
            with trio.move_on_after(grace):
                await wait_for_exit(pid)
                return
        await oci.kill(record.id, "KILL")
        with trio.move_on_after(10):
            await wait_for_exit(pid)
            return
        raise RuntimeFailure(f"container {record.name} did not exit after SIGKILL")

    async def kill(self, record: ContainerRecord, signal: str | int = "KILL") -> bool:
        """Signal the container's main process; False if it is not running."""
        return await self.runtime_for(record).kill(record.id, signal)

    async def pause(self, record: ContainerRecord) -> None:
        await self.runtime_for(record).pause(record.id, record.name)

    async def unpause(self, record: ContainerRecord) -> None:
        await self.runtime_for(record).resume(record.id, record.name)

    async def update(self, record: ContainerRecord, resources: dict[str, Any]) -> None:
        await self.runtime_for(record).update(record.id, record.name, resources)

    async def remove(self, record: ContainerRecord, *,
                     forget_after: Callable[[], Awaitable[object]] | None = None) -> None:
        directory = self.directory(record)
        oci = self.runtime_for(record)
        pid = conmon_pid(directory, record.id)
        if pid is not None:
            if (await self.starting.settled_create(record, pid) or {}).get("status") == "paused":
                await oci.resume(record.id, record.name)
            await oci.kill(record.id, "KILL")
            with trio.move_on_after(10):
                await wait_for_exit(pid)
        await oci.delete(record.id)
        await trio.to_thread.run_sync(unmount_shm, directory / "shm")
        await trio.to_thread.run_sync(rootfs.unmount_rootfs, directory)
        oci.forget_exit(record.id)
        link = oci.attach_socket(record.id).parent  # conmon's link to the bundle (or dir)
        if link.is_symlink():
            link.unlink()
        elif link.is_dir():
            await trio.to_thread.run_sync(shutil.rmtree, link, True)
        if forget_after is not None:
            await forget_after()
        for _ in range(3):  # a state file written meanwhile (by the supervisor) fails it
            await trio.to_thread.run_sync(shutil.rmtree, directory, True)
            if not directory.exists():
                break

    async def status(self, record: ContainerRecord) -> ContainerStatus:
        directory = self.directory(record)
        oci = self.runtime_for(record)
        code = oci.exit_code(record.id)
        if code is not None:
            finished = mtime(self.layout.exits / record.id)
            return ContainerStatus(record, EXITED, code, started_at=mtime(directory / "pid"),
                                   finished_at=finished)
        current = await oci.state(record.id)
        if current is None:
            last = staging.last_run(directory)
            if last is not None:  # a restart being staged: runc create has not written
                return _shown(record, last)  # its state yet, and the last exit is gone
            if conmon_pid(directory, record.id) is not None:
                return ContainerStatus(record, EXITED)  # conmon is writing the exit code
            if (directory / "pid").exists():
                return ContainerStatus(record, DEAD)
            return ContainerStatus(record, CREATED)
        status = current.get("status")
        pid = current.get("pid") or None
        if status == "running" or status == "paused":
            return ContainerStatus(record, RUNNING, pid=pid, started_at=mtime(directory / "pid"))
        if status == "created":
            last = staging.last_run(directory)
            if last is not None:  # a restart in its back-off: the last run's exit
                return _shown(record, last)
            return ContainerStatus(record, CREATED, pid=pid)
        # stopped, yet conmon has not written the exit file (yet, or ever)
        return ContainerStatus(record, EXITED if conmon_pid(directory, record.id) else DEAD)

    async def run_attached(self, record: ContainerRecord, *, tty: bool, interactive: bool,
                           ready: Callable[[], Awaitable[None]] | None = None) -> int | None:
        async def start(attach: Callable[[], Awaitable[None]]) -> None:
            await self.start(record, stdin=interactive, before_start=attach, ready=ready)

        await attached(start, lambda: self.runtime_for(record).attach_socket(record.id),
                       self.directory(record), tty=tty, interactive=interactive,
                       kill=partial(self.kill, record))
        return await self.wait(record)

    async def attach(self, record: ContainerRecord, *, stdin: bool, detach_keys: bytes,
                     sig_proxy: bool) -> AttachEnd:
        options = self.bundle_options(record)
        tty = bool(options.get("terminal"))
        stdin = stdin and bool(options.get("stdin"))  # only an open stdin takes input
        if tty and stdin and not os.isatty(0):
            raise UsageError("the input device is not a TTY")
        try:
            outcome = await attach_running(
                self.runtime_for(record).attach_socket(record.id), self.directory(record),
                tty=tty, stdin=stdin, detach_keys=detach_keys, sig_proxy=sig_proxy,
                kill=partial(self.kill, record))
        except OSError as exc:  # no socket: conmon has gone with the container
            raise RuntimeFailure(f"cannot attach to container {record.name}: "
                                 f"{exc.strerror or exc}") from None
        if outcome == DETACHED:
            return AttachEnd(DETACHED, 0)
        if isinstance(outcome, int):
            return AttachEnd(INTERRUPTED, 128 + outcome)
        code = await self.wait(record)
        return AttachEnd(EXITED, 1 if code is None else code)

    async def check(self, service: Service, image_config: Mapping[str, Any]) -> None:
        try:
            process_args(service.entrypoint, service.command, image_config)
        except SpecError as exc:
            raise UsageError(f"service {service.name}: {exc}") from None

    async def paused(self, record: ContainerRecord) -> bool:
        return (await self.runtime_for(record).state(record.id) or {}).get("status") == "paused"

    async def wait(self, record: ContainerRecord) -> int | None:
        pid = conmon_pid(self.directory(record), record.id)
        if pid is not None:
            await wait_for_exit(pid)
        return self.runtime_for(record).exit_code(record.id)

    # --- inside a container -----------------------------------------------------------

    async def exec(self, record: ContainerRecord, args: Sequence[str], *,
                   user: str | None = None, env: Mapping[str, str] | None = None,
                   cwd: str | None = None, tty: bool = False, detach: bool = False) -> int:
        """Run ``args`` in the running container with our stdio; its exit status."""
        process = self._exec_process(record, args, user=user, env=env, cwd=cwd, tty=tty)
        with self._process_file(record, process) as path:
            argv = self.runtime_for(record).exec_argv(record.id, path, tty=tty, detach=detach)
            return await run_foreground(argv, tty=tty, detach=detach)

    async def run_hook(self, record: ContainerRecord, hook: Hook) -> int:
        """Run a lifecycle hook in the running container, its output going where the
        container's own goes (``hookrun.py``); its exit status."""
        capabilities = names_in_mask(host_facts().bounding) if hook.privileged else None
        process = self._exec_process(record, hook.command, user=hook.user,
                                     env=hook.environment, cwd=hook.working_dir,
                                     capabilities=capabilities)
        pid = (await self.status(record)).pid
        with self._process_file(record, process) as path, container_stdio(pid) as stdio:
            argv = self.runtime_for(record).exec_argv(record.id, path, tty=False,
                                                      detach=False)
            return await run_hook_process(argv, self.log_path(record), stdio)

    def _exec_process(self, record: ContainerRecord, args: Sequence[str], *,
                      user: str | None, env: Mapping[str, str] | None, cwd: str | None,
                      tty: bool = False, capabilities: Sequence[str] | None = None,
                      ) -> dict[str, Any]:
        return container_exec_process(self.directory(record), record, args, user=user,
                                      env=env, cwd=cwd, tty=tty, capabilities=capabilities)

    @contextlib.contextmanager
    def _process_file(self, record: ContainerRecord, process: dict[str, Any]) -> Iterator[Path]:
        """The process spec as the file ``runtime exec --process`` reads, while needed."""
        path = self.layout.run / "exec" / f"{record.id[:12]}-{secrets.token_hex(6)}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json(path, process)
        try:
            yield path
        finally:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    async def processes(self, record: ContainerRecord) -> list[int]:
        """Host pids of the container's processes."""
        return await self.runtime_for(record).pids(record.id)

    def spec(self, record: ContainerRecord) -> dict[str, Any]:
        """The OCI runtime spec it was created with ({} once gone)."""
        return spec_of(self.directory(record))

    def oom_killed(self, record: ContainerRecord) -> bool:
        """Whether the kernel's OOM killer ended a process of the container (its
        cgroup is kept until the runtime deletes the container)."""
        path = self.spec(record).get("linux", {}).get("cgroupsPath")
        if not path:
            return False
        return oom_kills(path, cgroup2=host_facts().cgroup2) > 0

    async def stats(self, record: ContainerRecord) -> Usage:
        path = self.spec(record).get("linux", {}).get("cgroupsPath") or ""
        pid = (await self.status(record)).pid
        return await trio.to_thread.run_sync(
            partial(usage, path, pid, cgroup2=host_facts().cgroup2))

    async def top(self, record: ContainerRecord) -> list[list[str]]:
        return await trio.to_thread.run_sync(procs.top, await self.processes(record))

    async def probe(self, record: ContainerRecord, command: Sequence[str],
                    timeout: float) -> Probe:
        return await run_probe(self.layout, record.runtime or self.oci.runtime.path,
                               record.id, command, timeout)

    async def copy(self, record: ContainerRecord, source: str, destination: str, *,
                   into: bool, archive: bool, follow: bool) -> None:
        """``cp`` through ``/proc/<pid>/root`` while it runs, else its root directory."""
        status = await self.status(record)
        root = f"/proc/{status.pid}/root" if status.running and status.pid \
            else str(self.directory(record) / "rootfs")
        try:
            if into:
                await trio.to_thread.run_sync(partial(
                    host_to_container, source, root, destination, archive=archive,
                    follow=follow))
            else:
                await trio.to_thread.run_sync(partial(
                    container_to_host, root, source, destination, archive=archive,
                    follow=follow))
        except (CopyError, OSError) as exc:
            what = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise UsageError(what) from None

    async def export(self, record: ContainerRecord, output: IO[bytes]) -> None:
        """The overlay's merged directory as the host sees it: the image and the
        container's changes, without the mounts made inside the container."""
        directory = self.directory(record)
        await trio.to_thread.run_sync(self.starting.remount, record, {})
        await trio.to_thread.run_sync(partial(write_tree, str(directory / "rootfs"), output))

    def writable_layer(self, record: ContainerRecord) -> str:
        return str(self.directory(record) / "upper")

    async def sync(self, record: ContainerRecord, entries: Sequence[SyncEntry]) -> None:
        """``watch``'s sync, through the same root as ``cp``; new files belong to
        the container's user."""
        status = await self.status(record)
        root = f"/proc/{status.pid}/root" if status.running and status.pid \
            else str(self.directory(record) / "rootfs")
        user = (self.spec(record).get("process") or {}).get("user") or {}
        owner = (int(user.get("uid", 0)), int(user.get("gid", 0)))
        try:
            await trio.to_thread.run_sync(sync_into, root, entries, owner)
        except (CopyError, OSError) as exc:
            what = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
            raise UsageError(f"{record.name}: sync: {what}{where}") from None

    # --- logs -------------------------------------------------------------------------

    def log_history(self, record: ContainerRecord) -> tuple[list[LogLine], LogPosition]:
        return logs.history(self.log_path(record))

    def open_log(self, record: ContainerRecord, position: LogPosition | None = None,
                 ) -> AbstractContextManager[LogFile | None]:
        return logs.open_log(self.log_path(record), position)

    async def keep_rotated_logs(self, record: ContainerRecord, files: int,
                                on_rotated: Callable[[], None]) -> None:
        cap, _ = log_limits(self.bundle_options(record))
        reopen = partial(conmonctl.send, self.directory(record), conmonctl.REOPEN_LOGS)
        await logs.keep_rotated(self.log_path(record), cap, files, reopen, on_rotated)

    async def wait_running(self, record: ContainerRecord) -> None:
        """Until a conmon runs the container (a start, or a restart by its
        supervisor) and its process is started, or the container is gone."""
        directory = self.directory(record)
        pid = None
        with FileWatch(directory, DIRECTORY_CHANGES) as changes:
            while directory.is_dir() and (pid := conmon_pid(directory, record.id)) is None:
                await changes.changed()
        if pid is not None:
            await self.starting.wait_for_create(record, pid)
        await wait_started(self.layout.runc_root, record.id)  # asking again would spin

    def is_running(self, record: ContainerRecord) -> bool:
        if conmon_pid(self.directory(record), record.id) is None:
            return False
        known = read_state(self.layout.runc_root, record.id)  # a file: no runc process
        return known is None or known.get("status") != "created"

    def warn_to(self, warn: Callable[[str], None]) -> None:
        self.warn = warn




