"""What one debounced batch of file changes makes ``watch`` do (pure).

As docker compose's ``handleWatchBatch``: every rule a changed path falls under
acts; a service is rebuilt once per batch however many of its files changed, its
files are synced in one go, then restarted once, then each ``sync+exec`` hook runs
once.  Unlike docker compose, a service rebuilt in the batch is not restarted as
well: its container is new.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from common.syncpaths import DIRECTORY, FILE, MISSING, SyncEntry
from compose.planning.watchrules import (
    REBUILD,
    RESTART,
    SYNC_EXEC,
    SYNC_RESTART,
    SYNCING,
    ExecHook,
    WatchRule,
)


@dataclass(frozen=True)
class WatchBatch:
    rebuild: tuple[str, ...] = ()
    sync: Mapping[str, tuple[SyncEntry, ...]] = field(
        default_factory=lambda: MappingProxyType({}))
    restart: tuple[str, ...] = ()
    exec: tuple[tuple[str, ExecHook], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.rebuild or self.sync or self.restart or self.exec)

    def render(self) -> str:
        """One line per action, in the order they are carried out (for tests)."""
        lines = [f"rebuild {name}" for name in self.rebuild]
        for name, entries in self.sync.items():
            lines += [f"sync {name} {_verb(e.kind)} {e.container}" for e in entries]
        lines += [f"restart {name}" for name in self.restart]
        lines += [f"exec {name} {' '.join(hook.command)}" for name, hook in self.exec]
        return "\n".join(lines)


def _verb(kind: str) -> str:
    return {FILE: "copy", DIRECTORY: "mkdir", MISSING: "delete"}[kind]


def plan_batch(rules: Sequence[WatchRule], changes: Mapping[str, str]) -> WatchBatch:
    """The actions for ``changes`` (host path -> FILE, DIRECTORY or MISSING)."""
    rebuild: dict[str, None] = {}
    restart: dict[str, None] = {}
    execs: dict[tuple[str, ExecHook], None] = {}
    sync: dict[str, dict[str, SyncEntry]] = {}
    for path in sorted(changes):
        for rule in rules:
            where = rule.matches(path)
            if where is None:
                continue
            if rule.action == REBUILD:
                rebuild[rule.service] = None
            if rule.action in (RESTART, SYNC_RESTART):
                restart[rule.service] = None
            if rule.action in SYNCING and where:
                sync.setdefault(rule.service, {})[where] = SyncEntry(where, path, changes[path])
            if rule.action == SYNC_EXEC and rule.exec is not None:
                execs[(rule.service, rule.exec)] = None
    return WatchBatch(
        rebuild=tuple(rebuild),
        sync=MappingProxyType({name: _ordered(sync[name].values())
                               for name in dict.fromkeys(r.service for r in rules)
                               if name in sync}),
        restart=tuple(name for name in restart if name not in rebuild),
        exec=tuple(execs),
    )


def _ordered(entries: Iterable[SyncEntry]) -> tuple[SyncEntry, ...]:
    """Deletions first (none below another deleted one), then directories parents
    first, then files."""
    deleted = sorted(e for e in entries if e.kind == MISSING)
    kept: list[SyncEntry] = []
    for entry in deleted:
        if not any(_is_below(entry.container, k.container) for k in kept):
            kept.append(entry)
    dirs = sorted((e for e in entries if e.kind == DIRECTORY), key=_depth)
    files = sorted(e for e in entries if e.kind == FILE)
    return (*kept, *dirs, *files)


def _is_below(path: str, parent: str) -> bool:
    return path.startswith(parent.rstrip("/") + "/")


def _depth(entry: SyncEntry) -> tuple[int, str]:
    return entry.container.count("/"), entry.container


# initial_sync leaves the Dockerfile and Compose files out, as docker compose does
_NOT_SYNCED_FIRST = frozenset({
    "Dockerfile", "compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml",
    "compose.override.yaml", "compose.override.yml", "docker-compose.override.yml",
    "docker-compose.override.yaml"})


def initial_files(rule: WatchRule, tree: Iterable[tuple[str, str]],
                  dockerfile: str | None = None) -> dict[str, str]:
    """``initial_sync``: the walked ``(host path, kind)`` under a rule's path that it
    covers, as a batch of changes (the Dockerfile and Compose files left out)."""
    skip = _NOT_SYNCED_FIRST | ({posixpath.basename(dockerfile)} if dockerfile else set())
    return {path: kind for path, kind in tree
            if posixpath.basename(path) not in skip and rule.matches(path) is not None}
