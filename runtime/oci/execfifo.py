"""``runc start`` without a runc process: a created container's init waits, blocked,
to write one byte into ``exec.fifo`` in runc's state directory; ``runc start``
opens the fifo, reads until the init has exec'd the container's process (the
write end closes), and removes it, which is how runc tells ``created`` from
``running`` (libcontainer's ``exec`` and ``handleFifoResult``).  Done here, a
start costs no Go process (6-10 ms each: every ``up``, ``run`` and restart).

Only runc's layout is known; with another runtime, or without a fifo, the
runtime is asked (``OciRuntime.start``).  Synchronous: for a worker thread.
"""

from __future__ import annotations

import os
import select
from pathlib import Path

from common.errors import RuntimeFailure
from runtime.oci.runcstate import read_state

LOOK_AGAIN = 0.1
"""Seconds between looks at the init while it has not written (runc's 100 ms)."""


def start_created(root: Path, container_id: str, name: str) -> bool:
    """Let the created container's process start; False when the runtime must do it
    (no such fifo: not a runc container, or not created); ``RuntimeFailure`` when
    its init died before writing, as ``runc start`` fails."""
    fifo = root / container_id / "exec.fifo"
    state = read_state(root, container_id)
    if state is None or state["status"] != "created":
        return False
    try:
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        written = _read_until_exec(fd, root, container_id)
    finally:
        os.close(fd)
    if not written:
        raise RuntimeFailure(f"cannot start {name}: its process is already dead")
    fifo.unlink(missing_ok=True)
    return True


def _read_until_exec(fd: int, root: Path, container_id: str) -> bytes:
    """What the init writes, until it closes the fifo by exec'ing; empty when the
    init is gone without writing."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    data = b""
    while True:
        if not poller.poll(LOOK_AGAIN * 1000):
            current = read_state(root, container_id)
            if current is None or current["status"] == "stopped":
                return data  # it died meanwhile (anything it wrote is read next time)
            continue
        try:
            chunk = os.read(fd, 64)
        except BlockingIOError:
            continue
        if not chunk:
            return data  # the write end closed: the init has exec'd (or died)
        data += chunk
