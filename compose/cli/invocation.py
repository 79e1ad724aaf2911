"""One command line as the verbs see it: parsed arguments, environment, directory,
output, and the project loading they share.  Each verb module under
``compose/cli/commands`` registers its parser and a ``prepare`` function."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from common.durations import parse_duration
from common.errors import UsageError
from compose.cli.console import Output
from compose.spec.names import is_valid_project_name

TYPE_CHECKING = False
if TYPE_CHECKING:  # the loader (yaml, the JSON schema) is imported by the verbs that load
    from pathlib import Path
    from typing import Any, TypeAlias

    from compose.engine.context import Host
    from compose.spec.load.discover import LoadOptions
    from compose.spec.loadcache import Entry, Summary
    from compose.spec.loaded import Loaded

Runner: TypeAlias = "Callable[[Any], Awaitable[int]]"
"""What a verb does once the real backends are wired (root, runtime detected): it
gets the engine's ``Context``."""
Prepared: TypeAlias = "Runner | int"
"""``prepare`` returns a runner, or an exit status when no backend is needed."""
Verbs: TypeAlias = "Any"  # argparse's private _SubParsersAction


def timeout_arg(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parse_env(entries: Sequence[str], environ: Mapping[str, str]) -> dict[str, str]:
    """``-e KEY=VALUE`` or ``-e KEY`` (the value from our own environment; dropped
    when unset, as docker does)."""
    result: dict[str, str] = {}
    for entry in entries:
        key, sep, value = entry.partition("=")
        if sep:
            result[key] = value
        elif key in environ:
            result[key] = environ[key]
    return result


@dataclass(frozen=True)
class Invocation:
    """One command line with the environment and directory it runs in."""

    args: argparse.Namespace
    environ: Mapping[str, str]
    cwd: str
    output: Output
    host: Host
    """This machine's backends, handed in by ``compose/app.py``."""

    def load_options(self, *, interpolate: bool = True) -> LoadOptions:
        from compose.spec.load.discover import LoadOptions

        args = self.args
        return LoadOptions(
            files=tuple(args.file), project_name=args.project_name,
            project_directory=args.project_directory, env_files=tuple(args.env_file),
            interpolate=interpolate, environ=self.environ, cwd=self.cwd,
            profiles=tuple(args.profile), services=tuple(self.named_services()),
            consistency=not getattr(args, "no_consistency", False),
            resolve_paths=not getattr(args, "no_path_resolution", False),
        )

    def named_services(self) -> list[str]:
        """Services named on the command line: they enable their own profiles."""
        field = getattr(self.args, "named_services", "services")
        return list(getattr(self.args, field, None) or [])

    def load(self, *, warn: bool = True) -> Loaded:
        """The project, from the load cache while its files and environment are as
        they were at the last full load (``compose/spec/loadcache.py``)."""
        from compose.spec import loadcache

        cache, entry = self._cache_entry()
        loaded = loadcache.get_loaded(cache, entry) if entry else None
        if loaded is None:
            from compose.spec.loader import load_project  # yaml, the schema, the model

            loaded = load_project(self.load_options())
            if entry:
                loadcache.put_loaded(cache, entry, loaded)
        self.__dict__["_project"] = loaded.project.name  # frozen: kept for this command line
        self.__dict__["_services"] = len(loaded.project.services)
        if warn:
            for warning in loaded.warnings:
                self.output.warn(warning)
        return loaded

    def given_name(self) -> str | None:
        """The project's name when the command line or the environment gives it and no
        file is named (``-p``, or ``COMPOSE_PROJECT_NAME`` without ``COMPOSE_FILE``):
        as in Docker Compose, enough for verbs that act on recorded containers."""
        if self.args.file:
            return None
        name = self.args.project_name
        if not name and not self.environ.get("COMPOSE_FILE"):
            name = self.environ.get("COMPOSE_PROJECT_NAME") or None
        if name and not is_valid_project_name(name):
            raise UsageError(f"invalid project name {name!r}")
        return str(name) if name else None

    def summary(self, *, warn: bool = True) -> Summary:
        """The project's name and services, all that verbs acting on its containers
        need of the files: from the load cache while the files and the environment
        are as they were at the last full load (``compose/spec/loadcache.py``)."""
        known: Summary | None = self.__dict__.get("_summary")
        if known is not None:
            return known
        from compose.spec import loadcache

        cache, entry = self._cache_entry()
        summary = loadcache.get(cache, entry) if entry else None
        if summary is None:
            loaded = self.load(warn=False)
            summary = loadcache.Summary(loaded.project.name, tuple(loaded.project.services),
                                        loaded.warnings)
            if entry:
                loadcache.put(cache, entry, summary, loaded.inputs, loaded.variables)
        if warn:
            for warning in summary.warnings:
                self.output.warn(warning)
        self.__dict__["_summary"] = summary  # frozen: kept for this command line
        self.__dict__["_project"] = summary.name
        return summary

    def _cache_entry(self) -> tuple[Path, Entry | None]:
        """The load cache's directory and this command line's entry in it (None:
        finding the files failed), worked out once: a summary's miss loads."""
        known: tuple[Path, Entry | None] | None = self.__dict__.get("_entry")
        if known is None:
            from common.paths import Layout
            from compose.spec import loadcache

            known = (Layout.from_environ(self.environ).load_cache,
                     loadcache.key(self.load_options()))
            self.__dict__["_entry"] = known  # frozen: kept for this command line
        return known

    def known_project(self) -> str | None:
        """The project's name once a load or the load cache has told it."""
        name: str | None = self.__dict__.get("_project")
        return name

    def known_services(self) -> int | None:
        """How many services the project has, once a load has told it."""
        count: int | None = self.__dict__.get("_services")
        return count

    def project_name(self) -> str:
        """For verbs that only need the name: it works without a Compose file."""
        return self.given_name() or self.summary().name

    def project_and_services(self) -> tuple[str, list[str]]:
        """For verbs acting on a project's containers: the project's name and the
        services named on the command line, checked against the file (if any)."""
        services = self.named_services()
        name = self.project_name()
        self.check_services(services)
        return name, services

    def check_services(self, names: Sequence[str]) -> None:
        if not names:
            return
        if self.given_name():
            try:
                summary = self.summary(warn=False)
            except UsageError:
                return  # no file: names are matched against the containers instead
        else:
            summary = self.summary()
        for name in names:
            if name not in summary.services:
                raise UsageError(f"no such service: {name}")


ProjectAct: TypeAlias = "Callable[[Any, str, list[str], argparse.Namespace], Awaitable[int]]"
"""What a project verb does: ``(ctx, project, services, args)`` to an exit status."""


def project_verb(verbs: Verbs, name: str, help: str, act: ProjectAct | None, *,
                 dest: str = "services", at_least_one: bool = False,
                 check: Callable[[argparse.Namespace], None] | None = None,
                 ) -> argparse.ArgumentParser:
    """A verb acting on the containers of a project's services, as most of docker
    compose's are: ``SERVICE...`` arguments (all services when none is named),
    the project from ``-p`` or the file, the names checked, and ``check`` run on
    the arguments, all before any backend is touched.  Without ``act`` the verb
    sets its own ``prepare`` (one that reads more than the project and services)."""
    parser: argparse.ArgumentParser = verbs.add_parser(name, help=help)
    parser.add_argument(dest, nargs="+" if at_least_one else "*", metavar="SERVICE")

    def prepare(inv: Invocation) -> Prepared:
        assert act is not None
        if check is not None:
            check(inv.args)
        project, services = inv.project_and_services()
        return lambda ctx: act(ctx, project, services, inv.args)

    parser.set_defaults(named_services=dest)
    if act is not None:
        parser.set_defaults(prepare=prepare)
    return parser
