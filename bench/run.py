"""Speed of a one-off container: ``pycompose run --rm SERVICE true`` against a
bare ``runc run`` of an equivalent bundle (the same generated config.json:
Docker's capabilities, seccomp filter, mounts and masked paths; the busybox
image's files as root), and for reference ``podman run --rm`` (from the peers'
setup).

Prints the median wall time of each (whole process, as a user waits for it),
the ratio, and where pycompose's time goes (the interpreter and imports alone,
via ``pycompose version``).  Needs root, runc and conmon; works in a scratch
state root and network namespace of its own and removes them.
Run: .venv/bin/python bench/run.py [--rounds N] [--quick] [--json]
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.common import (  # noqa: E402
    Figure,
    main,
    need_root,
    peers_missing,
    pycompose_command,
    scratch,
    timed,
)
from common.paths import Layout  # noqa: E402
from common.state import container_records  # noqa: E402
from compose.spec.loader import LoadOptions, load_project  # noqa: E402
from runtime.images.store import ImageStore  # noqa: E402
from runtime.ocispec.host import host_facts  # noqa: E402
from runtime.ocispec.servicespec import Gathered, decide  # noqa: E402
from runtime.ocispec.spec import build_spec  # noqa: E402

COMPOSE = ("services:\n  bench:\n    image: busybox\n    command: [\"true\"]\n"
           "  idle:\n    image: busybox\n    command: [\"sleep\", \"3600\"]\n")


def exec_process(layout: Layout, project: str, work: Path) -> tuple[str, Path]:
    """The running ``idle`` container's id, and a process spec for ``runc exec``:
    its own process with ``true`` as the command (what ``pycompose exec`` runs)."""
    (record,) = [r for r in container_records(layout, project) if r.service == "idle"]
    config = json.loads((layout.container_dir(record.id) / "config.json").read_text())
    process = {**config["process"], "args": ["true"], "terminal": False}
    spec = work / "exec-process.json"
    spec.write_text(json.dumps(process))
    return record.id, spec


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


def measure(rounds: int, quick: bool) -> list[Figure]:
    need_root("bench/run.py")
    with scratch() as space:
        project = space.project("project", COMPOSE)
        pycompose = space.pycompose_argv("run", "--rm", "-T", "bench", "true")
        # the first run unpacks the image's layer, which the bare bundle copies
        timed(pycompose, env=space.env, cwd=project)
        bundle = bare_bundle(space.root, space.work, project)
        state = space.work / "runc-state"
        runc = shutil.which("runc") or "/usr/sbin/runc"
        timed([runc, "--root", str(state), "run", "--bundle", str(bundle), "warm"])
        podman = space.inside("podman", "run", "--rm", "localhost/busybox:latest", "true")
        missing = peers_missing()
        if not missing:
            timed(podman)
        space.pycompose("up", "-d", "idle", cwd=project)
        layout = Layout.from_environ(space.env)
        container, spec = exec_process(layout, "project", space.work)
        ours_exec = space.pycompose_argv("exec", "-T", "idle", "true")
        runc_root = str(layout.runc_root)
        runc_exec = space.inside(runc, "--root", runc_root, "exec", "--process", str(spec),
                                 container)
        timed(ours_exec, env=space.env, cwd=project)
        bare, ours, startup, theirs, execs, bare_execs = [], [], [], [], [], []
        for n in range(rounds):  # interleaved: a busy moment hits every tool alike
            execs.append(timed(ours_exec, env=space.env, cwd=project))
            bare_execs.append(timed(runc_exec))
            bare.append(timed([runc, "--root", str(state), "run", "--bundle", str(bundle),
                               f"bench{n}"]))
            ours.append(timed(pycompose, env=space.env, cwd=project))
            startup.append(timed([*pycompose_command(), "version"],
                                 env=space.env))
            if not missing:
                theirs.append(timed(podman))
        space.pycompose("down", "-t", "0", cwd=project)
    return [Figure("5. run --rm svc true", "s", ours, "bare runc run", bare,
                   note="target ≤ 2.5x"),
            Figure("5. exec -T svc true", "s", execs, "runc exec", bare_execs,
                   note="target ≤ 2.5x"),
            Figure("5. run --rm svc true (vs podman)", "s", ours, "podman run --rm", theirs,
                   note=missing),
            Figure("5. … of which interpreter + imports (pycompose version)", "s", startup,
                   note="target ≤ 0.08 s")]


if __name__ == "__main__":
    main(measure, 10, __doc__)
