"""One filesystem step of a build: an overlay of the parent's layers under a
fresh upper directory, something done in it (a ``RUN`` under the OCI runtime, or
files copied in), then the upper directory committed as a layer.

``RUN`` is ``runc run`` of a one-off bundle, in the foreground, its output
streamed line by line; its network is a namespace of its own with only ``lo``
(``none``, and the default on this offline host) or the host's (``host``).
Mount points the runtime had to create in the root (``/proc``, ``/etc/hosts``...)
are removed again before the layer is taken, as BuildKit does.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import errno
import json
import os
import resource
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trio

from common.errors import BuildError, RuntimeFailure
from common.libc import libc
from common.paths import Layout
from runtime.build.layerdiff import is_empty, write_layer
from runtime.images.documents import MEDIA_LAYER_GZIP, Descriptor
from runtime.images.store import ImageStore, Layer
from runtime.oci import rootfs
from runtime.oci.runtime import Runtime
from runtime.ocispec.capabilities import container_capabilities
from runtime.ocispec.host import HostFacts, host_facts
from runtime.ocispec.resources import DEFAULT_NOFILE, DEFAULT_SHM, Rlimit
from runtime.ocispec.seccomp import to_oci
from runtime.ocispec.seccomp_default import DEFAULT_PROFILE
from runtime.ocispec.spec import ContainerSpec, build_spec
from runtime.ocispec.users import UnknownUser, read_in_root, resolve_in_root, resolve_user


@dataclass(frozen=True)
class RunMount:
    """A ``RUN --mount``, resolved to host paths."""

    target: str
    kind: str
    """``bind``, ``tmpfs``, or ``stage`` (``source`` inside ``layers``, mounted by the
    builder as a workspace of its own and then bound)."""
    source: str = ""
    readonly: bool = False
    layers: tuple[Layer, ...] = ()


@dataclass(frozen=True)
class RunStep:
    args: tuple[str, ...]
    env: tuple[str, ...]
    cwd: str
    user: str
    network: str
    """``none``, ``host`` or ``default``."""
    extra_hosts: tuple[tuple[str, str], ...] = ()
    shm_size: int | None = None
    mounts: tuple[RunMount, ...] = ()
    scripts: tuple[tuple[str, str], ...] = ()
    """Files made executable and mounted read-only (a here-document with a ``#!``
    line runs as ``/dev/pipes/<name>``, as BuildKit runs it)."""


@dataclass
class Committed:
    layer: Layer | None
    """None when the step changed no file."""


@dataclass
class Workspace:
    """The directory a step works in: ``upper``, ``work``, ``rootfs`` (merged)."""

    path: Path
    rootfs: Path = field(init=False)

    def __post_init__(self) -> None:
        self.rootfs = self.path / "rootfs"


def _mount_overlay(lower: Sequence[Path], upper: Path, work: Path, merged: Path) -> None:
    # The upper directory must hold whole files and directories to become a layer:
    # no redirects for renamed directories, no metadata-only copy-ups.
    options = (rootfs.overlay_options(list(lower), upper, work)
               + ",redirect_dir=off,metacopy=off,index=off").encode()
    if libc.mount(b"overlay", str(merged).encode(), b"overlay", 0, options) != 0:
        err = ctypes.get_errno()
        raise RuntimeFailure(f"cannot mount the build overlay at {merged}: {os.strerror(err)}")


@contextmanager
def workspace(layout: Layout, store: ImageStore, layers: Sequence[Layer]) -> Iterator[Workspace]:
    """A mounted overlay of ``layers``; unmounted and removed afterwards (the upper
    directory is kept only if ``commit`` moved it away)."""
    builds = layout.root / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    lower = [rootfs.ensure_layer(store, layout.layers, layer) for layer in layers]
    if not lower:
        empty = builds / "empty"
        empty.mkdir(exist_ok=True)
        lower = [empty]
    path = Path(tempfile.mkdtemp(prefix="step-", dir=builds))
    space = Workspace(path)
    try:
        for name in ("upper", "work", "rootfs"):
            (path / name).mkdir()
        os.chmod(path / "upper", 0o755)
        _mount_overlay(lower, path / "upper", path / "work", space.rootfs)
        try:
            yield space
        finally:
            rootfs.unmount_rootfs(path)
    finally:
        shutil.rmtree(path, ignore_errors=True)


@asynccontextmanager
async def mounted_workspace(layout: Layout, store: ImageStore,
                            layers: Sequence[Layer]) -> AsyncIterator[Workspace]:
    """``workspace`` from trio: mounted and removed in worker threads, removed even
    when the task is cancelled."""
    ctx = await trio.to_thread.run_sync(workspace, layout, store, layers)
    space = await trio.to_thread.run_sync(ctx.__enter__)
    try:
        yield space
    except BaseException as exc:
        with trio.CancelScope(shield=True):
            await trio.to_thread.run_sync(ctx.__exit__, type(exc), exc, exc.__traceback__)
        raise
    with trio.CancelScope(shield=True):
        await trio.to_thread.run_sync(ctx.__exit__, None, None, None)


def layers_of(descriptors: Sequence[tuple[dict[str, Any], str]]) -> list[Layer]:
    """A stage's layers (``StageState.layers``: descriptor JSON, diff_id) as the
    store's ``Layer`` values, to mount."""
    return [Layer(Descriptor(d["mediaType"], d["digest"], d["size"]), diff_id)
            for d, diff_id in descriptors]


def commit(layout: Layout, store: ImageStore, space: Workspace) -> Committed:
    """The upper directory as a layer blob in the store; the directory itself becomes
    the unpacked layer (``layers/<diff_id>``), so the next step needs no unpacking."""
    upper = space.path / "upper"
    if is_empty(upper):
        return Committed(None)
    fd, name = tempfile.mkstemp(prefix="layer-", dir=space.path)
    try:
        with os.fdopen(fd, "w+b") as handle:
            diff_id = write_layer(upper, handle, compresslevel=1)
            handle.seek(0)
            descriptor = store.put_stream(handle, MEDIA_LAYER_GZIP)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
    layout.layers.mkdir(parents=True, exist_ok=True)
    target = layout.layers / diff_id.removeprefix("sha256:")
    if not target.exists():
        try:
            os.rename(upper, target)
        except OSError as exc:
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
    return Committed(Layer(descriptor, diff_id))


# The mount points a RUN's bundle may make in its root.
_STUBS = ("/proc", "/sys", "/dev", "/etc/hosts", "/etc/resolv.conf", "/etc/hostname")


def _missing_stubs(root: Path, extra: Sequence[str]) -> list[tuple[str, str]]:
    """For each mount point not in the root yet: the first component of its path that
    is missing, and the mount point itself."""
    found = []
    for target in (*_STUBS, *extra):
        parts = [p for p in target.split("/") if p]
        for n in range(1, len(parts) + 1):
            candidate = "/" + "/".join(parts[:n])
            if not os.path.lexists(resolve_in_root(str(root), candidate)):
                found.append((candidate, "/" + "/".join(parts)))
                break
    return found


def _remove_stubs(root: Path, stubs: Sequence[tuple[str, str]]) -> None:
    """Remove what the runtime created for mount points: the empty file or directory
    it mounted over, then the empty directories it made above it (anything the
    step itself wrote there is kept)."""
    for first, target in sorted(set(stubs), key=lambda s: len(s[1]), reverse=True):
        path = root / target.lstrip("/")
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.is_symlink():
                path.rmdir()
            elif path.is_file() and not path.is_symlink() and path.stat().st_size == 0:
                path.unlink()
        while path != root / first.lstrip("/") and path.parent != root:
            path = path.parent
            try:
                path.rmdir()
            except OSError:
                break


def _hosts(extra: Sequence[tuple[str, str]]) -> str:
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    lines += [f"{address}\t{name}" for name, address in extra]
    return "\n".join(lines) + "\n"


def run_spec(step: RunStep, root: Path, files: Mapping[str, str],
             container_id: str, host: HostFacts | None = None) -> dict[str, Any]:
    """The OCI config for a RUN (the step's user is resolved from the image): Docker's
    default capabilities and seccomp filter, within what ``host`` allows."""
    try:
        user = resolve_user(step.user or None, read_in_root(str(root), "/etc/passwd"),
                            read_in_root(str(root), "/etc/group"))
    except UnknownUser as exc:
        raise BuildError(str(exc)) from None
    namespaces: list[tuple[str, str | None]] = [("pid", None), ("ipc", None), ("uts", None),
                                                ("mount", None)]
    if step.network != "host":
        namespaces.append(("network", None))
    mounts: list[dict[str, Any]] = []
    for mount in step.mounts:
        if mount.kind == "tmpfs":
            mounts.append({"destination": mount.target, "type": "tmpfs", "source": "tmpfs",
                           "options": ["nosuid", "nodev", "mode=1777"]})
        else:
            options = ["rbind", "rprivate", "ro" if mount.readonly else "rw"]
            mounts.append({"destination": mount.target, "type": "bind",
                           "source": mount.source, "options": options})
    security: dict[str, Any] = {}
    if host is not None:
        caps = container_capabilities((), (), privileged=False, bounding=host.bounding)
        security["capabilities"] = caps.granted
        security["seccomp"] = to_oci(DEFAULT_PROFILE, capabilities=caps.granted,
                                     arch=host.arch, kernel=host.kernel,
                                     absent=host.absent_arches)
    spec = ContainerSpec(
        **security,
        container_id=container_id, args=step.args, env=step.env, cwd=step.cwd,
        hostname="buildkitsandbox", rootfs=str(root), uid=user.uid, gid=user.gid,
        additional_gids=user.additional_gids, files=files,
        namespaces=tuple(namespaces), mounts=tuple(mounts),
        shm_size=step.shm_size or DEFAULT_SHM, rlimits=(_nofile(),),
    )
    return build_spec(spec)


async def run_step(layout: Layout, runtime: Runtime, space: Workspace, step: RunStep,
                   output: Callable[[str], None]) -> int:
    """Run the step's process in the workspace's root; returns its exit code."""
    container_id = f"pycompose-build-{secrets.token_hex(8)}"
    bundle = space.path
    files = {"/etc/hosts": str(bundle / "hosts"), "/etc/resolv.conf": str(bundle / "resolv")}
    (bundle / "hosts").write_text(_hosts(step.extra_hosts))
    (bundle / "resolv").write_text("nameserver 127.0.0.1\n" if step.network != "host"
                                   else _host_resolv())
    scripts = bundle / "scripts"
    scripts.mkdir(exist_ok=True)
    mounts = list(step.mounts)
    for number, (target, text) in enumerate(step.scripts):
        script = scripts / str(number)
        script.write_text(text)
        os.chmod(script, 0o755)
        mounts.append(RunMount(target, "bind", str(script), readonly=True))
    step = dataclasses.replace(step, mounts=tuple(mounts))
    stubs = _missing_stubs(space.rootfs, [m.target for m in step.mounts])
    facts = await trio.to_thread.run_sync(host_facts)
    config = run_spec(step, space.rootfs, files, container_id, facts)
    (bundle / "config.json").write_text(json.dumps(config))
    layout.runc_root.mkdir(parents=True, exist_ok=True)
    base = [runtime.path, "--root", str(layout.runc_root)]
    code = -1
    try:
        process = await trio.lowlevel.open_process(
            [*base, "run", "--bundle", str(bundle), container_id],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert process.stdout is not None
        pending = b""
        async with process.stdout:
            while chunk := await process.stdout.receive_some(65536):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    output(line.decode(errors="replace"))
        if pending:
            output(pending.decode(errors="replace"))
        code = await process.wait()
    finally:
        with trio.move_on_after(10, shield=True):
            if code < 0:
                await trio.run_process([*base, "kill", container_id, "KILL"], check=False,
                                       capture_stdout=True, capture_stderr=True)
            await trio.run_process([*base, "delete", "--force", container_id], check=False,
                                   capture_stdout=True, capture_stderr=True)
            await trio.to_thread.run_sync(_remove_stubs, space.rootfs, stubs)
    return code


def _nofile() -> Rlimit:
    """Docker's default open-file limit, within what this process may grant."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    value = DEFAULT_NOFILE if hard == resource.RLIM_INFINITY else min(DEFAULT_NOFILE, hard)
    return Rlimit("RLIMIT_NOFILE", value, value)


def _host_resolv() -> str:
    try:
        return Path("/etc/resolv.conf").read_text()
    except OSError:
        return ""
