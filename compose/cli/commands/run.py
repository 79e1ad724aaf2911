"""``pycompose run``: a one-off container of a service, attached to our terminal;
its exit status becomes ours (the work is ``engine/oneoff.py``)."""

from __future__ import annotations

import argparse

from common.errors import UsageError
from common.terminal import is_terminal
from compose.cli.invocation import Invocation, Prepared, Verbs, parse_env
from compose.engine.oneoff import run
from compose.planning.runplan import RunOverrides
from compose.spec.syntax.shellwords import split


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("run", help="run a one-off command on a service")
    parser.add_argument("-d", "--detach", action="store_true",
                        help="run in the background and print the container name")
    parser.add_argument("--rm", action="store_true", help="remove the container when it exits")
    parser.add_argument("-e", "--env", action="append", default=[], metavar="KEY=VAL",
                        help="set an environment variable (repeatable)")
    parser.add_argument("-l", "--label", action="append", default=[], metavar="KEY=VAL",
                        help="add or override a label (repeatable)")
    parser.add_argument("--entrypoint", help="override the image's entrypoint")
    parser.add_argument("-u", "--user", help="run as this user (name, uid, name:group)")
    parser.add_argument("-w", "--workdir", help="working directory inside the container")
    parser.add_argument("-T", "--no-TTY", "--no-tty", dest="no_tty", action="store_true",
                        help="do not allocate a pseudo-terminal")
    parser.add_argument("-i", "--interactive", action="store_true", default=True,
                        help="keep stdin open (the default)")
    parser.add_argument("--name", help="name of the container")
    parser.add_argument("--no-deps", action="store_true", help="do not start linked services")
    parser.add_argument("--use-aliases", action="store_true",
                        help="answer to the service's name and network aliases too")
    parser.add_argument("service", metavar="SERVICE")
    parser.add_argument("command", nargs=argparse.REMAINDER, metavar="COMMAND")
    parser.set_defaults(prepare=prepare, named_services="run_services")


def prepare(inv: Invocation) -> Prepared:
    args = inv.args
    args.run_services = [args.service]
    if args.detach and args.rm:
        raise UsageError("--rm and -d cannot be combined")
    project = inv.load().project
    if args.service not in project.services:
        raise UsageError(f"no such service: {args.service}")
    labels = {}
    for entry in args.label:
        key, _, value = entry.partition("=")
        labels[key] = value
    overrides = RunOverrides(
        command=tuple(args.command) if args.command else None,
        entrypoint=tuple(split(args.entrypoint)) if args.entrypoint is not None else None,
        environment=parse_env(args.env, inv.environ),
        user=args.user, workdir=args.workdir, name=args.name, labels=labels,
        tty=not args.no_tty and not args.detach and is_terminal(),
        interactive=args.interactive and not args.detach,
        use_aliases=args.use_aliases,
    )
    return lambda ctx: run(ctx, project, args.service, overrides, detach=args.detach,
                           remove=args.rm, no_deps=args.no_deps)
