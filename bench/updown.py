"""Figure 1: ``up -d`` then ``down`` of 1, 5 and 20 trivial services.

Each service is busybox running ``sleep 3600`` with ``init: true``, brought down
with ``-t 0``, so no side waits for a grace period.  Timed, interleaved round by
round: pycompose (``up -d`` + ``down``, its supervisor included), podman-compose
1.6.0 (podman with runc) on the same file, and the floor: a shell loop doing
``runc run -d`` of as many bundles, then ``runc kill`` and ``runc delete`` of
each.  Targets: 20 services under 1 s, at least 7x faster than podman-compose,
within 1.5x of the floor.  Needs root; runs in a scratch state root and network
namespace (podman's bridges are made there too) and removes everything.

Run: .venv/bin/python bench/updown.py [--rounds N] [--quick] [--json]
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    Figure,
    Scratch,
    floor_bundle,
    main,
    need_root,
    peers_missing,
    podman_compose,
    scratch,
    timed,
)
from common import forkclient

SIZES = (1, 5, 20)
TARGET_PEER = {1: "target ≤ 0.25x"}
"""Issue 16's targets: against podman-compose, and against the runc loop."""
TARGET_FLOOR = {1: "target ≤ 4x", 20: "target ≤ 1.5x"}


def compose_file(services: int, image: str) -> str:
    lines = ["services:"]
    for index in range(services):
        lines += [f"  s{index}:", f"    image: {image}", "    init: true",
                  "    command: [\"sleep\", \"3600\"]"]
    return "\n".join(lines) + "\n"


FLOOR = """set -e
for i in $(seq 1 {n}); do {runc} --root {state} run -d --bundle {bundle} floor$i \
  </dev/null >/dev/null 2>&1; done
for i in $(seq 1 {n}); do {runc} --root {state} kill floor$i KILL; done
for i in $(seq 1 {n}); do {runc} --root {state} delete -f floor$i; done
"""


def _pycompose(space: Scratch, project: Path, split: list[tuple[float, float]],
               env: dict[str, str] | None = None) -> float:
    up = timed(space.pycompose_argv("up", "-d"), env=env or space.env, cwd=project)
    down = timed(space.pycompose_argv("down", "-t", "0"), env=env or space.env, cwd=project)
    split.append((up, down))
    return up + down


def _podman(space: Scratch, project: Path) -> float:
    up = timed(podman_compose(space, project, "up", "-d"), cwd=project)
    return up + timed(podman_compose(space, project, "down", "-t", "0"), cwd=project)


def _floor(space: Scratch, services: int, seccomp: bool = False) -> float:
    bundle = floor_bundle(space.work, ["sleep", "3600"])
    if seccomp:
        bundle = _with_profile(bundle)
    script = FLOOR.format(n=services, runc="runc", state=space.work / "floor-state",
                          bundle=bundle)
    return timed(space.inside("sh", "-c", script))


def _with_profile(bundle: Path) -> Path:
    """The floor's bundle with the seccomp section pycompose gives a container by
    default (Docker's profile, for the default capabilities, this host's arch and
    kernel): the runc loop as it would run pycompose's spec.  For reading the
    figure: libseccomp compiles that profile in each ``runc init``."""
    from runtime.ocispec.capabilities import container_capabilities
    from runtime.ocispec.host import host_facts
    from runtime.ocispec.seccomp import to_oci
    from runtime.ocispec.seccomp_default import DEFAULT_PROFILE

    profiled = bundle.with_name("floor-bundle-seccomp")
    if not profiled.exists():
        profiled.mkdir()
        (profiled / "rootfs").symlink_to(bundle / "rootfs")
        host = host_facts()
        caps = container_capabilities((), (), privileged=False, bounding=host.bounding)
        config = json.loads((bundle / "config.json").read_text())
        config["linux"]["seccomp"] = to_oci(DEFAULT_PROFILE, capabilities=caps.granted,
                                            arch=host.arch, kernel=host.kernel,
                                            absent=host.absent_arches)
        (profiled / "config.json").write_text(json.dumps(config))
    return profiled


def measure(rounds: int, quick: bool) -> list[Figure]:
    need_root("bench/updown.py")
    sizes = (1,) if quick else SIZES
    missing = peers_missing()
    figures = []
    with scratch() as space:
        for services in sizes:
            ours = space.project(f"pc{services}", compose_file(services, "busybox"))
            theirs = space.project(f"pm{services}",
                                   compose_file(services, "localhost/busybox:latest"))
            split: list[tuple[float, float]] = []
            tools = {"pycompose": partial(_pycompose, space, ours, split),
                     "floor": partial(_floor, space, services)}
            if services == 20:  # what the floor would be running pycompose's spec
                tools["floor+seccomp"] = partial(_floor, space, services, seccomp=True)
            if services == 1:  # each command on its own, as the first after 15 idle minutes
                tools["alone"] = partial(_pycompose, space, ours, [],
                                         {**space.env, forkclient.VARIABLE: "0"})
            if not missing:
                tools["podman-compose"] = partial(_podman, space, theirs)
            samples: dict[str, list[float]] = {name: [] for name in tools}
            for tool in tools.values():
                tool()  # warm-up: layers unpacked, bytecode cached, podman's network
            for _ in range(rounds):  # interleaved: a busy moment hits every tool
                for name, tool in tools.items():
                    samples[name].append(tool())
                    time.sleep(0.2)
            del split[0]  # the warm-up
            parts = (f"pycompose up -d {statistics.median(u for u, _ in split):.2f} s + "
                     f"down {statistics.median(d for _, d in split):.2f} s")
            if not missing:
                subprocess.run(space.inside("podman", "network", "rm", "-f",
                                            f"pm{services}_default"), capture_output=True)
            label = f"1. up -d + down, {services} service{'s' * (services > 1)}"
            figures.append(Figure(f"{label}", "s", samples["pycompose"],
                                  "podman-compose", samples.get("podman-compose", []),
                                  note=f"{missing or TARGET_PEER.get(services, '')}; {parts}"))
            figures.append(Figure(f"{label} (vs floor)", "s", samples["pycompose"],
                                  "runc loop (floor)", samples["floor"],
                                  note=TARGET_FLOOR.get(services, "")))
            if "floor+seccomp" in samples:
                figures.append(Figure(f"{label} (vs floor with Docker's seccomp profile)",
                                      "s", samples["pycompose"],
                                      "runc loop + profile", samples["floor+seccomp"],
                                      note="informative: the same loop running the "
                                           "profile pycompose applies by default"))
            if "alone" in samples:
                figures.append(Figure(f"{label}, without the fork server", "s",
                                      samples["alone"], "runc loop (floor)", samples["floor"],
                                      note="each command imports on its own"))
    return figures


if __name__ == "__main__":
    main(measure, 5, __doc__)
