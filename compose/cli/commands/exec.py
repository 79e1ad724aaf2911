"""``pycompose exec``: run a command in a service's running container; its exit
status becomes ours."""

from __future__ import annotations

import argparse

from common.errors import UsageError
from common.terminal import is_terminal
from compose.cli.invocation import Invocation, Prepared, Verbs, parse_env

TYPE_CHECKING = False
if TYPE_CHECKING:  # the engine (trio) only for the usual way: -T takes a shorter one
    from compose.engine.context import Context


async def exec_in(ctx: Context, project: str, service: str, command: list[str], *,
                  index: int = 1, tty: bool = False, detach: bool = False,
                  user: str | None = None, workdir: str | None = None,
                  env: dict[str, str] | None = None) -> int:
    from compose.engine.targets import pick, project_records

    records = await project_records(ctx.layout, project, [service])
    statuses = [await ctx.containers.status(r) for r in records]
    target = pick(statuses, service, index).record
    if await ctx.containers.paused(target):
        raise UsageError(f"container {target.name} is paused, unpause the container before exec")
    return await ctx.containers.exec(target, command, user=user, env=env, cwd=workdir,
                                     tty=tty, detach=detach)


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("exec", help="execute a command in a running container")
    parser.add_argument("-d", "--detach", action="store_true", help="run in the background")
    parser.add_argument("-T", "--no-TTY", "--no-tty", dest="no_tty", action="store_true",
                        help="do not allocate a pseudo-terminal")
    parser.add_argument("-u", "--user", help="run as this user (name, uid, name:group)")
    parser.add_argument("-w", "--workdir", help="working directory inside the container")
    parser.add_argument("-e", "--env", action="append", default=[], metavar="KEY=VAL",
                        help="set an environment variable (repeatable)")
    parser.add_argument("--index", type=int, default=1, help="container number (default 1)")
    parser.add_argument("service", metavar="SERVICE")
    parser.add_argument("command", nargs=argparse.REMAINDER, metavar="COMMAND")
    parser.set_defaults(prepare=prepare, named_services="exec_services")


def prepare(inv: Invocation) -> Prepared:
    args = inv.args
    args.exec_services = [args.service]
    if not args.command:
        inv.output.err.print("exec: a command is required", markup=False)
        return 2
    name = inv.project_name()
    inv.check_services([args.service])
    tty = not args.no_tty and not args.detach and is_terminal()
    env = parse_env(args.env, inv.environ)
    if not tty and not args.detach:
        inv.host.exec_now(inv.environ, name, args.service, args.index, list(args.command),
                          user=args.user, env=env, cwd=args.workdir)  # back: the usual way
    return lambda ctx: exec_in(ctx, name, args.service, list(args.command), index=args.index,
                               tty=tty, detach=args.detach, user=args.user,
                               workdir=args.workdir, env=env)
