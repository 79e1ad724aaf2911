"""``pycompose image ls|rm|prune|inspect|tag|pull|push``: the local store, docker style.

These join the ``image`` command that ``commands/image.py`` registers (its
``bootstrap``), found through argparse, so both modules stay independent.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import trio

from common import state
from common.errors import ImageError, UsageError
from compose.cli.commands.images import add_list_arguments, images
from compose.cli.commands.push import push_images
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.cli.views.units import human_size
from compose.planning.imageremoval import Named, Removal, plan_prune, plan_rm
from compose.wiring import WiredContext as Context
from runtime.images.catalog import inspect
from runtime.images.documents import parse_platform
from runtime.images.reference import InvalidReference, parse_reference
from runtime.images.store import Entry, ImageStore


def _named(store: ImageStore) -> list[Named]:
    found = []
    for entry in store.entries():
        familiar = parse_reference(entry.name).familiar if entry.name else None
        found.append(Named(entry.name, familiar, entry.manifest.digest,
                           store.config_digest(entry)))
    return found


def _in_use(ctx: Context) -> dict[str, str]:
    return {r.image_id: r.name for r in state.container_records(ctx.layout)}


def _apply(ctx: Context, removal: Removal) -> int:
    """Carry out a removal under the store's exclusive lock; returns bytes freed."""
    store = ctx.store
    with store.lock(exclusive=True):
        entries = {e.manifest.digest: e for e in store.entries()}
        for name in removal.untag:
            store.untag(name)
        for digest in removal.keep_dangling:
            store.add_dangling(entries[digest].manifest)
        store.forget(set(removal.forget))
        return store.collect_garbage(ctx.layout.layers)


def remove_names(ctx: Context, names: list[str], force: bool) -> list[str]:
    store = ctx.store
    entries = _named(store)
    requests = []
    for text in names:
        entry = store.find(text)
        if entry is None:
            raise ImageError(f"no such image: {text}")
        image_id = store.config_digest(entry)
        by_id = not _is_reference(text, entry)
        named = Named(entry.name, parse_reference(entry.name).familiar if entry.name else None,
                      entry.manifest.digest, image_id)
        requests.append((text, named, by_id))
    removal = plan_rm(requests, entries, _in_use(ctx), force=force)
    _apply(ctx, removal)
    return removal.lines


def _is_reference(text: str, entry: Entry) -> bool:
    try:
        return entry.name == str(parse_reference(text))
    except InvalidReference:
        return False


async def rm(ctx: Context, names: list[str], force: bool) -> int:
    for line in await trio.to_thread.run_sync(remove_names, ctx, names, force):
        ctx.output.text(line)
    return 0


async def prune(ctx: Context, all_images: bool) -> int:
    def run() -> tuple[list[str], int]:
        removal = plan_prune(_named(ctx.store), _in_use(ctx), all_images=all_images)
        return removal.lines, _apply(ctx, removal)

    lines, freed = await trio.to_thread.run_sync(run)
    if lines:
        ctx.output.text("Deleted Images:")
        for line in lines:
            ctx.output.text(line)
        ctx.output.text("")
    ctx.output.text(f"Total reclaimed space: {human_size(freed, 3)}")
    return 0


async def inspect_images(ctx: Context, names: list[str]) -> int:
    def run() -> list[dict[str, Any]]:
        found = []
        for name in names:
            entry = ctx.store.find(name)
            if entry is None:
                raise ImageError(f"no such image: {name}")
            found.append(inspect(ctx.store, entry))
        return found

    ctx.output.raw(json.dumps(await trio.to_thread.run_sync(run), indent=4) + "\n")
    return 0


async def tag(ctx: Context, source: str, target: str) -> int:
    def run() -> None:
        entry = ctx.store.find(source)
        if entry is None:
            raise ImageError(f"no such image: {source}")
        try:
            reference = parse_reference(target)
        except InvalidReference as exc:
            raise UsageError(str(exc)) from None
        if reference.digest:
            raise UsageError(f"cannot tag {target}: a tag names no digest")
        ctx.store.tag(reference, entry.manifest, source_digest=entry.source_digest)

    await trio.to_thread.run_sync(run)
    return 0


async def pull_one(ctx: Context, name: str, platform: str | None, quiet: bool) -> int:
    from compose.cli.views.transferview import (
        TransferView,  # httpx and rich.live: only when pulling
    )
    from runtime.distribution.transfers import open_transfers

    with TransferView(ctx.output.err, "Pulling", quiet=quiet) as view:
        async with open_transfers(ctx.store, ctx.environ, view) as transfers:
            image = await transfers.pull(name, parse_platform(platform) if platform else None)
    ctx.output.text(f"{image.reference.familiar}: {image.manifest_digest}")
    return 0


async def push_one(ctx: Context, name: str, quiet: bool) -> int:
    for line in await push_images(ctx, [(name, name)], quiet=quiet):
        ctx.output.text(line)
    return 0


def _image_verbs(verbs: Verbs) -> Any:
    """The sub-command action of the ``image`` parser that ``commands/image.py`` made."""
    parser = verbs.choices.get("image")
    if parser is None:
        parser = verbs.add_parser("image", help="manage images")
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest="image_verb", metavar="COMMAND", required=True)


def register(verbs: Verbs) -> None:
    image = _image_verbs(verbs)
    ls = image.add_parser("ls", help="list images (as pycompose images)")
    add_list_arguments(ls)
    ls.set_defaults(prepare=lambda inv: lambda ctx: images(
        ctx, wanted=inv.args.wanted, fmt=inv.args.format, quiet=inv.args.quiet,
        digests=inv.args.digests))

    remove = image.add_parser("rm", help="remove images (names, or IDs)")
    remove.add_argument("-f", "--force", action="store_true",
                        help="remove an ID with several names; untag an image in use")
    remove.add_argument("names", nargs="+", metavar="IMAGE")
    remove.set_defaults(prepare=_prepare(lambda ctx, a: rm(ctx, a.names, a.force)))

    cleanup = image.add_parser("prune", help="remove dangling images no container uses")
    cleanup.add_argument("-a", "--all", action="store_true",
                         help="remove every image no container uses")
    cleanup.add_argument("-f", "--force", action="store_true", help="accepted: never prompts")
    cleanup.set_defaults(prepare=_prepare(lambda ctx, a: prune(ctx, a.all)))

    details = image.add_parser("inspect", help="show images' config, layers and sizes")
    details.add_argument("names", nargs="+", metavar="IMAGE")
    details.set_defaults(prepare=_prepare(lambda ctx, a: inspect_images(ctx, a.names)))

    name = image.add_parser("tag", help="give an image another name")
    name.add_argument("source", metavar="SOURCE_IMAGE")
    name.add_argument("target", metavar="TARGET_IMAGE")
    name.set_defaults(prepare=_prepare(lambda ctx, a: tag(ctx, a.source, a.target)))

    fetch = image.add_parser("pull", help="pull one image from its registry")
    fetch.add_argument("--platform", help="os/arch[/variant] (default: this host's)")
    fetch.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    fetch.add_argument("name", metavar="NAME[:TAG|@DIGEST]")
    fetch.set_defaults(prepare=_prepare(
        lambda ctx, a: pull_one(ctx, a.name, a.platform, a.quiet)))

    send = image.add_parser("push", help="push one image to its registry")
    send.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    send.add_argument("name", metavar="NAME[:TAG]")
    send.set_defaults(prepare=_prepare(lambda ctx, a: push_one(ctx, a.name, a.quiet)))


def _prepare(run: Any) -> Any:
    def prepare(inv: Invocation) -> Prepared:
        return lambda ctx: run(ctx, inv.args)

    return prepare
