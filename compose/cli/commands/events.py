"""``pycompose events``: the project's container events as they happen (from
compose/engine/eventlog.py's file), as text or ``--json`` lines, until Ctrl-C or ``--until``."""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Sequence
from typing import Any

import trio

from common.filewatch import DIRECTORY_CHANGES, IN_MODIFY, FileWatch
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.engine import eventlog, logselect
from compose.engine.context import Context


class _Tail:
    """Reads new whole lines of the events file, across its rotation."""

    def __init__(self, path: os.PathLike[str], from_start: bool) -> None:
        self.path = path
        self.inode, self.offset = self._identity(end=not from_start)

    def _identity(self, *, end: bool) -> tuple[int, int]:
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return 0, 0
        return info.st_ino, info.st_size if end else 0

    def read(self) -> list[dict[str, Any]]:
        inode, _ = self._identity(end=False)
        if inode != self.inode:
            self.inode, self.offset = inode, 0  # rotated: the new file from its start
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                data = handle.read()
        except FileNotFoundError:
            return []
        entries, used = eventlog.parse(data)
        self.offset += used
        return entries


async def events(ctx: Context, project: str, services: Sequence[str], *, as_json: bool,
                 since: float | None, until: float | None) -> int:
    await ctx.supervisors.adopt(project)  # die and health events need it
    path = eventlog.events_path(ctx.layout, project)
    path.parent.mkdir(parents=True, exist_ok=True)
    tail = _Tail(path, from_start=since is not None)

    def show(entry: dict[str, Any]) -> None:
        moment = logselect.parse_when(entry["time"], 0.0)
        if services and entry.get("service") not in services:
            return
        if (since is not None and moment < since) or (until is not None and moment >= until):
            return
        ctx.output.text(json.dumps(entry) if as_json else eventlog.text_line(entry))

    deadline = math.inf if until is None else trio.current_time() + max(0.0, until - time.time())
    with FileWatch(path.parent, DIRECTORY_CHANGES | IN_MODIFY) as changes, \
            trio.move_on_at(deadline):
        while True:
            for entry in tail.read():
                show(entry)
            await changes.changed()
    return 0


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("events", help="receive real time events from containers")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--since", help="also show events since this time (or duration ago)")
    parser.add_argument("--until", help="stop at this time (or after this duration)")
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.set_defaults(prepare=prepare)


def prepare(inv: Invocation) -> Prepared:
    args = inv.args
    name, services = inv.project_and_services()
    now = time.time()
    since = None if args.since is None else logselect.parse_when(args.since, now)
    until = None if args.until is None else logselect.parse_when(args.until, now)
    return lambda ctx: events(ctx, name, services, as_json=args.json,
                              since=since, until=until)

