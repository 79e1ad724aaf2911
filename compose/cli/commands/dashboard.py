"""``pycompose dashboard``: one live screen of the project, from its supervisor.

The supervisor's snapshots (``Supervisors.snapshot``) are drawn as they change
(asked with the last generation seen, it answers at once on a change, else after a
second for fresh CPU and memory).  Keys act on the selected container's service
through the verbs' own engine paths: ``r`` restart and ``s`` stop (as ``restart``
and ``stop``, in the background, the screen going on), ``l`` follows its logs and
``e`` opens ``sh`` in it (the screen set aside until Ctrl-C or the shell's exit).
``q``, Ctrl-C or SIGTERM quit.
"""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace

import trio

from common.errors import PycomposeError
from common.progress import TransferReporter
from common.records import ContainerRecord
from common.terminal import keys_mode
from compose.cli.commands.exec import exec_in
from compose.cli.commands.logs import logs
from compose.cli.console import Output
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.cli.views.dashscreen import DashScreen
from compose.cli.views.dashview import Screen, selected_view
from compose.engine import startstop
from compose.engine.context import BuildSink, Context, Reporter
from compose.engine.events import Progress
from compose.engine.snapshot import Snapshot
from compose.engine.targets import project_records

INTERVAL = 1.0
"""The longest between two snapshots: CPU and memory are this fresh."""
UP, DOWN = ("\x1b[A", "k"), ("\x1b[B", "j")


@dataclass
class _State:
    """What the screen shows, changed by snapshots, keys and actions."""

    project: str
    cpus: int = 1
    snapshot: Snapshot | None = None
    base: Snapshot | None = None
    """The snapshot CPU is counted from: at least a second older when it can be."""
    selected: int = 0
    logs: tuple[str, ...] = ()
    message: str = ""
    changed: trio.Event = field(default_factory=trio.Event)

    def take(self, snapshot: Snapshot | None) -> None:
        if snapshot is None or self.snapshot is None:
            self.base = None
        elif self.base is None or snapshot.time - self.base.time >= 2 * INTERVAL:
            self.base = self.snapshot
        self.snapshot = snapshot
        self.touch()

    def say(self, message: str) -> None:
        self.message = message
        self.touch()

    def touch(self) -> None:
        self.changed.set()

    def screen(self) -> Screen:
        return Screen(self.project, self.snapshot, self.base, self.selected, self.logs,
                      self.message, self.cpus)


class _Quiet:
    """The engine's ``Reporter`` while the screen is up: what a restart or stop
    reports becomes the screen's message line instead of lines under it."""

    def __init__(self, output: Reporter, state: _State) -> None:
        self._output = output
        self._state = state

    def progress(self, event: Progress) -> None:
        if event.done:
            self._state.say(f"{event.kind} {event.name}: {event.status}")

    def warn(self, message: str) -> None:
        self._state.say(f"warning: {message}")

    def text(self, message: str) -> None:
        self._state.say(message)

    def raw(self, text: str) -> None:
        self._state.say(text.strip())

    def error(self, message: str) -> None:
        self._state.say(message)

    def transfers(self, verb: str, quiet: bool) -> AbstractContextManager[TransferReporter]:
        return self._output.transfers(verb, True)

    def builds(self, quiet: bool) -> AbstractContextManager[BuildSink]:
        return self._output.builds(True)


def split_keys(data: str) -> Iterator[str]:
    """Keys as typed: an escape sequence (an arrow) is one key."""
    index = 0
    while index < len(data):
        if data.startswith("\x1b[", index) and index + 2 < len(data):
            yield data[index:index + 3]
            index += 3
        else:
            yield data[index]
            index += 1


class _Dashboard:
    def __init__(self, ctx: Context, output: Output, state: _State, screen: DashScreen) -> None:
        self.ctx = ctx
        self.output = output
        self.state = state
        self.screen = screen
        self.aside: trio.CancelScope | None = None
        """While following logs: Ctrl-C ends that, not the dashboard."""
        self.records: dict[str, ContainerRecord] = {}

    async def snapshots(self) -> None:
        """Take each snapshot as the supervisor has it, with the selected one's logs."""
        generation: int | None = None
        while True:
            snapshot = await self.ctx.supervisors.snapshot(
                self.state.project, since=generation, wait=INTERVAL)
            if snapshot is None:
                generation = None
                await trio.sleep(INTERVAL)
            else:
                generation = snapshot.generation
            await self._read_logs(snapshot)
            self.state.take(snapshot)

    async def _read_logs(self, snapshot: Snapshot | None) -> None:
        view = selected_view(snapshot, self.state.selected)
        if view is None:
            self.state.logs = ()
            return
        record = self.records.get(view.id)
        if record is None:
            found = await project_records(self.ctx.layout, self.state.project, oneoff=True)
            self.records = {r.id: r for r in found}
            record = self.records.get(view.id)
        if record is None:
            return
        lines, _ = await trio.to_thread.run_sync(self.ctx.containers.log_history, record)
        room = max(3, self.screen.height - len(snapshot.containers if snapshot else ()) - 10)
        self.state.logs = tuple(line.text for line in lines[-room:])

    async def draw(self) -> None:
        while True:
            await self.state.changed.wait()
            self.state.changed = trio.Event()
            self.screen.draw(self.state.screen())
            await trio.sleep(0.05)  # at most twenty frames a second

    async def signals(self, signals: AsyncIterator[int],
                      dashboard: trio.CancelScope) -> None:
        async for signum in signals:
            if signum == signal.SIGINT and self.aside is not None:
                self.aside.cancel()
            else:
                dashboard.cancel()

    async def keys(self, nursery: trio.Nursery) -> None:
        """Read keys until ``q`` (or the terminal closes)."""
        while True:
            await trio.lowlevel.wait_readable(0)
            data = os.read(0, 64).decode(errors="replace")
            if not data:
                return
            for key in split_keys(data):
                if key == "q":
                    return
                await self._key(key, nursery)

    async def _key(self, key: str, nursery: trio.Nursery) -> None:
        views = self.state.snapshot.containers if self.state.snapshot else ()
        if key in UP + DOWN:
            step = -1 if key in UP else 1
            self.state.selected = max(0, min(len(views) - 1, self.state.selected + step))
            await self._read_logs(self.state.snapshot)
            self.state.touch()
            return
        view = selected_view(self.state.snapshot, self.state.selected)
        if view is None:
            return
        project, service = self.state.project, view.service
        if key == "r":
            nursery.start_soon(self._act, f"restarting {service}", lambda: startstop.restart(
                self.ctx, project, [service], None, False))
        elif key == "s":
            nursery.start_soon(self._act, f"stopping {service}", lambda: startstop.stop(
                self.ctx, project, [service], None))
        elif key == "l":
            await self._aside(f"following the logs of {service}; Ctrl-C returns",
                              lambda: logs(self.ctx, self.output, project, services=[service],
                                           follow=True, tail=20), cancellable=True)
        elif key == "e":
            await self._aside(f"sh in {view.name}; exit returns", lambda: exec_in(
                self.ctx, project, service, ["sh"], index=view.number, tty=True))

    async def _act(self, doing: str, action: Callable[[], Awaitable[int]]) -> None:
        self.state.say(f"{doing}…")
        try:
            await action()
        except PycomposeError as exc:
            self.state.say(f"{doing} failed: {exc}")
            return
        self.state.say(f"{doing}: done")

    async def _aside(self, banner: str, action: Callable[[], Awaitable[int]], *,
                     cancellable: bool = False) -> None:
        """Run a command on the normal screen, then come back."""
        with self.screen.set_aside(), trio.CancelScope() as scope:
            self.output.out.print(banner, style="bold", markup=False)
            self.aside = scope if cancellable else None
            try:
                await action()
            except PycomposeError as exc:
                self.state.say(str(exc))
            finally:
                self.aside = None
        self.state.touch()


async def dashboard(ctx: Context, output: Output, project: str) -> int:
    await ctx.supervisors.adopt(project)  # containers without a supervisor get one
    state = _State(project, cpus=os.cpu_count() or 1)
    quiet = replace(ctx, output=_Quiet(ctx.output, state))
    with keys_mode(), DashScreen(output.out) as screen, \
            trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        dash = _Dashboard(quiet, output, state, screen)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(dash.snapshots)
            nursery.start_soon(dash.draw)
            nursery.start_soon(dash.signals, signals, nursery.cancel_scope)
            state.touch()
            await dash.keys(nursery)
            nursery.cancel_scope.cancel()
    return 0


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("dashboard", help="a live screen of the project's containers")
    parser.set_defaults(prepare=prepare)


def prepare(inv: Invocation) -> Prepared:
    name = inv.project_name()
    return lambda ctx: dashboard(ctx, inv.output, name)
