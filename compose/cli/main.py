"""``pycompose``: the command line, docker compose's verbs and flags.

The only place that turns errors into exit statuses: a ``PycomposeError`` is one
line on stderr and its ``exit_status`` (1, but a failed hook's own); anything else
is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import keyword
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from types import ModuleType

from common.argv import requested_verb
from common.terminal import columns
from compose import __version__
from compose.cli import commands

TYPE_CHECKING = False
if TYPE_CHECKING:  # imported when a verb runs: `pycompose version` needs none of them
    from typing import Any, TextIO

    from compose.cli.invocation import Invocation, Runner
    from compose.engine.context import Host

# The order verbs are listed in ``--help``; modules not named here follow by name.
ORDER = ("up", "down", "ps", "logs", "config")

WITHOUT_TRIO = frozenset({"config", "convert"})
"""Verbs that only read files: they neither import trio nor need ctypes' lookups."""
TRIO_LATER = frozenset({"exec"})
"""Verbs whose module imports no trio: their short way (``exec -T``) needs none."""
STARTS_SUPERVISOR = frozenset({"up", "start", "restart", "run", "scale", "watch"})
"""Verbs that may start a project's supervisor: one is started ahead for them
(``compose/supervisor/standby.py``), so it is ready when they need it."""
SUPERVISOR_AHEAD = frozenset({"up", "scale", "watch"})
"""Of those, the verbs that usually find no supervisor running (a first ``up``):
their standby starts before their module is even imported, and is let go once the
project turns out to be supervised.  The others (``run --rm`` in a project that is
up) start one after the load, only when none runs: a standby importing beside the
command on two cores made it 50 ms slower."""
MAKES_NETWORKS = frozenset({"up", "create", "run", "scale", "down", "rm"})
"""Verbs that usually make or remove bridges and veths: their netlink library is
loaded ahead, beside the command (``Host.prepare_networks``)."""
MAKES_MANY_LINKS = frozenset({"up", "create", "scale"})
"""Of those, the verbs that make a veth for each of many containers: worth a core
of their own for their netlink work even where the library is loaded already, for
a project of ``MANY_SERVICES`` or more (known once its file is loaded)."""
MANY_SERVICES = 3
"""One service's few links are made faster here than through a worker forked for
them (the fork, 2.8 ms of an ``up``, came before the command read its file)."""


def module_name(verb: str) -> str:
    """Each verb lives in ``compose.cli.commands.<verb>`` (``import`` in ``import_``),
    so a command line imports only the module of the verb it runs (start-up time)."""
    return f"{verb}_" if keyword.iskeyword(verb) else verb.replace("-", "_")


def command_modules(verb: str | None = None) -> list[ModuleType]:
    """The modules of ``compose.cli.commands`` that register verbs (``register``): the
    one of ``verb`` when there is one, else all of them (``--help``, a typo)."""
    if verb == "version":
        return []
    if verb and importlib.util.find_spec(f"{commands.__name__}.{module_name(verb)}"):
        return [importlib.import_module(f"{commands.__name__}.{module_name(verb)}")]
    import pkgutil  # only to list every verb

    names = sorted(m.name for m in pkgutil.iter_modules(commands.__path__))
    names.sort(key=lambda n: ORDER.index(n) if n in ORDER else len(ORDER))
    modules = [importlib.import_module(f"{commands.__name__}.{n}") for n in names]
    return [m for m in modules if hasattr(m, "register")]


def version_text(*, short: bool = False, format: str | None = None) -> str:
    """What ``version`` prints, as Docker Compose prints it: ``--short`` the bare
    number, ``--format json`` one JSON object (the number with docker's ``v``),
    any other format the sentence."""
    if short:
        return __version__
    if format == "json":
        return f'{{"version":"v{__version__}"}}'
    return f"pycompose version {__version__}"


def fast_version(words: Sequence[str]) -> str | None:
    """``version``'s output when the command line is only ``version`` and its flags
    (or ``--version``): printed before argparse and the rest are even imported,
    since scripts call it often.  None: argparse judges the words."""
    if list(words) == ["--version"]:
        return version_text()
    if not words or words[0] != "version":
        return None
    short, fmt, rest = False, None, list(words[1:])
    while rest:
        word = rest.pop(0)
        if word == "--short":
            short = True
        elif word in ("-f", "--format") and rest:
            fmt = rest.pop(0)
        elif word.startswith("--format="):
            fmt = word.partition("=")[2]
        else:
            return None
    return version_text(short=short, format=fmt)


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's, given the terminal's width (``common.terminal.columns``): it makes
    one for every argument added, each asking shutil otherwise."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position,
                         columns() - 2 if width is None else width)


class _Parser(argparse.ArgumentParser):
    """A parser whose verbs' parsers, and theirs, format help with ``_HelpFormatter``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)


_prebuilt: dict[str | None, argparse.ArgumentParser] = {}
"""Parsers a fork server built before forking (``prebuild_parsers``): its children
parse with their copies (a parser is not changed by parsing)."""


def prebuild_parsers(verbs: Iterable[str]) -> None:
    """In a fork server: each verb's parser built once (0.5-3 ms of every command)."""
    for verb in verbs:
        _prebuilt[verb] = build_parser(verb)


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    parser = _Parser(
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
    for command in command_modules(verb):
        command.register(verbs)
    version = verbs.add_parser("version", help="show the version")
    version.add_argument("-f", "--format", metavar="FORMAT", dest="version_format",
                         help="pretty (the default) or json")
    version.add_argument("--short", action="store_true", help="only the version number")
    return parser


async def _run(inv: Invocation, runner: Runner) -> int:
    ctx = await inv.host.connect(inv.output, inv.environ)
    try:
        return await runner(ctx)
    finally:
        # the root's runtime directory, made by connecting, goes again if nothing
        # was put in it (a `ps` of an empty root leaves no trace under /run);
        # anything in it (a lock, a socket, a namespace) keeps it
        with contextlib.suppress(OSError):
            os.rmdir(ctx.layout.run)


def _compile_once() -> None:
    """The generated methods of dataclasses, and of attrs (trio's classes), come
    from a cache of compiled code rather than the compiler (``common/codecache.py``)."""
    from common import codecache

    codecache.install_for_dataclasses()
    codecache.install_for_attrs()


def _before_trio() -> None:
    """What importing trio would pay for needlessly: ``ldconfig -p`` (ctypes looks
    libpthread up) and the modules it imports for TLS, which wait until used."""
    from common import standins
    from common.libc import skip_ldconfig

    skip_ldconfig()
    standins.defer(*standins.AFTER_TRIO)


def _configure_logging(verbose: bool, stderr: TextIO | None) -> None:
    """structlog is imported only when asked for: importing it costs startup time."""
    if verbose:
        from common import trace

        trace.enable(stderr or sys.stderr)


def main(
    argv: Sequence[str] | None = None,
    *,
    host: Host,
    environ: Mapping[str, str] | None = None,
    cwd: str | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """The command line on ``host`` (``compose/app.py`` gives the real one); the
    other keyword arguments let tests run it in-process."""
    environ = dict(os.environ if environ is None else environ)
    words = list(sys.argv[1:] if argv is None else argv)
    fast = fast_version(words)
    if fast is not None:  # the fast path: nothing else to import
        (stdout or sys.stdout).write(f"{fast}\n")
        return 0
    wants_help = any(w in ("-h", "--help") for w in words[:1]) or not words
    verb = None if wants_help else requested_verb(words)
    _compile_once()
    if verb not in WITHOUT_TRIO | TRIO_LATER:
        _before_trio()  # before a verb's module imports trio
    helps = any(w in ("-h", "--help") for w in words)
    if verb in MAKES_NETWORKS and not helps:  # first: no thread or pipe yet
        host.prepare_networks(many=False)  # a worker only to import pyroute2 ahead
    if verb in SUPERVISOR_AHEAD and not helps:
        host.start_standby_supervisor(environ)  # it starts while this command imports
    parser = _prebuilt.get(verb) or build_parser(verb)
    args = parser.parse_args(words)
    if args.verb is None and not args.version:
        parser.print_help(stderr or sys.stderr)
        return 2
    _configure_logging(args.verbose, stderr)
    from common.errors import PycomposeError, user_error
    from common.paths import working_directory
    from compose.cli.console import Output
    from compose.cli.invocation import Invocation

    output = Output(no_color=getattr(args, "no_color", False) or "NO_COLOR" in environ,
                    stdout=stdout, stderr=stderr)
    inv = Invocation(args, environ, cwd or working_directory(environ), output, host)
    try:
        if args.version or args.verb == "version":
            output.raw(version_text(short=getattr(args, "short", False),
                                    format=getattr(args, "version_format", None)) + "\n")
            return 0
        prepared = args.prepare(inv)  # loading and checks, before any backend
        if isinstance(prepared, int):
            return prepared
        if verb in MAKES_MANY_LINKS and not helps and \
                (inv.known_services() or 0) >= MANY_SERVICES:
            host.prepare_networks(many=True)  # still no thread: the file is read
        if verb in STARTS_SUPERVISOR:
            host.project_known(environ, inv.known_project())  # a standby, if it may need one
        _before_trio()
        import trio  # verbs that need no backend (config, version) start faster without it

        return trio.run(_run, inv, prepared)
    except KeyboardInterrupt:
        output.err.print("interrupted", markup=False)
        return 130
    except (PycomposeError, OSError, BaseExceptionGroup) as exc:
        # a nursery's group is unwrapped to what is meant for the user; an OSError
        # the host caused (full disk...) is said in one line; anything else is a bug
        error = user_error(exc)
        if error is not None:
            output.err.print(f"error: {error}", markup=False, highlight=False)
            return error.exit_status
        if isinstance(exc, BaseExceptionGroup) and exc.split(KeyboardInterrupt)[1] is None:
            output.err.print("interrupted", markup=False)
            return 130
        raise


