"""Loading speed: a project of 200 services with `extends` and 3 override files.

Prints the median wall time of loading and canonicalising it (the target is
150 ms at most), and the wall time of ``pycompose config -q`` on the same files
against Docker Compose's (``/opt/peers/docker-compose``, installed by the peers'
setup).  Run: .venv/bin/python bench/load.py [--rounds N] [--quick] [--json]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.common import PEERS, Figure, main, pycompose_command, timed  # noqa: E402
from compose.spec.loader import LoadOptions, load_project  # noqa: E402

DOCKER_COMPOSE = PEERS / "docker-compose"

SERVICES = 200


def write_project(directory: Path) -> list[str]:
    base = {
        "x-common": {"restart": "always"},
        "services": {
            "base": {"image": "busybox", "environment": {"A": "1"}, "labels": ["tier=base"]},
            **{
                f"svc{i}": {
                    "extends": {"service": "base"},
                    "image": f"registry.local/app{i % 7}:${{TAG:-1.0}}",
                    "command": ["sh", "-c", f"echo {i}"],
                    "environment": [f"INDEX={i}", "MODE=prod"],
                    "ports": [f"{10000 + i}:80"],
                    "volumes": [f"data{i % 10}:/data", "./conf:/etc/conf:ro"],
                    "depends_on": [f"svc{i - 1}"] if i else [],
                    "healthcheck": {"test": ["CMD", "true"], "interval": "30s"},
                }
                for i in range(SERVICES)
            },
        },
        "volumes": {f"data{i}": {} for i in range(10)},
    }
    files = ["compose.yaml"]
    (directory / "compose.yaml").write_text(yaml.safe_dump(base))
    for n in range(3):
        override = {"services": {f"svc{i}": {"environment": {f"OVERRIDE{n}": str(i)},
                                              "labels": {f"layer{n}": "yes"}}
                                 for i in range(n, SERVICES, 3)}}
        name = f"override{n}.yaml"
        (directory / name).write_text(yaml.safe_dump(override))
        files.append(name)
    return files


def measure(rounds: int, quick: bool) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="pycompose-bench-") as tmp:
        directory = Path(tmp)
        files = write_project(directory)
        options = LoadOptions(files=tuple(files), project_name="bench",
                              environ={"PATH": "/usr/bin"}, cwd=str(directory))
        load_project(options)  # warm up: imports, schema compilation
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            loaded = load_project(options)
            times.append(time.perf_counter() - start)
        if len(loaded.project.services) != SERVICES + 1:
            raise RuntimeError(f"loaded {len(loaded.project.services)} services")
        figures = [Figure(f"6. load {SERVICES + 1} services, extends, 3 overrides (in-process)",
                          "s", times, note="target ≤ 150 ms")]
        # The whole command, against Docker Compose's own `config` (no engine needed).
        flags = [arg for name in files for arg in ("-f", name)]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(REPO),
               "PYTHONPYCACHEPREFIX": str(directory / "pyc")}
        ours_argv = [*pycompose_command(), "-p", "bench", *flags, "config", "-q"]
        theirs_argv = [str(DOCKER_COMPOSE), "-p", "bench", *flags, "config", "-q"]
        if quick or not DOCKER_COMPOSE.exists():
            return figures
        ours, theirs = [], []
        timed(ours_argv, cwd=directory, env=env)
        timed(theirs_argv, cwd=directory, env=env)
        for _ in range(rounds):
            ours.append(timed(ours_argv, cwd=directory, env=env))
            theirs.append(timed(theirs_argv, cwd=directory, env=env))
        figures.append(Figure("6. `config -q` of the same files (whole command)", "s", ours,
                              "docker compose v2.40.3", theirs, note="target ≤ 0.5x"))
    return figures


if __name__ == "__main__":
    main(measure, 15, __doc__)
