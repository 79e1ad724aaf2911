"""``watch`` and ``up --watch``: the thin trio loop around ``planning/watchplan``.

Wait for a debounced batch of changes (``common/treewatch.py``), look at what
each changed path is now (a file, a directory, gone), let ``plan_batch`` decide,
then act through the paths the verbs already use: a rebuild is ``build`` then
``up``'s converge with the service recreated; a sync goes through the container
backend's safe copy; a restart is ``restart``'s; a hook runs as ``exec`` runs.
A failed action is reported and the loop goes on, as docker compose's does.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

import trio

from common import state
from common.errors import PycomposeError
from common.records import ContainerRecord, is_oneoff
from common.syncpaths import DIRECTORY, FILE, MISSING, SyncEntry
from common.treewatch import ADDED, open_tree_watch
from compose.engine.building import BuildOptions, build_services
from compose.engine.context import Context
from compose.engine.converge import UpOptions, converge
from compose.engine.startstop import restart
from compose.planning.plan import RECREATE_FORCE
from compose.planning.watchplan import WatchBatch, initial_files, plan_batch
from compose.planning.watchrules import (
    SYNCING,
    ExecHook,
    WatchSetup,
    build_context,
    ignore_files,
    watch_rules,
)
from compose.spec.model import Project

QUIET_MS = 30
"""How long no file may change before a batch is handled: short, so an edit shows
in the container within ~50 ms; an editor's or git's burst of writes still lands
in one batch."""


@dataclass(frozen=True)
class WatchOptions:
    services: tuple[str, ...] = ()
    prune: bool = False
    """Remove the image a rebuild replaced when nothing else uses it."""
    quiet: bool = False
    """No build output."""
    build: bool = True
    """False for ``--no-build``: rebuild rules are refused."""


Recreated = Callable[[Sequence[ContainerRecord]], Awaitable[None]]


async def prepare_watch(ctx: Context, project: Project, options: WatchOptions) -> WatchSetup:
    """The rules (a ``UsageError`` when none can act), before anything starts."""
    texts = await trio.to_thread.run_sync(_dockerignores, project, options.services)
    setup = watch_rules(project, options.services, texts, build=options.build)
    for warning in setup.warnings:
        ctx.output.warn(warning)
    return setup


def _dockerignores(project: Project, services: Sequence[str]) -> dict[str, str]:
    texts = {}
    for name in services or list(project.services):
        context = build_context(project, project.services[name])
        for candidate in ignore_files(*context) if context else ():
            try:
                with open(candidate, encoding="utf-8") as handle:
                    texts[name] = handle.read()
                break
            except (FileNotFoundError, NotADirectoryError):
                continue
    return texts


async def watch(ctx: Context, project: Project, setup: WatchSetup, options: WatchOptions,
                recreated: Recreated | None = None, *,
                task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
    """Watch until cancelled; ``started`` once edits are seen (after any initial
    sync); ``recreated`` hears of the containers a rebuild made."""
    async with open_tree_watch(setup.paths, quiet_ms=QUIET_MS) as trees:
        await _initial_sync(ctx, project, setup)
        ctx.output.text("Watch enabled")
        task_status.started()
        try:
            while True:
                changes = await trees.batch()
                kinds = await trio.to_thread.run_sync(_what_they_are, changes)
                batch = plan_batch(setup.rules, kinds)
                if not batch:
                    continue
                try:
                    await _act(ctx, project, batch, options, recreated)
                except PycomposeError as exc:
                    ctx.output.warn(f"Error handling changed files: {exc}")
        finally:
            ctx.output.text("Watch disabled")


def _kind(path: str) -> str:
    try:
        return DIRECTORY if stat.S_ISDIR(os.lstat(path).st_mode) else FILE
    except (FileNotFoundError, NotADirectoryError):
        return MISSING


def _what_they_are(changes: Mapping[str, set[str]]) -> dict[str, str]:
    """Each changed path as it is now; a directory that appeared brings what it
    holds (moved in whole, it makes one event)."""
    kinds = {}
    for path, how in changes.items():
        kinds[path] = kind = _kind(path)
        if kind == DIRECTORY and ADDED in how:
            kinds.update(_walk(path))
    return kinds


def _walk(top: str) -> dict[str, str]:
    found = {}
    for directory, dirs, files in os.walk(top):
        for name in dirs:
            found[os.path.join(directory, name)] = DIRECTORY
        for name in files:
            found[os.path.join(directory, name)] = FILE
    return found


async def _initial_sync(ctx: Context, project: Project, setup: WatchSetup) -> None:
    """``initial_sync``: everything under the rule's path copied in first."""
    for rule in setup.rules:
        if not (rule.initial_sync and rule.action in SYNCING):
            continue
        context = build_context(project, project.services[rule.service])
        tree = await trio.to_thread.run_sync(_walk, rule.path)
        files = initial_files(rule, tree.items(), context[1] if context else None)
        batch = plan_batch([rule], files)
        for entries in batch.sync.values():
            await _sync(ctx, project, rule.service, entries)


async def _act(ctx: Context, project: Project, batch: WatchBatch, options: WatchOptions,
               recreated: Recreated | None) -> None:
    """Rebuilds, then syncs, then restarts, then hooks (docker compose's order)."""
    if batch.rebuild:
        made = await _rebuild(ctx, project, batch.rebuild, options)
        if recreated is not None:
            await recreated(made)
    for name, entries in batch.sync.items():
        ctx.output.text(f'Syncing service "{name}" after {len(entries)} changes were '
                        "detected")
        await _sync(ctx, project, name, entries)
    if batch.restart:
        await restart(ctx, project.name, list(batch.restart), None, no_deps=False)
        ctx.output.text(f"service(s) {list(batch.restart)} restarted")
    async with trio.open_nursery() as nursery:
        for name, hook in batch.exec:
            for record in await _records(ctx, project, name):
                nursery.start_soon(_exec, ctx, record, hook)


async def _records(ctx: Context, project: Project, service: str) -> list[ContainerRecord]:
    records = await trio.to_thread.run_sync(state.container_records, ctx.layout, project.name)
    return [r for r in records if r.service == service and not is_oneoff(r)]


async def _sync(ctx: Context, project: Project, service: str,
                entries: Sequence[SyncEntry]) -> None:
    for record in await _records(ctx, project, service):
        await ctx.containers.sync(record, entries)


async def _exec(ctx: Context, record: ContainerRecord, hook: ExecHook) -> None:
    code = await ctx.containers.exec(record, hook.command, user=hook.user,
                                     env=dict(hook.environment), cwd=hook.working_dir)
    if code:
        ctx.output.warn(f"{record.name}: {' '.join(hook.command)} exited with code {code}")


async def _rebuild(ctx: Context, project: Project, names: Sequence[str],
                   options: WatchOptions) -> list[ContainerRecord]:
    """``build`` the services, then ``up``'s converge recreating only them."""
    ctx.output.text(f"Rebuilding service(s) {list(names)} after changes were detected...")
    before = {n: await _image_id(ctx, project.services[n].image) for n in names}
    await build_services(ctx, project, names, BuildOptions(quiet=options.quiet))
    ctx.output.text(f"service(s) {list(names)} successfully built")
    records = await converge(
        ctx, project.with_selected_services(names),
        UpOptions(detach=True, services=tuple(names), recreate=RECREATE_FORCE, no_deps=True,
                  build=False),
        known_services=list(project.services))
    if options.prune:
        for name, old in before.items():
            if old and old != await _image_id(ctx, project.services[name].image):
                with contextlib.suppress(PycomposeError):  # still used elsewhere
                    await ctx.images.remove([old], force=False)
    return records


async def _image_id(ctx: Context, reference: str) -> str | None:
    try:
        return (await ctx.images.resolve(reference))[0]
    except PycomposeError:
        return None
