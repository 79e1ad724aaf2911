"""Loading speed: a project of 200 services with `extends` and 3 override files.

Prints the median wall time of loading and canonicalising it (the target is
under 200 ms).  Run: .venv/bin/python bench/load.py [ROUNDS]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

from compose.loader import LoadOptions, load_project

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


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    with tempfile.TemporaryDirectory() as tmp:
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
    assert len(loaded.project.services) == SERVICES + 1
    print(f"load {SERVICES + 1} services, extends, 3 override files: "
          f"median {statistics.median(times) * 1000:.1f} ms, "
          f"min {min(times) * 1000:.1f} ms over {rounds} rounds (target < 200 ms)")


if __name__ == "__main__":
    main()
