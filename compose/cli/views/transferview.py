"""Pull and push progress on the terminal, as docker compose draws it.

On a terminal: a live block, one line per image and one per layer under it, with
a bar while a layer moves.  Otherwise (logs, tests): one line per step, without
the byte counts.  Only renders: the ``Transfer`` events come from
the image backend's registry sessions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from types import TracebackType

from rich.console import Console, Group
from rich.live import Live
from rich.text import Text

from common.progress import Transfer
from compose.cli.views.units import human_size

_REFRESH = 0.1
_BAR = 30
_QUIET_STATUSES = frozenset({"Downloading", "Waiting"})


@dataclass
class _Line:
    status: str
    started: float
    current: int = 0
    total: int = 0
    done: bool = False
    error: bool = False
    ended: float | None = None


@dataclass
class _Image:
    line: _Line
    layers: dict[str, _Line] = field(default_factory=dict)


class TransferView:
    """A ``TransferReporter``; use as a context manager around the transfers."""

    def __init__(self, console: Console, verb: str = "Pulling", *, quiet: bool = False) -> None:
        self.console = console
        self.verb = verb
        self.quiet = quiet
        self.live_mode = console.is_terminal and not quiet
        self.images: dict[str, _Image] = {}
        self._live: Live | None = None
        self._drawn = 0.0

    def __enter__(self) -> TransferView:
        if self.live_mode:
            self._live = Live(console=self.console, auto_refresh=False, transient=False)
            self._live.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._live is not None:
            self._live.update(self.render(), refresh=True)
            self._live.stop()
            self._live = None

    def __call__(self, event: Transfer) -> None:
        now = time.monotonic()
        image = self.images.get(event.image)
        if image is None:
            image = self.images[event.image] = _Image(_Line(event.status, now))
        line = image.line
        if event.layer:
            line = image.layers.setdefault(event.layer, _Line(event.status, now))
        line.status, line.done, line.error = event.status, event.done, event.error
        if event.total:
            line.current, line.total = event.current, event.total
        if event.done and line.ended is None:
            line.ended = now
        if self.quiet:
            return
        if self._live is not None:
            if event.done or now - self._drawn >= _REFRESH:
                self._drawn = now
                self._live.update(self.render(), refresh=True)
        elif event.status not in _QUIET_STATUSES and not (event.status == "Pushing"
                                                          and event.layer):
            name = event.layer or event.image
            self.console.print(f"{'   ' if event.layer else ' '}{name} {event.status}",
                               markup=False, highlight=False)

    def render(self) -> Group:
        now = time.monotonic()
        finished = sum(1 for i in self.images.values() if i.line.done)
        lines = [Text(f"[+] {self.verb} {finished}/{len(self.images)}")]
        for name, image in self.images.items():
            lines.append(_line(" ", name, image.line, now))
            for layer, line in image.layers.items():
                lines.append(_line("   ", layer, line, now))
        return Group(*lines)


def _line(indent: str, name: str, line: _Line, now: float) -> Text:
    mark = ("✘", "red") if line.error else ("✔", "green") if line.done else ("⠿", "blue")
    elapsed = (line.ended or now) - line.started
    text = Text.assemble(indent, mark, f" {name} ", (line.status, "green" if line.done
                                                     else ""))
    if not line.done and line.total and line.status in ("Downloading", "Pushing"):
        filled = min(_BAR, int(_BAR * line.current / line.total))
        arrow = ">" if filled < _BAR else ""
        bar = "=" * filled + arrow + " " * (_BAR - filled - len(arrow))
        text.append(f" [{bar}] {human_size(line.current)}/{human_size(line.total)}")
    text.append(f"  {elapsed:.1f}s", style="dim")
    return text
