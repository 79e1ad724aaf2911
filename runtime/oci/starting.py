"""How a container's process comes to run: ``start``, and the supervisor's staged
restarts (``stage``, ``unstage``, ``release``), for ``containers.py``'s driver.

A start takes the container's start lock, lets a ``runc create`` still under way
(a cancelled start's conmon) finish, settles what the runtime holds (a stopped
container is deleted to be made anew, a created one kept when it was staged),
has conmon create it (the overlay mounted again after a reboot, the namespaces
it joins pointed at, volumes inherited), then ``runc start``.  The waits for a
create under way are here too: a stop or removal meanwhile must see its state.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import trio

from common import logoptions, state
from common.errors import ImageError, RuntimeFailure
from common.paths import Layout
from common.processes import wait_for_exit
from common.records import ContainerRecord
from common.statefiles import read_json, write_json
from runtime.images.store import Image, ImageStore
from runtime.oci import bundle, logrotate, rootfs, staging
from runtime.oci.joins import JoinError, find_target, join
from runtime.oci.runcstate import wait_made
from runtime.oci.runtime import OciRuntime, conmon_pid
from runtime.oci.shm import mount_shm
from runtime.ocispec.namespaces import SHM_SHAREABLE
from volumes.driver import inherit as inherit_volumes

START_LOCK = "start.lock"


class Starting:
    """The start path of one state root's containers; ``runtime_for`` gives the OCI
    runtime a container was created with (its bundle says)."""

    def __init__(self, layout: Layout, store: ImageStore,
                 runtime_for: Callable[[ContainerRecord], OciRuntime]) -> None:
        self.layout = layout
        self.store = store
        self.runtime_for = runtime_for

    def directory(self, record: ContainerRecord) -> Path:
        return self.layout.container_dir(record.id)

    async def start(self, record: ContainerRecord, *, stdin: bool | None = None,
                    staged: bool = False,
                    ready: Callable[[], Awaitable[None]] | None = None,
                    before_start: Callable[[], Awaitable[None]] | None = None) -> None:
        """Run the container under conmon; ``stdin``: keep its stdin open for an
        attached client (default: the service's ``stdin_open``); ``before_start``
        runs once conmon holds the created container, before its process runs (to
        attach without missing output), and so does ``ready`` (what the process
        needs, made meanwhile: its DNS server); ``staged``: one ``stage`` made is
        started as it is (else a created container is made anew)."""
        directory = self.directory(record)
        # The supervisor restarts what a user may be starting at the same moment:
        # one start at a time, and a container that already runs is left alone.
        async with state.file_lock(directory / START_LOCK,
                                   f"container {record.name} is being started"):
            oci = self.runtime_for(record)
            await self._earlier_create(record, directory)
            current = await self._settled_state(record, keep_created=staged)
            if current in ("running", "paused"):
                return
            if current != "created":
                await self._conmon_create(record, directory, stdin,
                                          stdin_once=before_start is not None)
                if before_start is not None:
                    await before_start()
            if ready is not None:
                await ready()
            await oci.start(record.id, record.name)
            staging.started(directory)

    async def stage(self, record: ContainerRecord) -> None:
        """Have conmon hold the container with its process not started yet: the
        supervisor does this during a restart's back-off, so that only ``runc
        start`` is left when the back-off ends (``start(staged=True)``)."""
        directory = self.directory(record)
        async with state.file_lock(directory / START_LOCK,
                                   f"container {record.name} is being started"):
            await self._earlier_create(record, directory)
            if await self._settled_state(record, keep_created=True) is not None:
                return
            staging.remember(directory, self.layout.exits / record.id,
                             self.runtime_for(record).exit_code(record.id))
            await self._conmon_create(record, directory, None, stdin_once=False)

    async def unstage(self, record: ContainerRecord) -> None:
        """Call off a restart ``stage`` prepared (its user stopped the container
        meanwhile): the created container goes, and the container shows the exit
        of its last run again, as if the restart had never been prepared."""
        directory = self.directory(record)
        last = staging.last_run(directory)
        if last is None:
            return
        if (await self.runtime_for(record).state(record.id) or {}).get("status") == "created":
            await self._delete(record)
        staging.called_off(directory, self.layout.exits / record.id, last)

    async def release(self, record: ContainerRecord) -> None:
        """Forget an exited container in the runtime (``runc delete``), keeping its
        files, overlay and namespace: what a restart would do first, done ahead."""
        oci = self.runtime_for(record)
        current = await oci.state(record.id)
        if current is not None and current.get("status") == "stopped":
            await oci.delete(record.id)

    async def settled_create(self, record: ContainerRecord, conmon: int
                              ) -> dict[str, Any] | None:
        """The runtime's state, once a ``runc create`` under way under ``conmon`` (a
        restart being staged) has written it, or conmon has gone (the create failed):
        stopping or removing the container meanwhile found no state, sent its signal
        to nobody, and waited for conmon, which holds a created container forever."""
        oci = self.runtime_for(record)
        current = await oci.state(record.id)
        if current is not None:
            return current
        await self.wait_for_create(record, conmon)
        return await oci.state(record.id)

    async def wait_for_create(self, record: ContainerRecord, conmon: int) -> None:
        """Until the ``runc create`` of ``conmon`` has written the container's state,
        from before runc has made its directory, or conmon has gone; at most 10 s.
        Only runc's layout is known: with another runtime, at once."""
        if self.runtime_for(record).runtime.name != "runc":
            return
        with trio.move_on_after(10):
            await _created_or_ended(self.layout.runc_root, record.id, conmon)

    async def _earlier_create(self, record: ContainerRecord, directory: Path) -> None:
        """A ``runc create`` still under way for the container, by the conmon of a
        start that was cancelled (its command failed or was killed: conmon had
        forked the process that stays), is let finish before the runtime's state is
        read: read before, it said there was none, and a create of our own then
        failed on the one that came meanwhile ("container with given ID already
        exists", the fault walk under load)."""
        pid = conmon_pid(directory, record.id)
        if pid is not None:
            await self.wait_for_create(record, pid)

    async def _settled_state(self, record: ContainerRecord, *, keep_created: bool) -> str | None:
        """The runtime's state of the container, None once a stopped (or, unless
        ``keep_created``, a created) one is deleted so that it can be made anew."""
        oci = self.runtime_for(record)
        if not (self.layout.runc_root / record.id).exists():
            return None
        current = await oci.state(record.id)
        status = None if current is None else str(current.get("status"))
        if status in ("running", "paused") or (status == "created" and keep_created):
            return status
        if current is not None:
            await self._delete(record)  # a stopped container is recreated to rerun
        return None

    async def _delete(self, record: ContainerRecord) -> None:
        """``runtime delete``, then wait for its conmon, which writes the exit code of
        what was deleted: not over the one of the run made next."""
        pid = conmon_pid(self.directory(record), record.id)
        await self.runtime_for(record).delete(record.id)
        if pid is not None:
            with trio.move_on_after(10):
                await wait_for_exit(pid)

    async def _conmon_create(self, record: ContainerRecord, directory: Path,
                             stdin: bool | None, *, stdin_once: bool) -> None:
        oci = self.runtime_for(record)
        options = bundle.read_options(self.directory(record))
        if _remount_needed(directory, options):  # asked here: two stats, no thread
            await trio.to_thread.run_sync(self.remount, record, options)
        if options.get("joins"):
            await self._join(record, options["joins"])
        if options.get("volumes_from"):
            await trio.to_thread.run_sync(inherit_volumes, self.layout, record,
                                          list(options["volumes_from"]))
        await oci.create(record.id, record.name, directory, directory / bundle.LOG,
                         terminal=bool(options.get("terminal")),
                         stdin=bool(options.get("stdin") if stdin is None else stdin),
                         stdin_once=stdin_once,
                         log_size_max=logrotate.backstop(*log_limits(options)))

    def remount(self, record: ContainerRecord, options: dict[str, Any]) -> None:
        """After a reboot the overlay is gone; mount it again from the same layers."""
        directory = self.directory(record)
        if not os.path.ismount(directory / "rootfs"):
            rootfs.mount_rootfs(self.store, self.layout.layers,
                                current_image(self.store, record), directory)
        if options.get("shm") == SHM_SHAREABLE:
            mount_shm(directory / "shm", int(options.get("shm_size") or 0) or 64 << 20)

    async def _join(self, record: ContainerRecord, joins: dict[str, str]) -> None:
        """Point the spec at the namespaces of the containers it joins, as they
        run now."""
        config_path = self.directory(record) / "config.json"
        config = read_json(config_path)
        records = await trio.to_thread.run_sync(state.container_records, self.layout)
        for kind, reference in joins.items():
            target = find_target(record, reference, records)
            if target is None:
                raise RuntimeFailure(f"container {record.name}: {kind} {reference}: "
                                     "no such container")
            current = await self.runtime_for(target).state(target.id) or {}
            if current.get("status") not in ("running", "paused") or not current.get("pid"):
                raise RuntimeFailure(f"container {record.name}: cannot join the {kind} "
                                     f"namespace of {target.name}: it is not running")
            shareable = bundle.read_options(self.directory(target)).get("shm") == SHM_SHAREABLE
            shm = str(self.directory(target) / "shm") if shareable else None
            try:
                config = join(config, kind, int(current["pid"]), shm)
            except JoinError as exc:
                raise RuntimeFailure(f"container {record.name}: cannot join the {kind} "
                                     f"namespace of {target.name}: {exc}") from None
        write_json(config_path, config)


def current_image(store: ImageStore, record: ContainerRecord) -> Image:
    """The record's image in the store, as it was when the container was made."""
    image = store.resolve(record.image)
    if image.id != record.image_id:
        raise ImageError(
            f"image {record.image} changed while {record.name} was being created; retry"
        )
    return image


async def _created_or_ended(runc_root: Path, container_id: str, conmon: int) -> None:
    """Until conmon's ``runc create`` has written the container's state, or conmon
    has ended.  Before, the container's status reads as exited with no code yet
    (conmon runs, runc knows nothing): a watcher that asked then polled the status
    every 10 ms through the create, ten times a container in an ``up``."""
    async with trio.open_nursery() as nursery:

        async def until(wait: Callable[[], Awaitable[None]]) -> None:
            await wait()
            nursery.cancel_scope.cancel()

        nursery.start_soon(until, partial(wait_made, runc_root, container_id))
        nursery.start_soon(until, partial(wait_for_exit, conmon))


def log_limits(options: Mapping[str, Any]) -> tuple[int, int]:
    """The log's cap and file count (the defaults for containers made before these
    were recorded)."""
    return (int(options.get("log_size_max") or logoptions.DEFAULT_MAX_SIZE),
            int(options.get("log_files") or logoptions.DEFAULT_MAX_FILES))


def _remount_needed(directory: Path, options: dict[str, Any]) -> bool:
    """Whether ``remount`` has work to do: after a reboot the overlay is gone, and
    a shareable ``/dev/shm`` is mounted by us.  Asked before a worker thread is
    taken: the thread's round trip, waiting for the interpreter's lock behind the
    interfaces being attached meanwhile, took 2-4 ms of every start."""
    return not os.path.ismount(directory / "rootfs") or options.get("shm") == SHM_SHAREABLE
