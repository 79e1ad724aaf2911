"""Build progress on the console, in docker compose's (BuildKit's) words.

One line per step as it ends (`` => [web 2/5] RUN make   1.2s``, ``CACHED`` for a
cache hit), a RUN's output lines as they come (unless ``-q``), and on failure
BuildKit's block: the failing step, its last output lines and its exit code.
Only renders: the ``BuildEvent``s come from ``runtime.builder``.
"""

from __future__ import annotations

import time
from collections import deque
from types import TracebackType

from rich.console import Console
from rich.text import Text

from runtime.builder import BuildEvent, BuildResult

_TAIL = 30


class BuildView:
    def __init__(self, console: Console, *, quiet: bool = False) -> None:
        self.console = console
        self.quiet = quiet
        self.started: dict[str, float] = {}
        self.output: dict[tuple[str, int], deque[str]] = {}
        self.running: dict[tuple[str, int], str] = {}

    def __enter__(self) -> BuildView:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        return None

    def start(self, label: str) -> None:
        self.started[label] = time.monotonic()
        if not self.quiet:
            self.console.print(Text(f"[+] Building {label}", style="bold"))

    def finish(self, label: str, result: BuildResult) -> None:
        if self.quiet:
            return
        elapsed = time.monotonic() - self.started.get(label, time.monotonic())
        cached = f", {result.cached_steps} cached" if result.cached_steps else ""
        self.console.print(Text.assemble(
            " ", ("✔", "green"), f" Service {label}  ", ("Built", "green"),
            f"  {elapsed:.1f}s ({result.steps} steps{cached})"))
        for tag in result.tags:
            self.console.print(f" => naming to {tag}", markup=False, highlight=False)

    def _step(self, event: BuildEvent) -> str:
        return f"[{event.label} {event.step}/{event.total}] "

    def report(self, event: BuildEvent) -> None:
        key = (event.label, event.step)
        if event.status == "running":
            self.running[key] = event.text
            self.output[key] = deque(maxlen=_TAIL)
            return
        if event.status == "output":
            self.output.setdefault(key, deque(maxlen=_TAIL)).append(event.text)
            if not self.quiet:
                prefix = f"#{event.step} " if event.step else ""
                self.console.print(Text(f"{prefix}{event.text}", style="dim"))
            return
        if event.status == "error":
            self._error(event)
            return
        if self.quiet:
            return
        step = self._step(event)
        if event.status == "cached":
            self.console.print(Text.assemble(" => ", ("CACHED ", "blue"), step, event.text),
                               highlight=False)
        else:
            self.console.print(Text.assemble(" => ", step, event.text,
                                             f"  {event.elapsed:.1f}s"), highlight=False)

    def _error(self, event: BuildEvent) -> None:
        key = (event.label, event.step)
        text = self.running.get(key, event.text)
        step = self._step(event)
        lines = list(self.output.get(key, ()))
        self.console.print(Text.assemble(" => ", ("ERROR ", "red"), step, text,
                                         f"  {event.elapsed:.1f}s"), highlight=False)
        self.console.print("------", markup=False)
        self.console.print(f" > {step.strip()} {text}:", markup=False, highlight=False)
        for line in lines:
            self.console.print(line, markup=False, highlight=False)
        self.console.print("------", markup=False)
