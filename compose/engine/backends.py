"""The seams between pycompose and this host: everything the engine, the supervisor
and the verbs need from the container runtime, the network layer, the volume
store, the image store and the supervisor processes, as Protocols.

``runtime/``, ``network/`` and ``volumes/`` implement them (``compose/wiring.py``
puts the real ones together); ``tests/fakes.py`` implements them in memory.  The
values crossing these seams live in ``common/`` (records, statuses, log lines,
progress), so neither side imports the other.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from ipaddress import IPv4Network, IPv6Network
from typing import IO, Any, Protocol

import trio

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
from common.progress import BuildReporter, TransferReporter
from common.records import ContainerRecord, NetworkRecord, VolumeRecord
from common.status import AttachEnd, ContainerStatus, LogLine, LogPosition, Probe, Usage
from common.syncpaths import SyncEntry
from compose.engine.snapshot import Snapshot
from compose.spec.model import Hook, Service


class LogStream(Protocol):
    """A container's log file being read from an offset: what ``follow`` pumps."""

    def read(self) -> list[LogLine]:
        """Lines completed since the last read."""

    def flush(self) -> list[LogLine]:
        """Unfinished lines too (the container has exited)."""

    @property
    def position(self) -> LogPosition: ...

    async def changed(self) -> None:
        """Wait until the file may hold more (inotify: no polling)."""


class ContainerBackend(Protocol):
    async def create(self, record: ContainerRecord, service: Service, hosts: str,
                     files: Mapping[str, bytes] | None = None) -> None:
        """Prepare the container (root filesystem, config, files) without running it;
        ``files`` (by name) are written into its directory with its bundle, before
        the record that says it is complete."""

    async def check(self, service: Service, image_config: Mapping[str, Any]) -> None:
        """Refuse, before anything is created, a service whose process cannot be
        made from its entrypoint, command and image (``UsageError``)."""

    async def write_hosts(self, record: ContainerRecord, hosts: str) -> None: ...

    async def start(self, record: ContainerRecord, *, stdin: bool | None = None,
                    staged: bool = False,
                    ready: Callable[[], Awaitable[None]] | None = None) -> None:
        """Run the container's process under conmon (again, if it ran before);
        ``staged``: start what ``stage`` prepared as it is; ``ready``: awaited once
        the container is created, before its process runs (its DNS server, asked
        for meanwhile)."""

    async def release(self, record: ContainerRecord) -> None:
        """Let go of an exited container's runtime state (its files, root filesystem
        and namespace stay): a restart's first step, done while it backs off."""

    async def stage(self, record: ContainerRecord) -> None:
        """Everything of a start but running the container's process: a restart's
        second step, done at the end of its back-off (then ``start(staged=True)``)."""

    async def unstage(self, record: ContainerRecord) -> None:
        """Undo ``stage`` (the restart was called off): the container is as its
        last run left it.  Meanwhile its status is that run's exit, and ``stop``
        unstages it."""

    async def run_attached(self, record: ContainerRecord, *, tty: bool, interactive: bool,
                           ready: Callable[[], Awaitable[None]] | None = None) -> int | None:
        """Start the container with our stdio on its terminal (signals forwarded
        when there is no terminal); its exit code once it has ended.  ``ready``: as
        for ``start``."""

    async def attach(self, record: ContainerRecord, *, stdin: bool, detach_keys: bytes,
                     sig_proxy: bool) -> AttachEnd:
        """Join the running container's stdio (our stdin too, if ``stdin`` and its own
        is open) until it exits, the user types ``detach_keys`` (it keeps running)
        or, unless ``sig_proxy`` forwards them, a SIGINT or SIGTERM comes."""

    async def stop(self, record: ContainerRecord, timeout: float | None = None) -> None:
        """Stop signal, then SIGKILL after the grace period; returns once it has exited."""

    async def kill(self, record: ContainerRecord, signal: str | int = "KILL") -> bool:
        """Send a signal to the container's process; False when it was not running."""

    async def pause(self, record: ContainerRecord) -> None: ...

    async def unpause(self, record: ContainerRecord) -> None: ...

    async def paused(self, record: ContainerRecord) -> bool: ...

    async def remove(self, record: ContainerRecord, *,
                     forget_after: Callable[[], Awaitable[object]] | None = None) -> None:
        """Delete the container, its writable layer and its files; its directory
        (its record) last, once ``forget_after()`` has returned: what must go
        before the record (its links) is done meanwhile."""

    async def status(self, record: ContainerRecord) -> ContainerStatus: ...

    async def wait(self, record: ContainerRecord) -> int | None:
        """Wait until the container has exited; its exit code."""

    def is_running(self, record: ContainerRecord) -> bool:
        """Whether the container's process runs now (cheap, synchronous)."""

    async def wait_running(self, record: ContainerRecord) -> None:
        """Wait until the container's process runs (a start, or a restart by its
        supervisor), or the container is gone."""

    def oom_killed(self, record: ContainerRecord) -> bool:
        """Whether the kernel's OOM killer ended a process of the container."""

    def spec(self, record: ContainerRecord) -> Mapping[str, Any]:
        """The OCI runtime spec it was created with ({} once gone): what it really
        runs, as whom, with which environment and mounts."""

    async def exec(self, record: ContainerRecord, args: Sequence[str], *,
                   user: str | None = None, env: Mapping[str, str] | None = None,
                   cwd: str | None = None, tty: bool = False, detach: bool = False) -> int:
        """Run ``args`` in the running container with our stdio; its exit status."""

    async def probe(self, record: ContainerRecord, command: Sequence[str],
                    timeout: float) -> Probe:
        """Run a health check's command in the container."""

    async def run_hook(self, record: ContainerRecord, hook: Hook) -> int:
        """Run a ``post_start``/``pre_stop`` hook in the running container, its
        output added to the container's log as it comes; its exit status."""

    async def processes(self, record: ContainerRecord) -> list[int]:
        """Host pids of the container's processes."""

    async def stats(self, record: ContainerRecord) -> Usage:
        """What the container has used so far (CPU, memory, I/O, network)."""

    async def top(self, record: ContainerRecord) -> list[list[str]]:
        """The container's processes as ``ps -ef``'s rows."""

    async def copy(self, record: ContainerRecord, source: str, destination: str, *,
                   into: bool, archive: bool, follow: bool) -> None:
        """``cp``: ``into`` the container from the host, or out of it."""

    async def export(self, record: ContainerRecord, output: IO[bytes]) -> None:
        """``export``: the container's root filesystem (its image and its changes,
        not its volumes) as a tar stream written to ``output``."""

    def writable_layer(self, record: ContainerRecord) -> str:
        """The directory holding what the container changed (its overlay upper
        directory, overlayfs whiteouts for deletions): what ``commit`` stores."""

    async def sync(self, record: ContainerRecord, entries: Sequence[SyncEntry]) -> None:
        """``watch``: make each entry's path in the container the same as on the
        host (copied, made, or deleted), never following the container's links out."""

    def log_history(self, record: ContainerRecord) -> tuple[list[LogLine], LogPosition]:
        """Every line the container's log files hold (the kept ones first) and where
        following goes on (synchronous)."""

    def open_log(self, record: ContainerRecord, position: LogPosition | None = None,
                 ) -> AbstractContextManager[LogStream | None]:
        """The container's log from ``position`` (the current file's start when
        None), across rotations; None if it has none yet."""

    async def keep_rotated_logs(self, record: ContainerRecord, files: int,
                                on_rotated: Callable[[], None]) -> None:
        """Keep up to ``files`` log files (the current one too) as conmon replaces
        them past its size cap, until cancelled (the supervisor runs it)."""

    def warn_to(self, warn: Callable[[str], None]) -> None:
        """Where warnings about containers go (a capability the host lacks...)."""


class NetworkBackend(Protocol):
    async def create_network(self, network: NetworkRecord) -> None: ...

    async def remove_network(self, network: NetworkRecord) -> None: ...

    async def connect(self, record: ContainerRecord, *,
                      task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Give the container its namespace and an interface on each of its networks
        (idempotent).  Started (``nursery.start``) once the namespace and the
        container's files the runtime mounts exist: the runtime may create the
        container meanwhile; it starts it once this has returned."""

    async def disconnect(self, record: ContainerRecord, bridges: Sequence[str] = (), *,
                         links_with_namespace: bool = False) -> None:
        """Remove its interfaces and namespace, and ``bridges`` along (networks
        leaving with it: one batch of link deletions).  ``links_with_namespace``:
        its interfaces may go with its namespace, once nothing holds that any more,
        rather than before this returns (a container whose namespace is let go
        right after, and whose address nobody takes meanwhile)."""

    async def reserve_ports(self, records: Sequence[ContainerRecord],
                            leaving: Collection[str]) -> list[ContainerRecord]:
        """``records`` with their published host ports checked free and random ones
        chosen (a clear error when one is taken); ``leaving`` are ids of containers
        about to be removed, whose ports are free."""

    async def routed_networks(self) -> list[IPv4Network | IPv6Network]:
        """Subnets already routed on this host, which new networks must avoid."""

    async def link_names(self) -> set[str]:
        """Names of the network interfaces on this host."""

    def namespace(self) -> str:
        """The network namespace bridges are made in (this command's); a network's
        record keeps it."""

    async def elsewhere(self, network: NetworkRecord) -> str | None:
        """Where ``network`` lives (a path to its namespace) when it was made in a
        network namespace other than this command's that still exists; None when
        it is here, or its namespace has ended (its bridge with it)."""


class VolumeBackend(Protocol):
    async def create_volume(self, volume: VolumeRecord) -> None:
        """Make the volume (its record, then its empty data directory) unless it
        exists; a bad name, driver or option is a ``UsageError``."""

    async def remove_volume(self, volume: VolumeRecord) -> None:
        """Delete the volume and its data."""

    async def volumes(self) -> dict[str, VolumeRecord]:
        """Every volume of the state root, by name."""

    def data_dir(self, name: str) -> str:
        """Where the volume's data is on the host."""

    async def disk_usage(self, name: str) -> int:
        """Bytes the volume's data takes."""


class ImageTransfers(Protocol):
    """One command's registry session (``ImageBackend.transfers``): a connection
    and token per registry shared by every image, each blob moved once."""

    async def pull(self, name: str, platform: str | None = None,
                   label: str | None = None) -> PulledImage:
        """Fetch ``name`` for ``platform`` (``os/arch[/variant]``, the host's by
        default) and tag it; progress lines are headed ``label``."""

    async def push(self, name: str, label: str | None = None) -> PushedImage:
        """Push the image ``name`` names to the registry its name says."""

    async def push_document(self, name: str, blobs: Sequence[bytes], manifest: bytes,
                            media_type: str) -> PushedImage:
        """Push ``blobs``, then ``manifest`` naming them, under the tag ``name``
        says: an artifact kept nowhere in the store (``publish``).  A registry that
        refuses it raises ``ImageError`` (``RegistryRefused`` carries the status)."""

    async def pin(self, name: str) -> str:
        """``name`` in full, with the digest its registry has for it now."""


class ImageBackend(Protocol):
    """The image store, registries, archives and builds."""

    def config(self, image_id: str) -> Mapping[str, Any]:
        """The ``config`` section of an image (health check, stop signal, volumes);
        empty when the image is gone (synchronous)."""

    async def resolve(self, reference: str) -> tuple[str, Mapping[str, Any]]:
        """The image a reference names in the store: its id and ``config`` section
        (``ImageError`` when it is not there)."""

    async def remove(self, names: Sequence[str], force: bool) -> list[str]:
        """``image rm``: untag or delete images; docker's ``Untagged:``/``Deleted:``
        lines."""

    async def find(self, reference: str) -> LocalImage | None:
        """The store's entry for a reference or image ID, None when absent
        (``ImageError`` when the reference is malformed): pull policies ask."""

    async def rows(self, wanted: str | None = None) -> list[ImageRow]:
        """``images``: a row per name (and per dangling image), unsorted; only
        ``wanted``'s repository (and tag, if it names one) when given."""

    async def inspect(self, names: Sequence[str]) -> list[dict[str, Any]]:
        """``image inspect``: docker's document per image, plus its manifest."""

    async def tag(self, source: str, target: str) -> None:
        """Give the image ``source`` names the name ``target`` too."""

    async def prune(self, all_images: bool) -> Pruned:
        """Remove the dangling images (every image with ``all_images``) that no
        container uses."""

    def transfers(self, report: TransferReporter) -> AbstractAsyncContextManager[ImageTransfers]:
        """A registry session for pulls and pushes, reporting their progress."""

    async def build(self, request: BuildRequest, report: BuildReporter,
                    pull: BasePuller | None = None) -> BuildResult:
        """Build and tag an image from a Dockerfile; base images the store lacks
        are fetched through ``pull`` (none: the build fails)."""

    async def load(self, path: str | None) -> list[LoadedImage]:
        """Images from a ``docker save`` or OCI archive (None: our stdin)."""

    async def save(self, names: Sequence[str], path: str | None) -> None:
        """Images to one archive at ``path`` (None: our stdout)."""

    async def import_rootfs(self, path: str, name: str | None, changes: Sequence[str],
                            message: str, platform: str | None) -> str:
        """An image from a root filesystem tarball (``-``: our stdin); its ID."""

    async def commit(self, request: CommitRequest) -> str:
        """An image of a container's writable layer on top of its image; its ID."""

    async def bootstrap(self, name: str) -> str:
        """A busybox image made from the host's static busybox, offline; its
        manifest digest."""


class Supervisors(Protocol):
    """The projects' supervisor processes, as the verbs start, adopt and end them."""

    async def ensure(self, project: str) -> None:
        """A supervisor watching every container of the project (started if none
        runs, asked to rescan if one does)."""

    async def adopt(self, project: str) -> None:
        """Start a supervisor for a project whose containers run without one."""

    async def rescan(self, project: str) -> None:
        """Tell the project's supervisor, if one runs, to look again (a container was
        removed: it stops serving it); none is started, nor its answer waited for
        (3-5 ms at the end of each ``run --rm``, for what changes nothing of its
        result)."""

    async def stop(self, project: str) -> None: ...

    async def dns_ready(self, record: ContainerRecord) -> bool:
        """The container's embedded DNS server answers (True when it has none)."""

    async def snapshot(self, project: str, since: int | None = None,
                       wait: float = 0.0) -> Snapshot | None:
        """What the project's supervisor knows of its containers (None when no
        supervisor runs); with ``since``, answered once its generation moves past
        it or ``wait`` seconds have gone by."""
