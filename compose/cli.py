"""``pycompose``: the command line, docker compose's verbs and flags.

The only place that turns errors into exit statuses: a ``PycomposeError`` is one
line on stderr and status 1; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TextIO

import trio

from compose.commands import config as config_cmd
from compose.commands import down as down_cmd
from compose.commands import image as image_cmd
from compose.commands import logs as logs_cmd
from compose.commands import ps as ps_cmd
from compose.commands import up as up_cmd
from compose.console import Output
from compose.context import Context, open_context
from compose.durations import parse_duration
from compose.errors import PycomposeError, UsageError
from compose.executor import first_user_error
from compose.loader import Loaded, LoadOptions, load_project
from compose.names import is_valid_project_name


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pycompose")
    except PackageNotFoundError:
        return "unknown"


def _timeout(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pycompose",
        description="Run Compose stacks on this host with runc and conmon, no daemon.",
    )
    parser.add_argument("-f", "--file", action="append", default=[], metavar="FILE",
                        help="Compose file (repeatable; default: compose.yaml, ...)")
    parser.add_argument("-p", "--project-name", metavar="NAME", help="project name")
    parser.add_argument("--project-directory", metavar="DIR", help="project working directory")
    parser.add_argument("--env-file", action="append", default=[], metavar="FILE",
                        help="file of variables for interpolation (repeatable)")
    parser.add_argument("--profile", action="append", default=[], metavar="PROFILE",
                        help="enable services of this profile (repeatable)")
    parser.add_argument("--verbose", action="store_true", help="log what pycompose does")
    parser.add_argument("--version", action="store_true", help="show the version and exit")
    verbs = parser.add_subparsers(dest="verb", metavar="COMMAND")

    up = verbs.add_parser("up", help="create and start containers")
    up.add_argument("-d", "--detach", action="store_true", help="run in the background")
    up.add_argument("--remove-orphans", action="store_true",
                    help="remove containers of services no longer in the file")
    up.add_argument("-t", "--timeout", type=_timeout, help="stop timeout in seconds")
    up.add_argument("--no-log-prefix", action="store_true", help="no service prefix in logs")
    up.add_argument("--timestamps", action="store_true", help="show timestamps")
    up.add_argument("--no-color", action="store_true", help="monochrome output")
    up.add_argument("--attach-dependencies", action="store_true",
                    help="also show the logs of the services the named ones depend on")
    up.add_argument("services", nargs="*", metavar="SERVICE")

    down = verbs.add_parser("down", help="stop and remove containers and networks")
    down.add_argument("-t", "--timeout", type=_timeout, help="stop timeout in seconds")
    down.add_argument("--remove-orphans", action="store_true",
                      help="accepted for compatibility: down always removes them")

    ps = verbs.add_parser("ps", help="list containers")
    ps.add_argument("-a", "--all", action="store_true", help="include stopped containers")
    ps.add_argument("-q", "--quiet", action="store_true", help="only IDs")
    ps.add_argument("--services", action="store_true", help="only service names")
    ps.add_argument("--format", choices=["table", "json"], default="table")
    ps.add_argument("services_filter", nargs="*", metavar="SERVICE")

    logs = verbs.add_parser("logs", help="show container output")
    logs.add_argument("-f", "--follow", action="store_true", help="follow log output")
    logs.add_argument("-t", "--timestamps", action="store_true", help="show timestamps")
    logs.add_argument("--no-log-prefix", action="store_true", help="no service prefix")
    logs.add_argument("--no-color", action="store_true", help="monochrome output")
    logs.add_argument("services", nargs="*", metavar="SERVICE")

    image = verbs.add_parser("image", help="manage images")
    image_verbs = image.add_subparsers(dest="image_verb", metavar="COMMAND", required=True)
    bootstrap = image_verbs.add_parser(
        "bootstrap", help="make busybox:latest from the host's busybox-static, offline")
    bootstrap.add_argument("name", nargs="?", default="busybox:latest")

    config = verbs.add_parser("config", help="print the project in canonical form")
    config.add_argument("--format", choices=["yaml", "json"],
                        help="yaml (default) or json; --variables defaults to a table")
    config.add_argument("-q", "--quiet", action="store_true", help="only validate")
    config.add_argument("--services", action="store_true", help="print the service names")
    config.add_argument("--volumes", action="store_true", help="print the volume names")
    config.add_argument("--networks", action="store_true", help="print the network names")
    config.add_argument("--images", action="store_true", help="print the image names")
    config.add_argument("--profiles", action="store_true", help="print the profile names")
    config.add_argument("--variables", action="store_true",
                        help="print the variables the model uses, with their defaults")
    config.add_argument("--no-interpolate", action="store_true",
                        help="do not interpolate variables")
    config.add_argument("--no-normalize", action="store_true",
                        help="print the merged files without canonical form")
    config.add_argument("--no-consistency", action="store_true",
                        help="accepted for compatibility")
    config.add_argument("--no-path-resolution", action="store_true",
                        help="accepted for compatibility")
    config.add_argument("-o", "--output", metavar="FILE", help="write to FILE")
    config.add_argument("config_services", nargs="*", metavar="SERVICE")

    verbs.add_parser("version", help="show the version")
    return parser


@dataclass(frozen=True)
class Invocation:
    """One command line with the environment and directory it runs in."""

    args: argparse.Namespace
    environ: Mapping[str, str]
    cwd: str
    output: Output

    def load_options(self, *, interpolate: bool = True) -> LoadOptions:
        args = self.args
        return LoadOptions(
            files=tuple(args.file), project_name=args.project_name,
            project_directory=args.project_directory, env_files=tuple(args.env_file),
            interpolate=interpolate, environ=self.environ, cwd=self.cwd,
            profiles=tuple(args.profile), services=tuple(self.named_services()),
            consistency=not getattr(args, "no_consistency", False),
        )

    def named_services(self) -> list[str]:
        """Services named on the command line: they enable their own profiles."""
        field = {"up": "services", "logs": "services", "ps": "services_filter",
                 "config": "config_services"}.get(self.args.verb, "")
        return list(getattr(self.args, field, None) or [])

    def load(self, *, warn: bool = True) -> Loaded:
        loaded = load_project(self.load_options())
        if warn:
            for warning in loaded.warnings:
                self.output.warn(warning)
        return loaded

    def project_name(self) -> str:
        """For verbs that only need the name: ``-p`` works without a Compose file."""
        name = self.args.project_name
        if name and not self.args.file:
            if not is_valid_project_name(name):
                raise UsageError(f"invalid project name {name!r}")
            return str(name)
        return self.load().project.name

    def check_services(self, names: Sequence[str]) -> None:
        if not names:
            return
        if self.args.project_name and not self.args.file:
            try:
                loaded = self.load(warn=False)
            except UsageError:
                return  # no file: names are matched against the containers instead
        else:
            loaded = self.load()
        for name in names:
            if name not in loaded.project.services:
                raise UsageError(f"no such service: {name}")


def _config(inv: Invocation) -> int:
    args = inv.args
    options = config_cmd.ConfigOptions(
        fmt=args.format or ("table" if args.variables else "yaml"), quiet=args.quiet,
        services=args.services, volumes=args.volumes, networks=args.networks,
        images=args.images, normalize=not args.no_normalize, output=args.output,
        profiles=args.profiles, variables=args.variables,
    )
    text, warnings = config_cmd.config_text(
        inv.load_options(interpolate=not args.no_interpolate), options)
    for warning in warnings:
        inv.output.warn(warning)
    if args.output:
        config_cmd.write_output(text, os.path.join(inv.cwd, args.output))
    elif text:
        inv.output.raw(text)
    return 0


async def _dispatch(inv: Invocation) -> int:
    args, output = inv.args, inv.output
    if args.version or args.verb == "version":
        output.text(f"pycompose version {_version()}")
        return 0
    if args.verb == "config":
        return _config(inv)
    run: Callable[[Context], Awaitable[int]]
    if args.verb == "up":
        loaded = inv.load()
        for name in args.services:
            if name not in loaded.project.services:
                raise UsageError(f"no such service: {name}")
        options = up_cmd.UpOptions(
            detach=args.detach, services=tuple(args.services),
            remove_orphans=args.remove_orphans, timeout=args.timeout,
            log_prefix=not args.no_log_prefix, timestamps=args.timestamps,
            attach_dependencies=args.attach_dependencies,
        )

        def run(ctx: Context) -> Awaitable[int]:
            return up_cmd.up(ctx, loaded.project, options)
    elif args.verb == "down":
        name = inv.project_name()

        def run(ctx: Context) -> Awaitable[int]:
            return down_cmd.down(ctx, name, args.timeout)
    elif args.verb == "ps":
        name = inv.project_name()
        inv.check_services(args.services_filter)

        def run(ctx: Context) -> Awaitable[int]:
            return ps_cmd.ps(ctx, name, services=args.services_filter, all_containers=args.all,
                             fmt=args.format, quiet=args.quiet, list_services=args.services)
    elif args.verb == "logs":
        name = inv.project_name()
        inv.check_services(args.services)

        def run(ctx: Context) -> Awaitable[int]:
            return logs_cmd.logs(ctx, name, services=args.services, follow=args.follow,
                                 timestamps=args.timestamps, prefix=not args.no_log_prefix)
    elif args.verb == "image" and args.image_verb == "bootstrap":

        def run(ctx: Context) -> Awaitable[int]:
            return image_cmd.bootstrap(ctx, args.name)
    else:  # pragma: no cover - argparse rejects other verbs
        raise UsageError(f"unknown command {args.verb}")
    ctx = await open_context(output, inv.environ)
    return await run(ctx)


def _configure_logging(verbose: bool) -> None:
    """structlog is configured only when asked for: importing it costs startup time."""
    if not verbose:
        return
    import logging

    import structlog

    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.DEBUG if verbose else logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
    )


def main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: str | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """The command line; the keyword arguments let tests run it in-process."""
    environ = dict(os.environ if environ is None else environ)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verb is None and not args.version:
        parser.print_help(stderr or sys.stderr)
        return 2
    _configure_logging(args.verbose)
    output = Output(no_color=getattr(args, "no_color", False) or "NO_COLOR" in environ,
                    stdout=stdout, stderr=stderr)
    inv = Invocation(args, environ, cwd or os.getcwd(), output)
    try:
        if args.verb == "config":  # no trio needed: the loader is synchronous
            return _config(inv)
        return trio.run(_dispatch, inv)
    except PycomposeError as exc:
        output.err.print(f"error: {exc}", markup=False, highlight=False)
        return 1
    except KeyboardInterrupt:
        output.err.print("interrupted", markup=False)
        return 130
    except BaseExceptionGroup as group:  # from a nursery: unwrap what is meant for the user
        error = first_user_error(group)
        if error is not None:
            output.err.print(f"error: {error}", markup=False, highlight=False)
            return 1
        if group.split(KeyboardInterrupt)[1] is None:
            output.err.print("interrupted", markup=False)
            return 130
        raise


if __name__ == "__main__":
    sys.exit(main())
