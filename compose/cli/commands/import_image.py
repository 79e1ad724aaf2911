"""``pycompose import``: an image from a root filesystem tarball (file or stdin)."""

from __future__ import annotations

import os
import sys

import trio

from common.errors import ImageError, UsageError
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.wiring import WiredContext as Context
from runtime.build.importer import import_rootfs
from runtime.images.documents import parse_platform
from runtime.images.store import ImageStore


def _import_file(store: ImageStore, path: str, name: str | None, changes: list[str],
                 message: str, platform: str | None) -> str:
    with store.lock(exclusive=False):
        target = parse_platform(platform) if platform else None
        if path == "-":
            return import_rootfs(store, sys.stdin.buffer, name, changes=changes,
                                 message=message, platform=target)
        with open(path, "rb") as handle:
            return import_rootfs(store, handle, name, changes=changes, message=message,
                                 platform=target)


def import_file(store: ImageStore, path: str, name: str | None, changes: list[str],
                message: str, platform: str | None) -> str:
    """Disk errors (full, unreadable, a closed pipe) as one line, not a traceback."""
    try:
        return _import_file(store, path, name, changes, message, platform)
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        raise ImageError(f"cannot import:{where} {exc.strerror or exc}") from None


async def import_image(ctx: Context, path: str, name: str | None, changes: list[str],
                       message: str, platform: str | None) -> int:
    image_id = await trio.to_thread.run_sync(import_file, ctx.store, path, name, changes,
                                             message, platform)
    ctx.output.text(image_id)
    return 0


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("import", help="make an image from a root filesystem tarball")
    parser.add_argument("-c", "--change", action="append", default=[], metavar="INSTRUCTION",
                        help="Dockerfile instruction for the config: CMD, ENTRYPOINT, ENV, "
                             "EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR (repeatable)")
    parser.add_argument("-m", "--message", default="", help="commit message for the history")
    parser.add_argument("--platform", help="os/arch[/variant] the image is for")
    parser.add_argument("file", metavar="FILE|-")
    parser.add_argument("name", nargs="?", metavar="REPOSITORY[:TAG]")
    parser.set_defaults(prepare=prepare)


def prepare(inv: Invocation) -> Prepared:
    args = inv.args
    path = args.file
    if path != "-":
        path = os.path.join(inv.cwd, path)
        if not os.path.isfile(path):
            raise UsageError(f"{args.file}: no such file")
    return lambda ctx: import_image(ctx, path, args.name, args.change, args.message,
                                    args.platform)
