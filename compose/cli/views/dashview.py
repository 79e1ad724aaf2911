"""``pycompose dashboard``'s screen, drawn from a supervisor snapshot (pure: the
same ``Screen`` always draws the same text, so tests render it to a string).

One row per container: service, name, state, health, restarts and back-off,
uptime, CPU (between this snapshot and the previous one, one busy core = 100%),
memory against its limit, published ports.  Under the table: the selected
container's last health probe and its last log lines, the keys, and the result
of the last action.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from compose.cli.views.statsview import binary_size
from compose.engine.snapshot import RESTARTING, ContainerView, Snapshot

HEADERS = ("SERVICE", "CONTAINER", "STATE", "HEALTH", "RESTARTS", "BACK-OFF", "UPTIME",
           "CPU %", "MEM / LIMIT", "PORTS")
KEYS = "↑/↓ select  r restart  s stop  l follow logs  e shell  q quit"
_STATE_STYLES = {"running": "green", RESTARTING: "yellow", "exited": "red", "dead": "red",
                 "created": "blue"}
_HEALTH_STYLES = {"healthy": "green", "unhealthy": "red", "starting": "yellow"}


@dataclass(frozen=True)
class Screen:
    """Everything one frame shows."""

    project: str
    snapshot: Snapshot | None
    """None: no supervisor answers for the project."""
    previous: Snapshot | None = None
    """The snapshot before, for CPU percentages."""
    selected: int = 0
    logs: tuple[str, ...] = ()
    """The selected container's last log lines."""
    message: str = ""
    cpus: int = 1


def uptime(seconds: float) -> str:
    """``42s``, ``3m07s``, ``2h05m``, ``3d04h``: short enough for a column."""
    total = max(0, int(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d{hours:02d}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def cpu_percent(before: ContainerView | None, after: ContainerView, cpus: int) -> str:
    if before is None or after.state != "running":
        return "-"
    used = after.cpu_ns - before.cpu_ns
    system = after.system_cpu_ns - before.system_cpu_ns
    if used < 0 or system <= 0:
        return "-"
    return f"{used / system * cpus * 100.0:.2f}%"


def memory(view: ContainerView) -> str:
    if view.state != "running":
        return "-"
    limit = binary_size(view.memory_limit) if view.memory_limit else "no limit"
    return f"{binary_size(view.memory)} / {limit}"


def backoff(view: ContainerView, now: float) -> str:
    """The last back-off delay, and while backing off, how long until the restart."""
    if view.restart_at is not None:
        return f"{view.backoff:g}s (in {max(0.0, view.restart_at - now):.1f}s)"
    return f"{view.backoff:g}s" if view.backoff else "-"


def _state(view: ContainerView) -> Text:
    label = view.state
    if view.state == "exited":
        label = f"exited ({'?' if view.exit_code is None else view.exit_code})"
    if view.stopped_by_user and view.state != "running":
        label += ", stopped"
    return Text(label, style=_STATE_STYLES.get(view.state, ""))


def _row(view: ContainerView, before: ContainerView | None, now: float,
         cpus: int) -> list[RenderableType]:
    running = view.state == "running" and view.started_at is not None
    return [
        view.service, view.name, _state(view),
        Text(view.health or "-", style=_HEALTH_STYLES.get(view.health, "")),
        str(view.restarts), backoff(view, now),
        uptime(now - view.started_at) if running and view.started_at is not None else "-",
        cpu_percent(before, view, cpus), memory(view), ", ".join(view.ports) or "-",
    ]


def table(snapshot: Snapshot, previous: Snapshot | None, selected: int,
          cpus: int) -> Table:
    grid = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for header in HEADERS:
        grid.add_column(header, no_wrap=True)
    before = {v.id: v for v in previous.containers} if previous is not None else {}
    for index, view in enumerate(snapshot.containers):
        grid.add_row(*_row(view, before.get(view.id), snapshot.time, cpus),
                     style="reverse" if index == selected else "")
    return grid


def probe_lines(view: ContainerView) -> list[Text]:
    """The last health probe of the selected container: exit code and output."""
    probe = view.last_probe
    if probe is None:
        return []
    output = " ".join(probe.output.split()) or "(no output)"
    verdict = "passed" if probe.exit_code == 0 else \
        ("could not run" if probe.exit_code < 0 else f"failed, exit {probe.exit_code}")
    streak = f", {view.failing_streak} failing in a row" if view.failing_streak else ""
    return [Text.assemble(("last probe: ", "bold"), f"{verdict}{streak}: {output}")]


def render(screen: Screen) -> RenderableType:
    """The whole frame."""
    title = Text.assemble((f"pycompose dashboard: {screen.project}", "bold"))
    if screen.snapshot is None:
        return Group(title, Text("no supervisor runs for this project (is it up?)",
                                 style="yellow"), Text(KEYS, style="dim"),
                     Text(screen.message))
    snapshot = screen.snapshot
    parts: list[RenderableType] = [
        title, table(snapshot, screen.previous, screen.selected, screen.cpus)]
    views = snapshot.containers
    if not views:
        parts.append(Text("the project has no containers", style="yellow"))
    else:
        view = views[min(max(screen.selected, 0), len(views) - 1)]
        parts.append(Text(""))
        parts += probe_lines(view)
        parts.append(Text(f"── logs of {view.name} ──", style="bold"))
        parts += [Text(line, no_wrap=True, overflow="ellipsis") for line in screen.logs]
    parts += [Text(""), Text(KEYS, style="dim")]
    if screen.message:
        parts.append(Text(screen.message, style="cyan"))
    return Group(*parts)


def selected_view(snapshot: Snapshot | None, selected: int) -> ContainerView | None:
    if snapshot is None or not snapshot.containers:
        return None
    return snapshot.containers[min(max(selected, 0), len(snapshot.containers) - 1)]


def last_lines(lines: Sequence[str], count: int) -> tuple[str, ...]:
    return tuple(lines[-count:]) if count > 0 else ()
