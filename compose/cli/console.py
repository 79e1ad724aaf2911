"""Everything pycompose prints: progress, log lines, warnings (the only rich user).

rich is imported when something is first printed: a supervisor, or a verb that
prints nothing, never pays for it.  Progress and warnings to a file or a pipe
(no terminal, no colours forced) are the same text without styles, written
directly: a script's ``up`` does not import rich at all."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cached_property

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

    from rich.color import ColorSystem
    from rich.console import Console

    from common.progress import TransferReporter
    from common.records import ContainerRecord
    from common.status import LogLine
    from compose.engine.context import BuildSink
    from compose.engine.events import Progress

_COLOURS = ("cyan", "yellow", "green", "magenta", "blue", "bright_cyan", "bright_yellow",
            "bright_green", "bright_magenta", "bright_blue")


class Output:
    def __init__(self, *, no_color: bool = False, stdout: TextIO | None = None,
                 stderr: TextIO | None = None) -> None:
        self.no_color = no_color
        self._stdout = stdout
        self._stderr = stderr

    def _console(self, file: TextIO) -> Console:
        from rich.console import Console

        return Console(file=file, highlight=False, soft_wrap=True, no_color=self.no_color,
                       emoji=False)

    @cached_property
    def out(self) -> Console:
        return self._console(self._stdout or sys.stdout)

    @cached_property
    def err(self) -> Console:
        return self._console(self._stderr or sys.stderr)

    def progress(self, event: Progress) -> None:
        if not event.done:
            return
        if self._plain_err(f" ✔ {event.kind} {event.name}  {event.status}"):
            return
        from rich.text import Text

        mark = Text("✔ ", style="green")
        self.err.print(Text.assemble(" ", mark, f"{event.kind} {event.name}  ",
                                     (event.status, "green")))

    def warn(self, message: str) -> None:
        if self._plain_err(f"WARN[0000] {message}"):
            return
        from rich.text import Text

        self.err.print(Text.assemble(("WARN", "yellow"), f"[0000] {message}"))

    def _plain_err(self, line: str) -> bool:
        """``line`` written as it is when rich would print it without styles (not a
        terminal, no colours forced, rich not in use yet); False: rich's turn."""
        if "err" in self.__dict__ or _forced_terminal():
            return False
        stream = self._stderr or sys.stderr
        try:
            if stream.isatty():
                return False
            stream.write(line + "\n")
            stream.flush()
        except ValueError:  # closed: as rich, say nothing
            pass
        return True

    def text(self, message: str) -> None:
        self.out.print(message, markup=False)

    def error(self, message: str) -> None:
        self.err.print(message, markup=False, highlight=False)

    def raw(self, text: str) -> None:
        """Exactly ``text``: machine-readable output passes rich untouched."""
        self.out.file.write(text)
        self.out.file.flush()

    @contextmanager
    def transfers(self, verb: str, quiet: bool) -> Iterator[TransferReporter]:
        from compose.cli.views.transferview import TransferView  # rich.live: only when used

        with TransferView(self.err, verb, quiet=quiet) as view:
            yield view

    @contextmanager
    def builds(self, quiet: bool) -> Iterator[BuildSink]:
        from compose.cli.views.buildview import BuildView  # rich.live: only when building

        with BuildView(self.err, quiet=quiet) as view:
            yield view


def _forced_terminal() -> bool:
    """rich's own overrides of its terminal detection (``Console.is_terminal``)."""
    return "FORCE_COLOR" in os.environ or "TTY_COMPATIBLE" in os.environ


class LogPrinter:
    """``web-1  | line``: a prefix per container, padded to the longest, coloured
    per service."""

    def __init__(self, output: Output, records: Iterable[ContainerRecord], *,
                 prefix: bool = True, timestamps: bool = False) -> None:
        self.console = output.out
        records = list(records)
        self.labels = {r.id: f"{r.service}-{r.number}" for r in records}
        width = max((len(v) for v in self.labels.values()), default=0)
        services = sorted({r.service for r in records})
        colour = {s: _COLOURS[i % len(_COLOURS)] for i, s in enumerate(services)}
        from rich.style import Style

        system = self.console.color_system if not self.console.no_color else None
        self.styles = {r.id: Style.parse(colour[r.service]) for r in records}
        self.prefixes = {
            r.id: self.styles[r.id].render(self.labels[r.id].ljust(width) + "  | ",
                                           color_system=_system(system))
            for r in records
        }
        self.system = system
        self.prefix = prefix
        self.timestamps = timestamps
        self.width = width

    def add(self, records: Iterable[ContainerRecord]) -> None:
        """Containers made while following (``up --watch`` rebuilds): the colour of
        their service, the prefixes' width kept."""
        from rich.style import Style

        for record in records:
            if record.id in self.labels:
                continue
            same = next((i for i, label in self.labels.items()
                         if label.rsplit("-", 1)[0] == record.service), None)
            style = self.styles[same] if same else Style.parse(_COLOURS[0])
            self.labels[record.id] = label = f"{record.service}-{record.number}"
            self.styles[record.id] = style
            self.prefixes[record.id] = style.render(
                label.ljust(self.width) + "  | ", color_system=_system(self.system))

    def _write(self, text: str) -> None:
        # Container output goes out as it is (tabs, brackets, escapes): rich only
        # colours our prefixes.
        self.console.file.write(text + "\n")
        self.console.file.flush()

    def line(self, record: ContainerRecord, entry: LogLine) -> None:
        parts = []
        if self.prefix:
            parts.append(self.prefixes[record.id])
        if self.timestamps:
            parts.append(entry.time + " ")
        parts.append(entry.text)
        self._write("".join(parts))

    def exited(self, record: ContainerRecord, code: int | None) -> None:
        shown = "unknown" if code is None else str(code)
        self._write(self.styles[record.id].render(
            f"{self.labels[record.id]} exited with code {shown}",
            color_system=_system(self.system)))


def _system(name: str | None) -> ColorSystem | None:
    from rich.color import ColorSystem

    return {"standard": ColorSystem.STANDARD, "256": ColorSystem.EIGHT_BIT,
            "truecolor": ColorSystem.TRUECOLOR, "windows": ColorSystem.WINDOWS}.get(name or "")
