"""A standby's way out while it imports (``standby.py``): the command that started
it may learn early that it will not need it (the project's supervisor runs) and
close the pipe the project would come on.  A standby still importing then ends at
once, rather than finishing its imports beside the command on a machine of two
cores: that made ``run --rm`` on a running project 50 ms slower.

Only module imports happen under this guard, so ending the process there
(``os._exit``) leaves nothing behind.  This module imports no more than a thread
needs: it runs before trio is imported.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def end_if_dismissed(go: int) -> Iterator[None]:
    """While the block runs, the process ends when ``go`` is closed by its writer
    without a project written on it; afterwards its reader tells (as before)."""
    wake_read, wake_write = os.pipe()
    lock = threading.Lock()
    guarding = True

    def watch() -> None:
        poller = select.poll()
        poller.register(go, select.POLLIN | select.POLLHUP)
        poller.register(wake_read, select.POLLIN)
        events = dict(poller.poll()).get(go, 0)
        if events & select.POLLHUP and not events & select.POLLIN:
            with lock:
                if guarding:
                    os._exit(0)

    watcher = threading.Thread(target=watch, name="standby-dismissal", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        with lock:
            guarding = False
        os.write(wake_write, b".")
        watcher.join()
        os.close(wake_read)
        os.close(wake_write)
