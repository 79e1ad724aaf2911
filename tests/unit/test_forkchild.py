"""A fork server's child tells its command how it ended as soon as it is done,
before its own teardown: the command ends, and whoever reads its output sees the
end, while the child's process still exists."""

from __future__ import annotations

import socket
import struct
import subprocess
import sys
from pathlib import Path

from common import forkclient

CHILD = """
import os, socket, sys, time
from compose import app, forkchild
conn = socket.socket(fileno=int(sys.argv[1]))
forkchild.app_ending(conn)
print("done", flush=True)
app.ending(3)
time.sleep(30)  # a teardown that takes its time
"""


def test_the_status_and_the_end_of_output_come_before_the_teardown() -> None:
    ours, theirs = socket.socketpair()
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(theirs.fileno())],
                             pass_fds=(theirs.fileno(),), stdout=subprocess.PIPE,
                             cwd=Path(__file__).parents[2])
    theirs.close()
    try:
        assert child.stdout is not None
        assert child.stdout.read() == b"done\n"  # EOF: its streams are closed
        ours.settimeout(10)
        assert ours.recv(5) == forkclient.STATUS + struct.pack("!i", 3 << 8)
        assert child.poll() is None  # still there, ending in its own time
    finally:
        child.kill()
        child.wait()
        ours.close()
