"""A lifecycle hook's process (``post_start``, ``pre_stop``): run with
``runtime exec`` like ``exec``, but with its output going where the container's
goes, its log file, line by line as it comes, so ``logs`` and an attached ``up``
show it with the service's own output, as docker compose shows it."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import trio

from runtime.oci import logs

_CHUNK = 65536


async def run_hook_process(argv: Sequence[str], log: Path) -> int:
    """Run ``argv`` (a runtime's exec) with its stdout and stderr appended to ``log``;
    its exit status (128+N if killed by signal N)."""
    async with trio.open_nursery() as nursery:
        process: trio.Process = await nursery.start(partial(
            trio.run_process, list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, check=False))
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
