"""compose/forkserver.py's preloads: what a process forked from a server goes on to
import is its own time (a command's, before its containers run) and CPU (a
supervisor's, taken from the containers starting beside it), so what their usual
work imports must be loaded in the server."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
sys.argv = ["forkserver"]
from compose import forkserver
forkserver.{preload}()
before = set(sys.modules)
{imports}
print(sorted(m for m in set(sys.modules) - before if m.split(".")[0] in
             ("compose", "runtime", "network", "volumes", "common")))
"""


def _imported_after(preload: str, imports: str) -> str:
    script = SCRIPT.format(preload=preload, imports=imports)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_a_supervisor_s_watch_imports_nothing_the_server_has_not() -> None:
    assert _imported_after("preload_supervisor", """
from compose.wiring import _image_service  # what Context.image_config makes first
from runtime.image_backend import ImageService
from compose.supervisor.watch import ContainerWatcher
""") == "[]"


def test_a_served_command_s_bundle_imports_nothing_the_server_has_not() -> None:
    assert _imported_after("preload", """
from runtime.oci import bundle
from runtime.ocispec.servicespec import decide  # what bundle.make imports when it runs
from runtime.ocispec.spec import build_spec
from volumes.driver import prepare
""") == "[]"
