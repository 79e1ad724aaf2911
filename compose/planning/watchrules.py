"""``develop.watch`` as rules, and which rule a changed host path falls under (pure).

docker compose's semantics (``pkg/compose/watch.go``): a rule covers its ``path``
and everything below it; ``include`` (when given) must match, and nothing of
``ignore``, the build context's ``.dockerignore``, editors' scratch files or a
``.git`` directory may.  Patterns are ``.dockerignore`` patterns: ``ignore`` and
``include`` relative to the rule's path, ``.dockerignore`` to the build context.
Every rule a path falls under acts (not only the first).
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from common.dockerignore import Pattern, is_excluded, parse_ignore
from common.errors import UsageError
from compose.spec.model import Project, Service

SYNC, REBUILD, RESTART, SYNC_RESTART, SYNC_EXEC = (
    "sync", "rebuild", "restart", "sync+restart", "sync+exec")
SYNCING = frozenset({SYNC, SYNC_RESTART, SYNC_EXEC})

# Editors' scratch files (GoLand, Emacs, vim), as docker compose ignores them; and
# any .git directory (docker compose means to, but anchors its pattern at /).
_ALWAYS_IGNORED = tuple(parse_ignore("\n".join((
    "**/*___jb_old___", "**/*___jb_tmp___", "**/.idea/**", "**/.#*",
    "**/4913", "**/*~", "**/.*.swp", "**/.*.swx", "**/.*.swo", "**/.*.swn", "**/.git",
))))

NO_WATCH = ("none of the selected services is configured for watch, consider setting "
            "a 'develop' section")


@dataclass(frozen=True)
class ExecHook:
    """``exec`` of a ``sync+exec`` rule: run as ``exec`` runs a command."""

    command: tuple[str, ...]
    user: str | None = None
    working_dir: str | None = None
    environment: tuple[tuple[str, str], ...] = ()
    """``KEY``, ``VALUE`` pairs (hashable: one hook runs once per batch)."""


@dataclass(frozen=True)
class WatchRule:
    service: str
    action: str
    path: str
    """Absolute host path, without a trailing ``/``."""
    target: str | None = None
    ignore: tuple[Pattern, ...] = ()
    include: tuple[Pattern, ...] = ()
    """Empty: everything under ``path``."""
    context: str | None = None
    """The build context, which ``context_ignore`` is relative to."""
    context_ignore: tuple[Pattern, ...] = ()
    initial_sync: bool = False
    exec: ExecHook | None = None

    def matches(self, host_path: str) -> str | None:
        """Where ``host_path`` lands in the container (``""`` for a rule without a
        target), or None when the rule does not cover it."""
        relative = _below(self.path, host_path)
        if relative is None:
            return None
        if self.include and not _matched(relative, self.include):
            return None
        if _matched(relative, self.ignore) or is_excluded(host_path.lstrip("/"),
                                                           list(_ALWAYS_IGNORED)):
            return None
        if self.context is not None and self.context_ignore:
            in_context = _below(self.context, host_path)
            if in_context not in (None, ".") and is_excluded(in_context,
                                                             list(self.context_ignore)):
                return None
        if not self.target:
            return ""
        return self.target if relative == "." else posixpath.join(self.target, relative)


def _below(root: str, path: str) -> str | None:
    """``path`` relative to ``root`` (``.`` for itself), None when outside it."""
    root = root.rstrip("/") or "/"
    if path == root:
        return "."
    prefix = root if root == "/" else root + "/"
    return path[len(prefix):] if path.startswith(prefix) else None


def _matched(relative: str, patterns: Sequence[Pattern]) -> bool:
    """``relative`` (or a directory above it) matched, the last pattern deciding."""
    return relative != "." and is_excluded(relative, list(patterns))


def _patterns(value: Any) -> tuple[Pattern, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else list(value)
    return tuple(parse_ignore("\n".join(str(item) for item in items)))


def _exec_hook(raw: Mapping[str, Any] | None) -> ExecHook | None:
    command = (raw or {}).get("command")
    if not command:
        return None
    words = shlex.split(command) if isinstance(command, str) else [str(w) for w in command]
    env = (raw or {}).get("environment") or {}
    if not isinstance(env, Mapping):
        env = dict(str(entry).partition("=")[::2] for entry in env)
    return ExecHook(tuple(words), user=raw.get("user") if raw else None,
                    working_dir=raw.get("working_dir") if raw else None,
                    environment=tuple((str(k), str(v)) for k, v in env.items()
                                      if v is not None))


def build_context(project: Project, service: Service) -> tuple[str, str] | None:
    """The service's build context and Dockerfile name (where ``.dockerignore`` is
    looked for), None without ``build:``."""
    build = service.canonical.get("build")
    if not build:
        return None
    context = str(build.get("context") or project.working_dir)
    return posixpath.normpath(posixpath.join(project.working_dir, context)), \
        str(build.get("dockerfile") or "Dockerfile")


def ignore_files(context: str, dockerfile: str) -> tuple[str, ...]:
    """Where the build's ignore file may be, the first found wins (as builds read it)."""
    named = posixpath.join(context, dockerfile + ".dockerignore")
    return named, posixpath.join(context, ".dockerignore")


def bind_sources(service: Service) -> tuple[str, ...]:
    return tuple(m.source for m in service.mounts if m.type == "bind" and m.source)


@dataclass(frozen=True)
class WatchSetup:
    rules: tuple[WatchRule, ...]
    warnings: tuple[str, ...] = ()

    @property
    def paths(self) -> tuple[str, ...]:
        """The host paths to watch, each once."""
        return tuple(dict.fromkeys(r.path for r in self.rules))

    def services(self, action: Iterable[str] | None = None) -> tuple[str, ...]:
        wanted = set(action) if action is not None else None
        return tuple(dict.fromkeys(r.service for r in self.rules
                                   if wanted is None or r.action in wanted))


def watch_rules(project: Project, services: Sequence[str],
                dockerignores: Mapping[str, str], *, build: bool = True) -> WatchSetup:
    """The rules of the named services (all when none is named).  ``dockerignores``:
    each service's ``.dockerignore`` text.  A rule that cannot act is a
    ``UsageError``; a sync of a path already bind-mounted is left out, with a warning."""
    rules: list[WatchRule] = []
    warnings: list[str] = []
    for name in services or list(project.services):
        service = project.services[name]
        context = build_context(project, service)
        ignored = tuple(parse_ignore(dockerignores.get(name, "")))
        for raw in (service.canonical.get("develop") or {}).get("watch") or ():
            rule = _rule(name, raw, context, ignored, build=build)
            if rule.action in SYNCING and any(_below(source, rule.path) is not None
                                              for source in bind_sources(service)):
                warnings.append(f"path '{rule.path}' also declared by a bind mount volume, "
                                "this path won't be monitored!")
                continue
            rules.append(rule)
    if not rules:
        raise UsageError(NO_WATCH)
    return WatchSetup(tuple(rules), tuple(warnings))


def _rule(service: str, raw: Mapping[str, Any], context: tuple[str, str] | None,
          ignored: tuple[Pattern, ...], *, build: bool) -> WatchRule:
    action = str(raw.get("action"))
    if action == REBUILD and context is None:
        raise UsageError(f"can't watch service {service!r} with action rebuild without a "
                         "build context")
    if action == REBUILD and not build:
        raise UsageError(f"--no-build is incompatible with watch action rebuild in service "
                         f"{service}")
    hook = _exec_hook(raw.get("exec"))
    if action == SYNC_EXEC and hook is None:
        raise UsageError(f"can't watch with action {action!r} on service {service} without "
                         "a command")
    return WatchRule(
        service=service, action=action,
        path=posixpath.normpath(str(raw["path"])),
        target=str(raw["target"]) if raw.get("target") else None,
        ignore=_patterns(raw.get("ignore")), include=_patterns(raw.get("include")),
        context=context[0] if context else None, context_ignore=ignored,
        initial_sync=bool(raw.get("initial_sync")) or bool(raw.get("x-initialSync")),
        exec=hook)
