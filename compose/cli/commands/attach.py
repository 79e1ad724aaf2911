"""``pycompose attach``: join the stdio of a service's running container, as
``docker compose attach`` does: its output streams to ours, our stdin goes to its
own (if open), our signals are forwarded, the detach keys leave it running, and
its exit code becomes ours."""

from __future__ import annotations

from common import detachkeys
from common.errors import UsageError
from common.status import DETACHED
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.engine.context import Context
from compose.engine.targets import pick_running, project_records


async def attach(ctx: Context, project: str, service: str, *, index: int = 0,
                 stdin: bool = True, detach_keys: bytes = b"\x10\x11",
                 sig_proxy: bool = True) -> int:
    records = await project_records(ctx.layout, project, [service], oneoff=True)
    statuses = [await ctx.containers.status(r) for r in records]
    target = pick_running(statuses, service, index).record
    if await ctx.containers.paused(target):
        raise UsageError("You cannot attach to a paused container, unpause it first")
    end = await ctx.containers.attach(target, stdin=stdin, detach_keys=detach_keys,
                                      sig_proxy=sig_proxy)
    if end.how == DETACHED:
        # docker's CLI ends an attach on the detach keys with the escape sequence as
        # its error: "read escape sequence", exit status 1 (the container runs on)
        ctx.output.error("read escape sequence")
        return 1
    return end.code


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser(
        "attach", help="attach local standard input, output, and error streams to a "
                       "service's running container")
    parser.add_argument("--index", type=int, default=0,
                        help="index of the container if the service has several replicas")
    parser.add_argument("--detach-keys", default=detachkeys.DEFAULT,
                        help="the key sequence that detaches, leaving the container "
                             f"running (default {detachkeys.DEFAULT})")
    parser.add_argument("--no-stdin", action="store_true", help="do not attach stdin")
    parser.add_argument("--sig-proxy", nargs="?", const=True, default=True, type=boolean,
                        metavar="BOOL",
                        help="forward the signals we receive to the container (default true)")
    parser.add_argument("service", metavar="SERVICE")
    parser.set_defaults(prepare=prepare, named_services="attach_services")


def boolean(value: str) -> bool:
    """``--sig-proxy=false`` as Go's flag package reads a boolean."""
    lowered = value.lower()
    if lowered in ("1", "t", "true"):
        return True
    if lowered in ("0", "f", "false"):
        return False
    raise ValueError(value)


def prepare(inv: Invocation) -> Prepared:
    args = inv.args
    args.attach_services = [args.service]
    keys = detachkeys.parse(args.detach_keys)
    name = inv.project_name()
    inv.check_services([args.service])
    return lambda ctx: attach(ctx, name, args.service, index=args.index,
                              stdin=not args.no_stdin, detach_keys=keys,
                              sig_proxy=args.sig_proxy)
