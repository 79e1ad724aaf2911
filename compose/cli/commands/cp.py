"""``pycompose cp``: copy files between a service container and the host
(``SERVICE:PATH`` on one side, a host path on the other)."""

from __future__ import annotations

from common.errors import UsageError
from common.records import is_oneoff
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.engine.context import Context
from compose.engine.targets import project_records


def split_target(text: str) -> tuple[str | None, str]:
    """``web:/etc/x`` -> (web, /etc/x); a host path (absolute, ``./``, no colon)
    -> (None, path)."""
    if text.startswith(("/", ".")) or ":" not in text:
        return None, text
    service, _, path = text.partition(":")
    return service, path


async def cp(ctx: Context, project: str, source: str, destination: str, *, index: int,
             archive: bool, follow: bool) -> int:
    src_service, src_path = split_target(source)
    dest_service, dest_path = split_target(destination)
    service = src_service or dest_service
    assert service is not None
    records = [r for r in await project_records(ctx.layout, project, [service])
               if r.number == index and not is_oneoff(r)]
    if not records:
        raise UsageError(f"service {service!r} has no container number {index}")
    record = records[0]
    try:
        if src_service:
            await ctx.containers.copy(record, src_path, dest_path, into=False,
                                      archive=archive, follow=follow)
        else:
            await ctx.containers.copy(record, src_path, dest_path, into=True,
                                      archive=archive, follow=follow)
    except UsageError as exc:
        raise UsageError(f"cp {source} {destination}: {exc}") from None
    return 0


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("cp", help="copy files between a service container and the host")
    parser.add_argument("--index", type=int, default=1, help="container number (default 1)")
    parser.add_argument("-a", "--archive", action="store_true", help="keep uid and gid")
    parser.add_argument("-L", "--follow-link", action="store_true",
                        help="follow a symbolic link given as the source")
    parser.add_argument("source", metavar="SRC")
    parser.add_argument("destination", metavar="DEST")
    parser.set_defaults(prepare=prepare, named_services="cp_services")


def prepare(inv: Invocation) -> Prepared:
    args = inv.args
    src_service, _ = split_target(args.source)
    dest_service, _ = split_target(args.destination)
    if (src_service is None) == (dest_service is None):
        raise UsageError("cp: exactly one of SRC and DEST must be SERVICE:PATH")
    if args.source == "-" or args.destination == "-":
        raise UsageError("cp: copying a tar stream through - is not supported")
    service = str(src_service or dest_service)
    args.cp_services = [service]
    name = inv.project_name()
    inv.check_services([service])
    return lambda ctx: cp(ctx, name, args.source, args.destination, index=args.index,
                          archive=args.archive, follow=args.follow_link)
