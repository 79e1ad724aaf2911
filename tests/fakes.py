"""In-memory backends implementing the ``compose.engine.backends`` protocols, for tests of
the trio layer that need no kernel (run under ``autojump_clock``).
``tests/unit/test_fakes.py`` checks that they implement every member."""

from __future__ import annotations

import hashlib
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from ipaddress import IPv4Network
from typing import IO, Any

import trio

from common.errors import BuildError, ImageError, RuntimeFailure, UsageError
from common.images import (
    BasePuller,
    BuildRequest,
    BuildResult,
    CommitRequest,
    ImageRow,
    LoadedImage,
    LocalImage,
    Pruned,
    PulledImage,
    PushedImage,
)
from common.progress import BuildEvent, BuildReporter, Transfer, TransferReporter
from common.records import ContainerRecord, NetworkRecord, VolumeRecord
from common.status import (
    CREATED,
    EXITED,
    RUNNING,
    AttachEnd,
    CgroupStats,
    ContainerStatus,
    LogLine,
    LogPosition,
    Probe,
    Usage,
)
from common.syncpaths import SyncEntry
from compose.engine.events import Progress
from compose.engine.snapshot import Snapshot
from compose.spec.model import Hook, Service


class FakeContainers:
    def __init__(self, *, fail_start: set[str] | None = None, start_delay: float = 0.0) -> None:
        self.log: list[str] = []
        self.state: dict[str, str] = {}
        self.fail_start = fail_start or set()
        self.start_delay = start_delay
        self.exited: dict[str, trio.Event] = {}
        self.started: dict[str, trio.Event] = {}
        self.hook_codes: dict[tuple[str, ...], int] = {}
        """A hook's exit status by its command (0 for any other)."""

    async def create(self, record: ContainerRecord, service: Service, hosts: str,
                     files: Mapping[str, bytes] | None = None) -> None:
        self.log.append(f"create {record.name}")
        self.state[record.id] = CREATED
        self.exited[record.id] = trio.Event()

    async def write_hosts(self, record: ContainerRecord, hosts: str) -> None:
        self.log.append(f"hosts {record.name}")

    async def check(self, service: Service, image_config: Mapping[str, Any]) -> None:
        if service.command == ("refused",):
            raise UsageError(f"service {service.name}: no command")

    async def start(self, record: ContainerRecord, *, stdin: bool | None = None,
                    staged: bool = False,
                    ready: Callable[[], Awaitable[None]] | None = None) -> None:
        await trio.sleep(self.start_delay)
        if ready is not None:
            await ready()
        if record.service in self.fail_start:
            raise RuntimeFailure(f"cannot start {record.name}: refused")
        self.log.append(f"start {record.name}")
        self.state[record.id] = RUNNING
        self.started.setdefault(record.id, trio.Event()).set()

    async def stop(self, record: ContainerRecord, timeout: float | None = None) -> None:
        self.log.append(f"stop {record.name}")
        self.state[record.id] = EXITED
        self.exited.setdefault(record.id, trio.Event()).set()

    async def remove(self, record: ContainerRecord, *,
                     forget_after: Callable[[], Awaitable[object]] | None = None) -> None:
        if forget_after is not None:
            await forget_after()
        self.log.append(f"remove {record.name}")
        self.state.pop(record.id, None)

    async def status(self, record: ContainerRecord) -> ContainerStatus:
        return ContainerStatus(record, self.state.get(record.id, "dead"))

    async def wait(self, record: ContainerRecord) -> int | None:
        await self.exited.setdefault(record.id, trio.Event()).wait()
        return 0

    def oom_killed(self, record: ContainerRecord) -> bool:
        return False

    def spec(self, record: ContainerRecord) -> Mapping[str, Any]:
        return {}

    async def release(self, record: ContainerRecord) -> None:
        self.log.append(f"release {record.name}")

    async def stage(self, record: ContainerRecord) -> None:
        self.log.append(f"stage {record.name}")

    async def unstage(self, record: ContainerRecord) -> None:
        self.log.append(f"unstage {record.name}")

    async def run_attached(self, record: ContainerRecord, *, tty: bool, interactive: bool,
                           ready: Callable[[], Awaitable[None]] | None = None) -> int | None:
        await self.start(record, ready=ready)
        return await self.wait(record)

    async def attach(self, record: ContainerRecord, *, stdin: bool, detach_keys: bytes,
                     sig_proxy: bool) -> AttachEnd:
        self.log.append(f"attach {record.name}")
        return AttachEnd(EXITED, await self.wait(record) or 0)

    async def kill(self, record: ContainerRecord, signal: str | int = "KILL") -> bool:
        self.log.append(f"kill {record.name} {signal}")
        if self.state.get(record.id) != RUNNING:
            return False
        await self.stop(record)
        return True

    async def pause(self, record: ContainerRecord) -> None:
        self.log.append(f"pause {record.name}")
        self.state[record.id] = "paused"

    async def unpause(self, record: ContainerRecord) -> None:
        self.log.append(f"unpause {record.name}")
        self.state[record.id] = RUNNING

    async def paused(self, record: ContainerRecord) -> bool:
        return self.state.get(record.id) == "paused"

    def is_running(self, record: ContainerRecord) -> bool:
        return self.state.get(record.id) == RUNNING

    async def wait_running(self, record: ContainerRecord) -> None:
        if record.id in self.state and not self.is_running(record):
            await self.started.setdefault(record.id, trio.Event()).wait()

    async def exec(self, record: ContainerRecord, args: Sequence[str], *,
                   user: str | None = None, env: Mapping[str, str] | None = None,
                   cwd: str | None = None, tty: bool = False, detach: bool = False) -> int:
        self.log.append(f"exec {record.name} {' '.join(args)}")
        return 0

    async def run_hook(self, record: ContainerRecord, hook: Hook) -> int:
        self.log.append(f"hook {record.name} {' '.join(hook.command)}")
        return self.hook_codes.get(hook.command, 0)

    async def probe(self, record: ContainerRecord, command: Sequence[str],
                    timeout: float) -> Probe:
        now = trio.current_time()
        return Probe(now, now, 0 if self.is_running(record) else 1)

    async def processes(self, record: ContainerRecord) -> list[int]:
        return [1] if self.is_running(record) else []

    async def stats(self, record: ContainerRecord) -> Usage:
        return Usage(CgroupStats(pids=len(await self.processes(record))))

    async def top(self, record: ContainerRecord) -> list[list[str]]:
        return [["root", str(p), "0", "0", "00:00", "?", "00:00:00", "sh"]
                for p in await self.processes(record)]

    async def copy(self, record: ContainerRecord, source: str, destination: str, *,
                   into: bool, archive: bool, follow: bool) -> None:
        self.log.append(f"copy {record.name} {source} {destination}")

    async def export(self, record: ContainerRecord, output: IO[bytes]) -> None:
        self.log.append(f"export {record.name}")

    def writable_layer(self, record: ContainerRecord) -> str:
        return f"/fake/{record.id}/upper"

    async def sync(self, record: ContainerRecord, entries: Sequence[SyncEntry]) -> None:
        self.log.append(f"sync {record.name} " + " ".join(
            f"{e.kind}:{e.container}" for e in entries))

    def log_history(self, record: ContainerRecord) -> tuple[list[LogLine], LogPosition]:
        return [], LogPosition()

    @contextmanager
    def open_log(self, record: ContainerRecord, position: LogPosition | None = None,
                 ) -> Iterator[None]:
        yield None  # no log file: followers only wait for the exit

    async def keep_rotated_logs(self, record: ContainerRecord, files: int,
                                on_rotated: Callable[[], None]) -> None:
        await trio.sleep_forever()

    def warn_to(self, warn: Callable[[str], None]) -> None:
        self.warn = warn


class FakeNetworks:
    def __init__(self) -> None:
        self.log: list[str] = []
        self.links: set[str] = set()
        self.here = "net:[1]"
        """The namespace the fake's networks are made in."""
        self.alive: dict[str, str] = {}
        """Other namespaces that exist, by identity: where each is."""

    async def create_network(self, network: NetworkRecord) -> None:
        self.log.append(f"bridge {network.bridge}")
        self.links.add(network.bridge)

    async def remove_network(self, network: NetworkRecord) -> None:
        self.log.append(f"unbridge {network.bridge}")
        self.links.discard(network.bridge)

    async def connect(self, record: ContainerRecord, *,
                      task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        self.log.append(f"connect {record.name}")
        task_status.started()

    async def disconnect(self, record: ContainerRecord, bridges: Sequence[str] = (), *,
                         links_with_namespace: bool = False) -> None:
        self.log.append(f"disconnect {record.name}" + "".join(f" unbridge {b}" for b in bridges))
        self.links.difference_update(bridges)

    async def reserve_ports(self, records: Sequence[ContainerRecord],
                            leaving: Collection[str]) -> list[ContainerRecord]:
        """Random host ports count up from 49153."""
        result = []
        for record in records:
            self.log.append(f"reserve {record.name}")
            chosen = tuple(replace(p, published=p.published or 49153 + i, range_end=0)
                           for i, p in enumerate(record.network.ports))
            result.append(replace(record, network=replace(record.network, ports=chosen)))
        return result

    async def routed_networks(self) -> list[IPv4Network]:
        return [IPv4Network("10.89.0.0/24")]

    async def link_names(self) -> set[str]:
        return set(self.links)

    def namespace(self) -> str:
        return self.here

    async def elsewhere(self, network: NetworkRecord) -> str | None:
        if not network.netns or network.netns == self.here:
            return None
        return self.alive.get(network.netns)


class FakeVolumes:
    def __init__(self) -> None:
        self.log: list[str] = []
        self.store: dict[str, VolumeRecord] = {}

    async def create_volume(self, volume: VolumeRecord) -> None:
        self.log.append(f"volume {volume.name}")
        self.store.setdefault(volume.name, volume)

    async def remove_volume(self, volume: VolumeRecord) -> None:
        self.log.append(f"unvolume {volume.name}")
        self.store.pop(volume.name, None)

    async def volumes(self) -> dict[str, VolumeRecord]:
        return dict(self.store)

    def data_dir(self, name: str) -> str:
        return f"/volumes/{name}/_data"

    async def disk_usage(self, name: str) -> int:
        return 0


class FakeSupervisors:
    def __init__(self) -> None:
        self.log: list[str] = []
        self.snapshots: dict[str, Snapshot] = {}

    async def ensure(self, project: str) -> None:
        self.log.append(f"ensure {project}")

    async def adopt(self, project: str) -> None:
        self.log.append(f"adopt {project}")

    async def rescan(self, project: str) -> None:
        self.log.append(f"rescan {project}")

    async def stop(self, project: str) -> None:
        self.log.append(f"stop {project}")

    async def dns_ready(self, record: ContainerRecord) -> bool:
        return True

    async def snapshot(self, project: str, since: int | None = None,
                       wait: float = 0.0) -> Snapshot | None:
        self.log.append(f"snapshot {project}")
        return self.snapshots.get(project)


# images: FakeImages (the ImageBackend), its registry session, and an Output
# stand-in that records what the engine reports.


class FakeImages:
    """The image store as names to image IDs, and a registry as the names it
    offers; builds make an image per request.  ``log`` says what was done."""

    def __init__(self, *, local: Mapping[str, Mapping[str, Any]] | None = None,
                 registry: Collection[str] = (), fail_push: Collection[str] = ()) -> None:
        self.log: list[str] = []
        self.names: dict[str, str] = {}
        self.tagged: dict[str, float] = {}
        self.configs: dict[str, Mapping[str, Any]] = {}
        self.registry = set(registry)
        self.fail_push = set(fail_push)
        self.in_use: set[str] = set()
        for name, config in (local or {}).items():
            self.add(name, config)

    def add(self, name: str, config: Mapping[str, Any] | None = None) -> str:
        image_id = "sha256:" + hashlib.sha256(name.encode()).hexdigest()
        self.names[name] = image_id
        self.configs[image_id] = dict(config or {})
        self.tagged[name] = 1000.0
        return image_id

    def _id(self, reference: str) -> str | None:
        if reference.startswith("sha256:") or reference in self.configs:
            return reference if reference in self.configs else None
        if not reference or reference != reference.strip() or reference.lower() != reference:
            raise ImageError(f"invalid reference format: {reference!r}")
        return self.names.get(reference)

    def config(self, image_id: str) -> Mapping[str, Any]:
        return self.configs.get(image_id, {})

    async def resolve(self, reference: str) -> tuple[str, Mapping[str, Any]]:
        image_id = self._id(reference)
        if image_id is None:
            raise ImageError(f"image {reference} is not in the local store")
        return image_id, self.configs[image_id]

    async def find(self, reference: str) -> LocalImage | None:
        image_id = self._id(reference)
        if image_id is None:
            return None
        name = reference if reference in self.names else None
        return LocalImage(name, image_id, self.tagged.get(reference))

    async def rows(self, wanted: str | None = None) -> list[ImageRow]:
        return [ImageRow(*name.partition(":")[::2], image_id, "", 1000)
                for name, image_id in self.names.items()
                if wanted is None or name.partition(":")[0] == wanted.partition(":")[0]]

    async def inspect(self, names: Sequence[str]) -> list[dict[str, Any]]:
        found = []
        for name in names:
            image_id, config = await self.resolve(name)
            found.append({"Id": image_id, "Config": dict(config)})
        return found

    async def tag(self, source: str, target: str) -> None:
        image_id, _ = await self.resolve(source)
        self.names[target] = image_id
        self.log.append(f"tag {source} {target}")

    async def remove(self, names: Sequence[str], force: bool) -> list[str]:
        lines = []
        for name in names:
            image_id = self.names.get(name)
            if image_id is None:
                raise ImageError(f"no such image: {name}")
            if image_id in self.in_use and not force:
                raise ImageError(f"conflict: {name} is used by a container")
            del self.names[name]
            lines.append(f"Untagged: {name}")
            if image_id not in self.names.values():
                lines.append(f"Deleted: {image_id}")
        self.log.append(f"rm {' '.join(names)}")
        return lines

    async def prune(self, all_images: bool) -> Pruned:
        named = set(self.names.values())
        gone = [i for i in self.configs if i not in self.in_use
                and (all_images or i not in named)]
        for name in [n for n, i in self.names.items() if i in gone]:
            del self.names[name]
        for image_id in gone:
            del self.configs[image_id]
        return Pruned(tuple(f"deleted: {i}" for i in gone), 100 * len(gone))

    @asynccontextmanager
    async def transfers(self, report: TransferReporter) -> AsyncIterator[FakeSession]:
        yield FakeSession(self, report)

    async def build(self, request: BuildRequest, report: BuildReporter,
                    pull: BasePuller | None = None) -> BuildResult:
        base = request.args.get("BASE", "busybox")
        if self._id(base) is None or request.pull:
            if pull is None:
                raise BuildError(f"service {request.label}: base image {base} is not here")
            await pull(base, None)
        report(BuildEvent(request.label, 1, 2, f"FROM {base}", "done", 0.1))
        report(BuildEvent(request.label, 2, 2, "RUN make", "done", 1.0))
        image_id = ""
        for tag in request.tags:
            image_id = self.add(tag, {"Labels": dict(request.labels)})
        self.log.append(f"build {request.label}")
        return BuildResult(image_id, image_id, request.tags, 0, 2)

    async def load(self, path: str | None) -> list[LoadedImage]:
        self.log.append(f"load {path}")
        return [LoadedImage(("loaded:1",), self.add("loaded:1"))]

    async def save(self, names: Sequence[str], path: str | None) -> None:
        for name in names:
            await self.resolve(name)
        self.log.append(f"save {' '.join(names)} {path}")

    async def import_rootfs(self, path: str, name: str | None, changes: Sequence[str],
                            message: str, platform: str | None) -> str:
        self.log.append(f"import {path}")
        return self.add(name or f"imported-{len(self.configs)}")

    async def commit(self, request: CommitRequest) -> str:
        self.log.append(f"commit {request.upper} {request.name}")
        return self.add(request.name or f"committed-{len(self.configs)}")

    async def bootstrap(self, name: str) -> str:
        return self.add(name)


class FakeSession:
    """A registry session over ``FakeImages.registry``, reporting as the real one."""

    def __init__(self, images: FakeImages, report: TransferReporter) -> None:
        self.images = images
        self.report = report

    async def pull(self, name: str, platform: str | None = None,
                   label: str | None = None) -> PulledImage:
        label = label or name
        self.report(Transfer(label, "Pulling"))
        await trio.sleep(0.1)
        if name not in self.images.registry:
            self.report(Transfer(label, "Error", done=True, error=True))
            raise ImageError(f"{name}: not found in the registry")
        self.report(Transfer(label, "Pull complete", "0123456789ab", 10, 10, done=True))
        image_id = self.images.add(name)
        self.images.log.append(f"pull {name}" + (f" {platform}" if platform else ""))
        self.report(Transfer(label, "Pulled", done=True))
        return PulledImage(name, image_id, "sha256:m" + image_id[8:])

    async def push(self, name: str, label: str | None = None) -> PushedImage:
        label = label or name
        self.report(Transfer(label, "Pushing"))
        await trio.sleep(0.1)
        if name in self.images.fail_push or name not in self.images.names:
            self.report(Transfer(label, "Error", done=True, error=True))
            raise ImageError(f"cannot push {name}: denied")
        self.images.log.append(f"push {name}")
        self.report(Transfer(label, "Pushed", done=True))
        return PushedImage("sha256:" + "d" * 64, 527)

    async def push_document(self, name: str, blobs: Sequence[bytes], manifest: bytes,
                            media_type: str) -> PushedImage:
        self.images.log.append(f"push document {name} ({len(blobs)} blobs)")
        return PushedImage("sha256:" + hashlib.sha256(manifest).hexdigest(), len(manifest))

    async def pin(self, name: str) -> str:
        return f"{name}@sha256:{'e' * 64}"


class RecordingOutput:
    """A ``Reporter`` keeping what the engine reports: lines, warnings, transfer
    and build events (``transfers``/``builds`` blocks open and closed in order)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.warnings: list[str] = []
        self.events: list[Any] = []
        self.blocks: list[str] = []

    def progress(self, event: Progress) -> None:
        self.events.append(event)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def text(self, message: str) -> None:
        self.lines.append(message)

    def raw(self, text: str) -> None:
        self.lines.append(text)

    def error(self, message: str) -> None:
        self.lines.append(message)

    @contextmanager
    def transfers(self, verb: str, quiet: bool) -> Iterator[TransferReporter]:
        self.blocks.append(f"{verb} quiet={quiet}")
        yield self.events.append
        self.blocks.append(f"end {verb}")

    @contextmanager
    def builds(self, quiet: bool) -> Iterator[RecordingOutput]:
        self.blocks.append(f"Building quiet={quiet}")
        yield self
        self.blocks.append("end Building")

    def start(self, label: str) -> None:
        self.events.append(f"start {label}")

    def report(self, event: BuildEvent) -> None:
        self.events.append(event)

    def finish(self, label: str, result: BuildResult) -> None:
        self.events.append(f"finish {label} {result.tags}")
