"""A lifecycle hook's process (``post_start``, ``pre_stop``): run with
``runtime exec`` like ``exec``, with its output going where the container's own
goes, so ``logs`` and an attached ``up`` show it with the service's output, as
docker compose shows it.

Where the container's goes is its main process's stdout and stderr: conmon's
pipes (or its terminal), which conmon writes to the log, stamped, counted
against the size cap and across rotations.  The hook is handed those very pipes
(``/proc/<pid>/fd/1`` and ``2``).  Should the process have none left to hand,
the hook's lines are appended to the log file instead (as conmon's first file
is opened to append, each batch is one ``write``)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path

import trio

from runtime.oci import logs

_CHUNK = 65536


@contextlib.contextmanager
def container_stdio(pid: int | None) -> Iterator[tuple[int, int] | None]:
    """The write ends of the container's stdout and stderr, while needed; None when
    its main process is gone or has closed them."""
    if not pid:
        yield None
        return
    opened: list[int] = []
    try:
        for fd in (1, 2):
            opened.append(os.open(f"/proc/{pid}/fd/{fd}", os.O_WRONLY | os.O_CLOEXEC))
    except OSError:
        for fd in opened:
            os.close(fd)
        yield None
        return
    try:
        yield opened[0], opened[1]
    finally:
        for fd in opened:
            os.close(fd)


async def run_hook_process(argv: Sequence[str], log: Path,
                           stdio: tuple[int, int] | None = None) -> int:
    """Run ``argv`` (a runtime's exec) with its output on ``stdio`` (the container's
    stdout and stderr), else appended to ``log``; its exit status (128+N if killed
    by signal N)."""
    run = partial(trio.run_process, list(argv), stdin=subprocess.DEVNULL, check=False)
    async with trio.open_nursery() as nursery:
        if stdio is not None:
            process: trio.Process = await nursery.start(partial(
                run, stdout=stdio[0], stderr=stdio[1]))
        else:
            process = await nursery.start(partial(
                run, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
            assert process.stdout is not None and process.stderr is not None
            nursery.start_soon(_pump, process.stdout, "stdout", log)
            nursery.start_soon(_pump, process.stderr, "stderr", log)
    code = process.returncode if process.returncode is not None else -9
    return 128 - code if code < 0 else code


async def _pump(stream: trio.abc.ReceiveStream, name: str, log: Path) -> None:
    """Copy whole lines into the log as they come; a last unfinished one at the end."""
    pending = b""
    async with stream:
        while chunk := await stream.receive_some(_CHUNK):
            pending += chunk
            complete, newline, pending = pending.rpartition(b"\n")
            if newline:
                _write(log, name, complete)
    if pending:
        _write(log, name, pending)


def _write(log: Path, name: str, data: bytes) -> None:
    lines = data.decode(errors="replace").split("\n")
    logs.append(log, name, [line.removesuffix("\r") for line in lines])
