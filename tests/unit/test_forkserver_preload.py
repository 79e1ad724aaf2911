"""compose/forkserver.py's preloads: what a supervisor forked from the
supervisors' server goes on to import is its own CPU, taken from the containers
it is starting beside, so what its watch uses must be loaded in the server."""

from __future__ import annotations

import subprocess
import sys

WATCH_IMPORTS = """
import sys
sys.argv = ["forkserver"]
from compose import forkserver
forkserver.preload_supervisor()
before = set(sys.modules)
from compose.wiring import _image_service  # what Context.image_config makes first
from runtime.image_backend import ImageService
from compose.supervisor.watch import ContainerWatcher
print(sorted(m for m in set(sys.modules) - before if m.split(".")[0] in
             ("compose", "runtime", "network", "volumes", "common")))
"""


def test_a_supervisor_s_watch_imports_nothing_the_server_has_not() -> None:
    result = subprocess.run([sys.executable, "-c", WATCH_IMPORTS], capture_output=True,
                            text=True, check=True)
    assert result.stdout.strip() == "[]"


BUNDLE_IMPORTS = """
import sys
sys.argv = ["forkserver"]
from compose import forkserver
forkserver.preload()
before = set(sys.modules)
from runtime.oci import bundle
from runtime.ocispec.servicespec import decide  # what bundle.make imports when it runs
from runtime.ocispec.spec import build_spec
from volumes.driver import prepare
print(sorted(m for m in set(sys.modules) - before if m.split(".")[0] in
             ("compose", "runtime", "network", "volumes", "common")))
"""


def test_a_served_command_s_bundle_imports_nothing_the_server_has_not() -> None:
    result = subprocess.run([sys.executable, "-c", BUNDLE_IMPORTS], capture_output=True,
                            text=True, check=True)
    assert result.stdout.strip() == "[]"
