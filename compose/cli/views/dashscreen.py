"""The dashboard on the terminal: rich's ``Live`` on the alternate screen, redrawn
with each ``Screen`` (``dashview.render``), and set aside while a key's action
owns the terminal (following logs, a shell)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from rich.console import Console
from rich.live import Live

from common.terminal import terminal_size
from compose.cli.views.dashview import Screen, render


class DashScreen:
    def __init__(self, console: Console) -> None:
        self.console = console
        self._live = Live(console=console, auto_refresh=False, screen=True,
                          redirect_stdout=False, redirect_stderr=False)
        self._shown = False

    def __enter__(self) -> DashScreen:
        self._live.start()
        self._shown = True
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._shown:
            self._live.stop()
            self._shown = False

    @property
    def height(self) -> int:
        return self.console.size.height

    def draw(self, screen: Screen) -> None:
        size = terminal_size()  # the terminal we draw on (rich asks stdin's first)
        if size is not None and all(size):
            self.console.size = (size[1], size[0])
        if self._shown:
            self._live.update(render(screen), refresh=True)

    @contextmanager
    def set_aside(self) -> Iterator[None]:
        """The normal screen for the block (a command's own output), then back."""
        self._live.stop()
        self._shown = False
        try:
            yield
        finally:
            self._live.start()
            self._shown = True
