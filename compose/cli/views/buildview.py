"""Build progress on the console, in docker compose's (BuildKit's) words.

On a terminal: a live block (``[+] Building 2.1s (4/9)``), one line per finished
step (`` => [web 2/5] RUN make   1.2s``, ``CACHED`` for a cache hit), and under the
running step its last output lines (`` => => # ...``), as BuildKit's tty mode
draws them.  Otherwise (logs, tests, ``--progress plain``-like): one line per
step as it ends and a RUN's output lines as they come.  In both, a failure ends
with BuildKit's block: the failing step, its last output lines and its exit
code; ``-q`` prints only that.  Only renders: the ``BuildEvent``s come from the
image backend's builder.
"""

from __future__ import annotations

import time
from collections import deque
from types import TracebackType

from rich.console import Console, Group
from rich.live import Live
from rich.text import Text

from common.images import BuildResult
from common.progress import BuildEvent

_TAIL = 30
_LIVE_TAIL = 6
_REFRESH = 0.1


class BuildView:
    def __init__(self, console: Console, *, quiet: bool = False,
                 live: bool | None = None) -> None:
        self.console = console
        self.quiet = quiet
        self.live_mode = (console.is_terminal if live is None else live) and not quiet
        self.started: dict[str, float] = {}
        self.output: dict[tuple[str, int], deque[str]] = {}
        self.running: dict[tuple[str, int], tuple[str, float]] = {}
        self.finished: list[Text] = []
        self.steps = (0, 0)
        self._live: Live | None = None
        self._drawn = 0.0
        self._label = ""

    def __enter__(self) -> BuildView:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._live is not None:
            self._live.update(self.render(), refresh=True)
            self._live.stop()
            self._live = None

    def start(self, label: str) -> None:
        self._label = label
        self.started[label] = time.monotonic()
        self.finished = []
        if self.live_mode:
            self._live = Live(console=self.console, auto_refresh=False, transient=False)
            self._live.start()
            self._draw(force=True)
        elif not self.quiet:
            self.console.print(Text(f"[+] Building {label}", style="bold"))

    def finish(self, label: str, result: BuildResult) -> None:
        self._stop()
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
        if event.step:
            self.steps = (event.step, event.total)
        if event.status == "running":
            self.running[key] = (event.text, time.monotonic())
            self.output[key] = deque(maxlen=_TAIL)
            self._draw(force=True)
            return
        if event.status == "output":
            self.output.setdefault(key, deque(maxlen=_TAIL)).append(event.text)
            if self._live is not None:
                self._draw()
            elif not self.quiet:
                prefix = f"#{event.step} " if event.step else ""
                self.console.print(Text(f"{prefix}{event.text}", style="dim"))
            return
        if event.status == "error":
            self._stop()
            self._error(event)
            return
        self.running.pop(key, None)
        step = self._step(event)
        if event.status == "cached":
            line = Text.assemble(" => ", ("CACHED ", "blue"), step, event.text)
        else:
            line = Text.assemble(" => ", step, event.text, (f"  {event.elapsed:.1f}s", "dim"))
        if self._live is not None:
            self.finished.append(line)
            self._draw(force=True)
        elif not self.quiet:
            self.console.print(line, highlight=False)

    def _draw(self, force: bool = False) -> None:
        if self._live is None:
            return
        now = time.monotonic()
        if force or now - self._drawn >= _REFRESH:
            self._drawn = now
            self._live.update(self.render(), refresh=True)

    def render(self) -> Group:
        now = time.monotonic()
        elapsed = now - self.started.get(self._label, now)
        step, total = self.steps
        lines = [Text(f"[+] Building {elapsed:.1f}s ({step}/{total})", style="bold"),
                 *self.finished]
        for key, (text, started) in self.running.items():
            lines.append(Text.assemble(" => ", f"[{key[0]} {key[1]}/{total}] ", text,
                                       (f"  {now - started:.1f}s", "dim")))
            for output in list(self.output.get(key, ()))[-_LIVE_TAIL:]:
                lines.append(Text(f" => => # {output}", style="dim"))
        return Group(*lines)

    def _error(self, event: BuildEvent) -> None:
        key = (event.label, event.step)
        text = self.running.pop(key, (event.text, 0.0))[0]
        step = self._step(event)
        lines = list(self.output.get(key, ()))
        self.console.print(Text.assemble(" => ", ("ERROR ", "red"), step, text,
                                         f"  {event.elapsed:.1f}s"), highlight=False)
        self.console.print("------", markup=False)
        self.console.print(f" > {step.strip()} {text}:", markup=False, highlight=False)
        for line in lines:
            self.console.print(line, markup=False, highlight=False)
        self.console.print("------", markup=False)
