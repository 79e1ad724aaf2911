"""The terminal side of a container: conmon's attach socket, and a foreground
runtime process (``exec``) whose stdio is ours.

conmon's attach socket is SOCK_SEQPACKET: each message conmon sends is one
output chunk led by a byte naming the stream (2 stdout, 3 stderr); what we send
is written to the container's stdin, and shutting our side for writing closes
that stdin.  Resizing a terminal goes through the bundle's ``ctl`` fifo
(``1 <rows> <cols>``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import trio

from common.detachkeys import DetachScanner
from common.status import DETACHED, EXITED
from common.terminal import flush_stdio, raw_terminal, terminal_size
from runtime.oci import conmonctl

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
             signal.SIGUSR2)
"""Signals a foreground runtime process gets from us (it relays them inward)."""

STDOUT_PIPE, STDERR_PIPE = 2, 3
_BUFFER = 8192 + 1


async def _write_out(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = await trio.to_thread.run_sync(os.write, fd, view)
        view = view[written:]


class Attachment:
    """A connection to a container's stdio through conmon."""

    def __init__(self, sock: trio.socket.SocketType, bundle: Path) -> None:
        self.sock = sock
        self.bundle = bundle

    @classmethod
    async def connect(cls, path: Path, bundle: Path) -> Attachment:
        sock = trio.socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # A long path goes through a directory fd (sun_path holds 108 bytes).
        directory = os.open(path.parent, os.O_PATH | os.O_CLOEXEC)
        try:
            await sock.connect(f"/proc/self/fd/{directory}/{path.name}")
        except BaseException:
            sock.close()
            raise
        finally:
            os.close(directory)
        return cls(sock, bundle)

    async def pump_output(self) -> None:
        """Copy the container's output to ours until conmon closes the socket."""
        while True:
            try:
                message = await self.sock.recv(_BUFFER)
            except OSError:
                return
            if not message:
                return
            fd = 2 if message[0] == STDERR_PIPE else 1
            await _write_out(fd, message[1:])

    async def pump_input(self, detach: DetachScanner | None = None) -> bool:
        """Copy our stdin to the container's; at end of input, close its stdin (conmon
        keeps it open if started with ``--leave-stdin-open``).  True when the user
        typed ``detach``'s key sequence."""
        while True:
            data = await trio.to_thread.run_sync(os.read, 0, 8192, abandon_on_cancel=True)
            if not data:
                break
            detached = False
            if detach is not None:
                data, detached = detach.feed(data)
            try:
                if data:
                    await self.sock.send(data)
            except OSError:
                return False
            if detached:
                return True
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_WR)
        return False

    def resize(self) -> None:
        size = terminal_size()
        if size is None:
            return
        conmonctl.send(self.bundle, conmonctl.RESIZE, size[0], size[1])

    async def follow_resizes(self) -> None:
        with trio.open_signal_receiver(signal.SIGWINCH) as signals:
            self.resize()
            async for _ in signals:
                self.resize()

    def close(self) -> None:
        self.sock.close()


async def run_foreground(argv: Sequence[str], *, tty: bool, detach: bool = False) -> int:
    """Run a runtime process with our stdio and return its exit status (128+N if
    killed by signal N).  With a terminal the runtime owns it (raw mode, resizes,
    ^C as a key); otherwise it runs in its own session and we forward the signals
    we receive, so the process gets each once."""
    stdio = subprocess.DEVNULL if detach else None
    process = await trio.lowlevel.open_process(list(argv), start_new_session=not tty,
                                               stdin=stdio, stdout=stdio, stderr=stdio)
    try:
        with trio.open_signal_receiver(*FORWARDED) as signals:
            async with trio.open_nursery() as nursery:

                async def forward() -> None:
                    async for number in signals:
                        with contextlib.suppress(ProcessLookupError):
                            process.send_signal(number)

                nursery.start_soon(forward)
                await process.wait()
                nursery.cancel_scope.cancel()
    finally:
        if process.returncode is None:
            with trio.CancelScope(shield=True):
                process.kill()
                await process.wait()
    code = process.returncode if process.returncode is not None else -signal.SIGKILL
    return 128 - code if code < 0 else code


async def attached(start: Callable[[Callable[[], Awaitable[None]]], Awaitable[None]],
                   socket_path: Callable[[], Path], bundle: Path, *, tty: bool,
                   interactive: bool, kill: Callable[[str], Awaitable[object]]) -> None:
    """Start a container with our stdio on conmon's attach socket and pump it until
    the container ends.  ``start`` runs the container, calling its argument once
    conmon holds it (so no output is missed); without a terminal our signals are
    forwarded with ``kill``."""
    connection: list[Attachment] = []

    async def attach() -> None:
        connection.append(await Attachment.connect(socket_path(), bundle))

    flush_stdio()
    with raw_terminal(tty):
        await start(attach)
        attachment = connection[0]
        try:
            async with trio.open_nursery() as nursery:
                if interactive:
                    nursery.start_soon(attachment.pump_input)
                if tty:
                    nursery.start_soon(attachment.follow_resizes)
                else:
                    nursery.start_soon(_forward_signals, kill)
                await attachment.pump_output()  # until conmon closes it: the container ended
                nursery.cancel_scope.cancel()
        finally:
            attachment.close()


async def _forward_signals(kill: Callable[[str], Awaitable[object]]) -> None:
    with trio.open_signal_receiver(*FORWARDED) as signals:
        async for number in signals:
            await kill(signal.Signals(number).name)


async def attach_running(socket_path: Path, bundle: Path, *, tty: bool, stdin: bool,
                         detach_keys: bytes, sig_proxy: bool,
                         kill: Callable[[str], Awaitable[object]]) -> str | int:
    """Join a running container's stdio (``attach``) until it ends (``EXITED``), the
    user types ``detach_keys`` (``DETACHED``) or, with nothing to forward them to, a
    SIGINT or SIGTERM reaches us (its number).  conmon fans the output out to every
    client, so others attached meanwhile see the same; leaving closes only our
    connection."""
    attachment = await Attachment.connect(socket_path, bundle)
    outcome: list[str | int] = [EXITED]

    async def read_input(cancel: trio.CancelScope) -> None:
        if await attachment.pump_input(DetachScanner(detach_keys)):
            outcome[0] = DETACHED
            cancel.cancel()

    async def until_signal(cancel: trio.CancelScope) -> None:
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for number in signals:
                outcome[0] = int(number)
                cancel.cancel()
                return

    flush_stdio()
    with raw_terminal(tty and stdin):
        try:
            async with trio.open_nursery() as nursery:
                if stdin:
                    nursery.start_soon(read_input, nursery.cancel_scope)
                if tty:
                    nursery.start_soon(attachment.follow_resizes)
                if sig_proxy and not tty:  # a terminal gets ^C as a key instead
                    nursery.start_soon(_forward_signals, kill)
                else:
                    nursery.start_soon(until_signal, nursery.cancel_scope)
                await attachment.pump_output()  # until conmon closes it: the container ended
                nursery.cancel_scope.cancel()
        finally:
            attachment.close()
    return outcome[0]
