"""``pycompose export SERVICE``: a service container's filesystem as a tar archive,
to ``-o FILE`` or to a standard output that is not a terminal."""

from __future__ import annotations

import os

from common.errors import UsageError
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.engine import snapshots
from compose.engine.context import Context


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("export", help="export a service container's filesystem as a "
                              "tar archive")
    parser.add_argument("--index", type=int, default=None,
                        help="number of the container if the service has several replicas")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write to a file instead of standard output")
    parser.add_argument("service", metavar="SERVICE")
    parser.set_defaults(prepare=prepare, named_services="export_services")


def check_output(path: str) -> None:
    """Docker's checks of ``-o``, before any container is touched."""
    directory = os.path.dirname(os.path.normpath(path))
    if directory and not os.path.isdir(directory):
        raise UsageError("failed to export container: invalid output path: directory "
                         f'"{directory}" does not exist')
    if os.path.lexists(path) and not os.path.isfile(path):
        raise UsageError(f'failed to export container: invalid output path: "{path}" must '
                         "be a regular file")


def prepare(inv: Invocation) -> Prepared:
    args = inv.args
    stdout = None
    if args.output is None:
        console = inv.output.out.file
        if console.isatty():
            raise UsageError("output option is required when exporting to terminal")
        stdout = getattr(console, "buffer", None)
        if stdout is None:
            raise UsageError("standard output takes no binary data here: use -o FILE")
    else:
        check_output(args.output)
    args.export_services = [args.service]
    project = inv.project_name()
    inv.check_services([args.service])

    async def run(ctx: Context) -> int:
        record = await snapshots.running_container(ctx, project, args.service, args.index)
        await snapshots.export(ctx, record, args.output, stdout)
        return 0

    return run
