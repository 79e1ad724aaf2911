"""A service container's filesystem out of it: ``export`` (its root as a tar) and
``commit`` (its writable layer as a new image in the store).  Both act on a
running container, as Docker Compose's do: the lowest-numbered one, or the
``--index`` given."""

from __future__ import annotations

import contextlib
import os
import shlex
import tempfile
from collections.abc import Mapping, Sequence
from typing import IO, Any

import trio

from common.errors import UsageError
from common.images import CommitRequest
from common.records import ContainerRecord, is_oneoff
from compose.engine.context import Context
from compose.engine.events import Progress
from compose.engine.targets import project_records


async def running_container(ctx: Context, project: str, service: str,
                            index: int | None) -> ContainerRecord:
    """The service's running container numbered ``index`` (its first when None);
    docker compose's errors otherwise."""
    records = [r for r in await project_records(ctx.layout, project, [service])
               if not is_oneoff(r)]
    running = [r for r in records if (await ctx.containers.status(r)).running]
    if index is not None:
        running = [r for r in running if r.number == index]
        if not running:
            raise UsageError(f'service "{service}" is not running container #{index}')
    if not running:
        raise UsageError(f'service "{service}" is not running')
    return min(running, key=lambda r: r.number)


async def export(ctx: Context, record: ContainerRecord, path: str | None,
                 stdout: IO[bytes] | None) -> None:
    """To ``path`` (written whole or not at all, mode 0600, as docker's), else to
    ``stdout``."""
    ctx.output.progress(Progress("Container", record.name, "Exporting"))
    if path is None:
        assert stdout is not None
        await ctx.containers.export(record, stdout)
        await trio.to_thread.run_sync(stdout.flush)
    else:
        await _export_to_file(ctx, record, path)
    ctx.output.progress(Progress("Container", record.name, "Exported", done=True))


async def _export_to_file(ctx: Context, record: ContainerRecord, path: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            await ctx.containers.export(record, handle)
            await trio.to_thread.run_sync(handle.flush)
            await trio.to_thread.run_sync(os.fsync, handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


async def commit(ctx: Context, record: ContainerRecord, name: str | None, *,
                 changes: Sequence[str] = (), message: str = "", author: str = "",
                 pause: bool = True, container_config: Mapping[str, Any] | None = None,
                 ) -> str:
    """The container's writable layer as an image (the container paused meanwhile
    unless ``pause`` is false, so the layer is one moment of it); its ID."""
    ctx.output.progress(Progress("Container", record.name, "Committing"))
    request = CommitRequest(
        upper=ctx.containers.writable_layer(record), base=record.image_id, name=name,
        changes=tuple(changes), message=message, author=author,
        container_config=container_config,
        created_by=shlex.join(ctx.containers.spec(record).get("process", {}).get("args")
                              or record.command))
    paused = pause and not await ctx.containers.paused(record)
    if paused:
        await ctx.containers.pause(record)
    try:
        image_id = await ctx.images.commit(request)
    finally:
        if paused:
            with trio.move_on_after(10, shield=True):
                await ctx.containers.unpause(record)
    ctx.output.progress(Progress("Container", record.name, f"Committed as {image_id}",
                                 done=True))
    return image_id
