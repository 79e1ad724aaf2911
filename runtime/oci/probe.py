"""Health probes: a command run inside a running container with ``runtime exec``.

Docker runs probes the same way (an exec in the container's namespaces).  The
probe's output is kept (cut later); a probe that cannot run or outlives its
timeout counts as a failure with exit code -1.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Sequence

import trio

from common.paths import Layout
from common.status import Probe


async def run_probe(layout: Layout, runtime: str, container_id: str, command: Sequence[str],
                    timeout: float) -> Probe:
    start = time.time()  # wall clock, like the container's start time it is compared with
    wall = time.time
    argv = [runtime, "--root", str(layout.runc_root), "exec", container_id, *command]
    result: subprocess.CompletedProcess[bytes] | None = None
    with trio.move_on_after(timeout) as scope:
        try:
            result = await trio.run_process(argv, capture_stdout=True, capture_stderr=True,
                                            check=False, stdin=b"")
        except OSError as exc:
            return Probe(start, wall(), -1, f"cannot run probe: {exc}")
    if scope.cancelled_caught or result is None:
        return Probe(start, wall(), -1, f"Health check exceeded timeout ({timeout:g}s)")
    output = (result.stdout + result.stderr).decode(errors="replace")
    return Probe(start, wall(), result.returncode, output)
