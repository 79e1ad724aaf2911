"""Speed of a one-off container: ``pycompose run --rm SERVICE true`` against a
bare ``runc run`` of an equivalent bundle (the same generated config.json:
Docker's capabilities, seccomp filter, mounts and masked paths; the busybox
image's files as root).

Prints the median wall time of each (whole process, as a user waits for it),
the ratio, and where pycompose's time goes (the interpreter and imports alone,
via ``pycompose version``).  Needs root, runc and conmon; works in a scratch
state root and network namespace of its own and removes them.
Run: .venv/bin/python bench/run.py [ROUNDS]
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from compose.loader import LoadOptions, load_project  # noqa: E402
from runtime.host import host_facts  # noqa: E402
from runtime.servicespec import Gathered, decide  # noqa: E402
from runtime.spec import build_spec  # noqa: E402
from runtime.store import ImageStore  # noqa: E402

COMPOSE = "services:\n  bench:\n    image: busybox\n    command: [\"true\"]\n"


def timed(argv: list[str], **kwargs: object) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   stdin=subprocess.DEVNULL, **kwargs)  # type: ignore[call-overload]
    return time.perf_counter() - start


def bare_bundle(root: Path, work: Path, project: Path) -> Path:
    """A bundle with pycompose's own config for the service, over a copy of the
    busybox image's files."""
    store = ImageStore(root / "images")
    image = store.resolve("busybox")
    bundle = work / "bundle"
    layer = root / "layers" / image.layers[0].diff_id.removeprefix("sha256:")
    shutil.copytree(layer, bundle / "rootfs", symlinks=True)
    loaded = load_project(LoadOptions(files=("compose.yaml",), cwd=str(project), environ={}))
    service = loaded.project.services["bench"]
    gathered = Gathered(container_id="bench", hostname="bench",
                        rootfs=str(bundle / "rootfs"), host=host_facts(), netns=None)
    config = build_spec(decide(service, image.runtime_config, gathered).spec)
    config["linux"].pop("cgroupsPath", None)
    (bundle / "config.json").write_text(json.dumps(config))
    return bundle


def main(rounds: int) -> None:
    if os.geteuid() != 0:
        sys.exit("bench/run.py needs root")
    work = Path(tempfile.mkdtemp(prefix="pycompose-bench-"))
    netns = f"pcbench-{secrets.token_hex(3)}"
    root = work / "root"
    project = work / "project"
    project.mkdir()
    (project / "compose.yaml").write_text(COMPOSE)
    env = {**os.environ, "PYCOMPOSE_ROOT": str(root), "PYTHONPATH": str(REPO),
           "NO_COLOR": "1"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed tool has its bytecode cached
    pycompose = ["nsenter", f"--net=/run/netns/{netns}", "--", sys.executable, "-m",
                 "compose.cli"]
    subprocess.run(["ip", "netns", "add", netns], check=True)
    try:
        subprocess.run([*pycompose, "image", "bootstrap"], env=env, check=True,
                       capture_output=True)
        # the first run unpacks the image's layer, which the bare bundle copies
        timed([*pycompose, "run", "--rm", "-T", "bench", "true"], env=env, cwd=project)
        runc = shutil.which("runc") or "/usr/sbin/runc"
        bundle = bare_bundle(root, work, project)
        state = work / "runc-state"
        timed([runc, "--root", str(state), "run", "--bundle", str(bundle), "warm"])
        bare, ours, startup = [], [], []
        for n in range(rounds):
            bare.append(timed([runc, "--root", str(state), "run", "--bundle", str(bundle),
                               f"bench{n}"]))
            ours.append(timed([*pycompose, "run", "--rm", "-T", "bench", "true"], env=env,
                              cwd=project))
            startup.append(timed([sys.executable, "-m", "compose.cli", "version"], env=env))
        b, o, s = (statistics.median(x) for x in (bare, ours, startup))
        print(f"bare runc run:               {b * 1000:7.1f} ms (median of {rounds})")
        print(f"pycompose run --rm ... true: {o * 1000:7.1f} ms")
        print(f"  of which interpreter + imports (pycompose version): {s * 1000:.1f} ms")
        print(f"ratio: {o / b:.1f}x (target: 2x)")
    finally:
        subprocess.run([*pycompose, "down", "-t", "0"], env=env, cwd=project,
                       capture_output=True)
        subprocess.run(["ip", "netns", "delete", netns], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
