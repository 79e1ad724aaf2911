"""``pycompose volume ls|inspect|create|rm|prune``: the volumes of the state root,
docker style (they are not one project's: ``external`` volumes are shared)."""

from __future__ import annotations

import json
import secrets
import sys
import time

import trio

from common import state
from common.errors import UsageError
from common.records import ANONYMOUS_LABEL, VolumeRecord
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.cli.views.units import human_size
from compose.cli.views.volumelist import (
    inspect,
    json_line,
    parse_pairs,
    prunable,
    table,
    users,
)
from compose.engine.context import Context
from volumes import store
from volumes.local import LOCAL, DriverError, check_driver, check_name


async def ls(ctx: Context, quiet: bool, fmt: str) -> int:
    volumes = list((await trio.to_thread.run_sync(store.list_volumes, ctx.layout)).values())
    return show(ctx, volumes, quiet, fmt)


def show(ctx: Context, volumes: list[VolumeRecord], quiet: bool, fmt: str) -> int:
    """Names (``-q``), JSON lines or docker's table."""
    if quiet:
        for volume in volumes:
            ctx.output.text(volume.name)
    elif fmt == "json":
        for volume in volumes:
            ctx.output.raw(json_line(volume, str(store.data_dir(ctx.layout, volume.name)))
                           + "\n")
    else:
        ctx.output.text(table(volumes))
    return 0


async def project_volumes(ctx: Context, project: str, services: list[str], quiet: bool,
                          fmt: str) -> int:
    """``pycompose volumes``: the project's volumes (those its services' containers
    mount, when services are named)."""
    def run() -> list[VolumeRecord]:
        volumes = store.list_volumes(ctx.layout)
        if not services:
            return [v for v in volumes.values() if v.project == project]
        records = state.container_records(ctx.layout, project)
        wanted = {n for r in records if r.service in services for n in r.volumes.values()}
        return [v for name, v in volumes.items() if name in wanted]

    return show(ctx, await trio.to_thread.run_sync(run), quiet, fmt)


def _find(ctx: Context, name: str) -> VolumeRecord:
    try:
        volume = store.read(ctx.layout, name)
    except ValueError:
        volume = None
    if volume is None:
        raise UsageError(f"no such volume: {name}")
    return volume


async def inspect_volumes(ctx: Context, names: list[str]) -> int:
    def run() -> list[dict[str, object]]:
        return [inspect(v, str(store.data_dir(ctx.layout, v.name)))
                for v in (_find(ctx, n) for n in names)]

    ctx.output.raw(json.dumps(await trio.to_thread.run_sync(run), indent=4) + "\n")
    return 0


async def create(ctx: Context, name: str | None, driver: str, options: list[str],
                 labels: list[str]) -> int:
    extra = {} if name else {ANONYMOUS_LABEL: ""}  # docker marks a generated name so
    name = name or secrets.token_hex(32)
    try:
        check_name(name)
        opts = parse_pairs(options, "option")
        check_driver(driver, opts, f"volume {name}")
        wanted = VolumeRecord(name, LOCAL, {**parse_pairs(labels, "label"), **extra}, opts,
                              time.time())
    except (DriverError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    await trio.to_thread.run_sync(store.create, ctx.layout, wanted)
    ctx.output.text(name)
    return 0


async def rm(ctx: Context, names: list[str], force: bool) -> int:
    def run() -> tuple[list[str], list[str]]:
        used = users(state.container_records(ctx.layout))
        removed, errors = [], []
        for name in names:
            try:
                _find(ctx, name)
            except UsageError as exc:
                if not force:
                    errors.append(str(exc))
                continue
            if name in used:
                errors.append(f"remove {name}: volume is in use - [{', '.join(used[name])}]")
                continue
            store.remove(ctx.layout, name)
            removed.append(name)
        return removed, errors

    removed, errors = await trio.to_thread.run_sync(run)
    for name in removed:
        ctx.output.text(name)
    if errors:
        raise UsageError("; ".join(errors))
    return 0


async def prune(ctx: Context, all_volumes: bool, force: bool) -> int:
    if not force:
        kind = "local volumes" if all_volumes else "anonymous local volumes"
        ctx.output.err.print(f"WARNING! This will remove {kind} not used by at least one "
                             "container.\nAre you sure you want to continue? [y/N] ", end="")
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            return 0

    def run() -> tuple[list[str], int]:
        used = users(state.container_records(ctx.layout))
        chosen = prunable(store.list_volumes(ctx.layout), used, all_volumes=all_volumes)
        freed = 0
        for volume in chosen:
            freed += store.disk_usage(store.data_dir(ctx.layout, volume.name))
            store.remove(ctx.layout, volume.name)
        return [v.name for v in chosen], freed

    names, freed = await trio.to_thread.run_sync(run)
    if names:
        ctx.output.text("Deleted Volumes:")
        for name in names:
            ctx.output.text(name)
        ctx.output.text("")
    ctx.output.text(f"Total reclaimed space: {human_size(freed, 3)}")
    return 0


def register(verbs: Verbs) -> None:
    listing = verbs.add_parser("volumes", help="list the project's volumes")
    listing.add_argument("-q", "--quiet", action="store_true", help="only names")
    listing.add_argument("--format", choices=["table", "json"], default="table")
    listing.add_argument("services", nargs="*", metavar="SERVICE")
    listing.set_defaults(prepare=_prepare_project_volumes)
    volume = verbs.add_parser("volume", help="manage volumes")
    sub = volume.add_subparsers(dest="volume_verb", metavar="COMMAND", required=True)
    parser = sub.add_parser("ls", aliases=["list"], help="list volumes")
    parser.add_argument("-q", "--quiet", action="store_true", help="only names")
    parser.add_argument("--format", choices=["table", "json"], default="table")
    parser.set_defaults(prepare=lambda inv: lambda ctx: ls(ctx, inv.args.quiet,
                                                            inv.args.format))
    parser = sub.add_parser("inspect", help="show volumes in detail")
    parser.add_argument("names", nargs="+", metavar="VOLUME")
    parser.set_defaults(prepare=lambda inv: lambda ctx: inspect_volumes(ctx, inv.args.names))
    parser = sub.add_parser("create", help="create a volume")
    parser.add_argument("name", nargs="?", metavar="VOLUME")
    parser.add_argument("-d", "--driver", default=LOCAL)
    parser.add_argument("-o", "--opt", action="append", default=[], help="driver option")
    parser.add_argument("--label", action="append", default=[])
    parser.set_defaults(prepare=_prepare_create)
    parser = sub.add_parser("rm", aliases=["remove"], help="remove volumes")
    parser.add_argument("-f", "--force", action="store_true", help="no error if missing")
    parser.add_argument("names", nargs="+", metavar="VOLUME")
    parser.set_defaults(prepare=lambda inv: lambda ctx: rm(ctx, inv.args.names,
                                                            inv.args.force))
    parser = sub.add_parser("prune", help="remove unused volumes")
    parser.add_argument("-a", "--all", action="store_true",
                        help="all unused volumes, not only anonymous ones")
    parser.add_argument("-f", "--force", action="store_true", help="do not ask")
    parser.set_defaults(prepare=lambda inv: lambda ctx: prune(ctx, inv.args.all,
                                                               inv.args.force))


def _prepare_project_volumes(inv: Invocation) -> Prepared:
    args = inv.args
    name = inv.project_name()
    return lambda ctx: project_volumes(ctx, name, list(args.services), args.quiet, args.format)


def _prepare_create(inv: Invocation) -> Prepared:
    args = inv.args
    return lambda ctx: create(ctx, args.name, args.driver, args.opt, args.label)
