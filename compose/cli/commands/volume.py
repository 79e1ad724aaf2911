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
from compose.cli.views.gotemplate import FORMAT_HELP, is_template, render
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

LOCAL = "local"


async def ls(ctx: Context, quiet: bool, fmt: str) -> int:
    return show(ctx, list((await ctx.volumes.volumes()).values()), quiet, fmt)


def show(ctx: Context, volumes: list[VolumeRecord], quiet: bool, fmt: str) -> int:
    """Names (``-q``), JSON lines or docker's table."""
    if quiet:
        for volume in volumes:
            ctx.output.text(volume.name)
    elif is_template(fmt):
        rows = [json.loads(json_line(v, ctx.volumes.data_dir(v.name))) for v in volumes]
        ctx.output.text(render(fmt, rows, {"Name": "VOLUME NAME"}))
    elif fmt == "json":
        for volume in volumes:
            ctx.output.raw(json_line(volume, ctx.volumes.data_dir(volume.name)) + "\n")
    else:
        ctx.output.text(table(volumes))
    return 0


async def _find(ctx: Context, names: list[str]) -> list[VolumeRecord]:
    volumes = await ctx.volumes.volumes()
    for name in names:
        if name not in volumes:
            raise UsageError(f"no such volume: {name}")
    return [volumes[name] for name in names]


async def inspect_volumes(ctx: Context, names: list[str]) -> int:
    found = [inspect(v, ctx.volumes.data_dir(v.name)) for v in await _find(ctx, names)]
    ctx.output.raw(json.dumps(found, indent=4) + "\n")
    return 0


async def create(ctx: Context, name: str | None, driver: str, options: list[str],
                 labels: list[str]) -> int:
    extra = {} if name else {ANONYMOUS_LABEL: ""}  # docker marks a generated name so
    name = name or secrets.token_hex(32)
    try:
        wanted = VolumeRecord(name, driver, {**parse_pairs(labels, "label"), **extra},
                              parse_pairs(options, "option"), time.time())
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    await ctx.volumes.create_volume(wanted)
    ctx.output.text(name)
    return 0


async def rm(ctx: Context, names: list[str], force: bool) -> int:
    volumes = await ctx.volumes.volumes()
    used = users(await trio.to_thread.run_sync(state.container_records, ctx.layout))
    removed, errors = [], []
    for name in names:
        if name not in volumes:
            if not force:
                errors.append(f"no such volume: {name}")
            continue
        if name in used:
            errors.append(f"remove {name}: volume is in use - [{', '.join(used[name])}]")
            continue
        await ctx.volumes.remove_volume(volumes[name])
        removed.append(name)
    for name in removed:
        ctx.output.text(name)
    if errors:
        raise UsageError("; ".join(errors))
    return 0


async def prune(ctx: Context, all_volumes: bool) -> int:
    used = users(await trio.to_thread.run_sync(state.container_records, ctx.layout))
    chosen = prunable(await ctx.volumes.volumes(), used, all_volumes=all_volumes)
    freed = 0
    for volume in chosen:
        freed += await ctx.volumes.disk_usage(volume.name)
        await ctx.volumes.remove_volume(volume)
    if chosen:
        ctx.output.text("Deleted Volumes:")
        for volume in chosen:
            ctx.output.text(volume.name)
        ctx.output.text("")
    ctx.output.text(f"Total reclaimed space: {human_size(freed, 3)}")
    return 0


def register(verbs: Verbs) -> None:
    volume = verbs.add_parser("volume", help="manage volumes")
    sub = volume.add_subparsers(dest="volume_verb", metavar="COMMAND", required=True)
    parser = sub.add_parser("ls", aliases=["list"], help="list volumes")
    parser.add_argument("-q", "--quiet", action="store_true", help="only names")
    parser.add_argument("--format", default="table", help=FORMAT_HELP)
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
    parser.set_defaults(prepare=_prepare_prune)



def _prepare_create(inv: Invocation) -> Prepared:
    args = inv.args
    return lambda ctx: create(ctx, args.name, args.driver, args.opt, args.label)


def _prepare_prune(inv: Invocation) -> Prepared:
    """Ask first, as docker does, unless ``-f``."""
    args = inv.args
    if not args.force:
        kind = "local volumes" if args.all else "anonymous local volumes"
        inv.output.err.print(f"WARNING! This will remove {kind} not used by at least one "
                             "container.\nAre you sure you want to continue? [y/N] ", end="")
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            return 0
    return lambda ctx: prune(ctx, args.all)
