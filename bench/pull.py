"""Pull speed: a ~100 MB, 5-layer image from a registry on 127.0.0.1, pycompose
against ``skopeo copy`` of the same image to a local directory (the target: at
most 1.5 times skopeo's time).

Starts its own ``docker-registry`` on a free loopback port, pushes the image with
pycompose, then times each tool ROUNDS times from an empty destination and
prints the medians and the ratio.  pycompose is timed as a command
(``pycompose image pull`` in a fresh state root, needs root; it unpacks each
layer as it arrives, so that ``up`` does not wait) and, for reference,
in-process (fetch only, as skopeo); and ``podman pull`` into a fresh storage of its
own, which unpacks as we do.  The rounds are interleaved, so a busy machine slows
every tool alike.  Run: .venv/bin/python bench/pull.py [--rounds N] [--quick] [--json]
(BENCH_PULL_MB=N changes the image's size)
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import trio

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.common import Figure, main, pycompose_command  # noqa: E402
from common.paths import Layout  # noqa: E402
from runtime.distribution.progress import ignore  # noqa: E402
from runtime.distribution.transfers import open_transfers  # noqa: E402
from runtime.images.documents import (  # noqa: E402
    MEDIA_CONFIG,
    MEDIA_LAYER_GZIP,
    MEDIA_MANIFEST,
    canonical_json,
    oci_manifest,
)
from runtime.images.reference import parse_reference  # noqa: E402
from runtime.images.store import ImageStore, sha256_digest  # noqa: E402

LAYERS = 5
ENV = {**os.environ, "PYCOMPOSE_ALLOWED_REGISTRIES": "127.0.0.1:*"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_registry(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    config = directory / "registry.yml"
    config.write_text(json.dumps({
        "version": 0.1, "log": {"level": "error", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": str(directory / "data")}},
        "http": {"addr": f"127.0.0.1:{port}", "secret": "bench"},
    }))
    process = subprocess.Popen(["docker-registry", "serve", str(config)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return process, f"127.0.0.1:{port}"
        time.sleep(0.05)
    process.kill()
    raise SystemExit("docker-registry did not start")


def build_image(store: ImageStore, name: str, megabytes: int) -> None:
    """Layers of incompressible data (gzip level 1), as big as real base images."""
    layers, diff_ids = [], []
    for index in range(LAYERS):
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w") as tar:
            data = os.urandom(megabytes * 1_000_000 // LAYERS)
            info = tarfile.TarInfo(f"data/layer{index}.bin")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        diff_ids.append(sha256_digest(raw.getvalue()))
        layers.append(store.put_blob(gzip.compress(raw.getvalue(), 1, mtime=0),
                                     MEDIA_LAYER_GZIP))
    config = store.put_blob(canonical_json({
        "architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids}}), MEDIA_CONFIG)
    manifest = store.put_blob(oci_manifest(config, layers), MEDIA_MANIFEST)
    store.tag(parse_reference(name), manifest)


async def push(store: ImageStore, name: str) -> None:
    async with open_transfers(store, ENV, ignore) as transfers:
        await transfers.push(name)


async def pull(store: ImageStore, name: str) -> None:
    async with open_transfers(store, ENV, ignore) as transfers:
        await transfers.pull(name)


def timed(action: object) -> float:
    start = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - start


def measure(rounds: int, quick: bool) -> list[Figure]:
    megabytes = 10 if quick else int(os.environ.get("BENCH_PULL_MB", "100"))
    for program in ("docker-registry", "skopeo"):
        if not shutil.which(program):
            raise SystemExit(f"{program} is not installed (apt-get install {program})")
    with tempfile.TemporaryDirectory(prefix="pycompose-bench-") as tmp:
        work = Path(tmp)
        registry, host = start_registry(work)
        try:
            name = f"{host}/bench/big:1"
            source = ImageStore(work / "source")
            build_image(source, name, megabytes)
            trio.run(push, source, name)
            size = sum(p.stat().st_size for p in (work / "source" / "blobs" / "sha256").iterdir())

            def skopeo() -> None:
                target = work / "skopeo"
                shutil.rmtree(target, ignore_errors=True)
                subprocess.run(["skopeo", "copy", "--quiet", "--src-tls-verify=false",
                                f"docker://{name}", f"dir:{target}"], check=True)

            def in_process() -> None:
                shutil.rmtree(work / "inproc", ignore_errors=True)
                trio.run(pull, ImageStore(work / "inproc"), name)

            # As installed: bytecode cached (outside the source tree), after one warm-up.
            cli_env = {**ENV, "PYTHONPATH": str(REPO), "PYTHONPYCACHEPREFIX": str(work / "pyc")}
            cli_env.pop("PYTHONDONTWRITEBYTECODE", None)

            def command() -> None:
                root = work / "cli"
                shutil.rmtree(root, ignore_errors=True)
                subprocess.run([*pycompose_command(), "image", "pull", "-q",
                                name], check=True, stdout=subprocess.DEVNULL, cwd=REPO,
                               env={**cli_env, "PYCOMPOSE_ROOT": str(root)})

            def podman() -> None:
                root = work / "podman"
                if root.exists():
                    subprocess.run(["podman", "--root", str(root), "--runroot",
                                    str(work / "podman-run"), "system", "reset", "-f"],
                                   capture_output=True)
                    shutil.rmtree(root, ignore_errors=True)
                subprocess.run(["podman", "--root", str(root), "--runroot",
                                str(work / "podman-run"), "--storage-driver", "overlay",
                                "pull", "-q", "--tls-verify=false", name],
                               check=True, stdout=subprocess.DEVNULL)

            tools = {"skopeo copy": skopeo, "pycompose (in-process)": in_process}
            if os.geteuid() == 0:
                tools["pycompose image pull"] = command
                if shutil.which("podman"):
                    tools["podman pull"] = podman
            for tool in tools.values():
                tool()  # warm-up: the registry's caches, pycompose's bytecode
            results: dict[str, list[float]] = {label: [] for label in tools}
            for _ in range(rounds):  # interleaved, so a busy moment hits every tool
                for label, tool in tools.items():
                    results[label].append(timed(tool))
            return _figures(size, results)
        finally:
            registry.terminate()
            registry.wait(10)
            # the command's runtime directory (locks), named from its state root
            shutil.rmtree(Layout.from_environ({"PYCOMPOSE_ROOT": str(work / "cli")}).run,
                          ignore_errors=True)


def _figures(size: int, results: dict[str, list[float]]) -> list[Figure]:
    """The rows: the command against skopeo (in-process when not root), the
    in-process pull, and the command against podman's pull when it ran."""
    label = f"7. pull {size / 1e6:.0f} MB, {LAYERS} layers, loopback registry"
    as_command = "pycompose image pull" in results
    figures = [Figure(label + (" (command)" if as_command else " (in-process)"), "s",
                      results["pycompose image pull" if as_command
                              else "pycompose (in-process)"],
                      "skopeo copy", results["skopeo copy"], note="target ≤ 1.5x")]
    if as_command:
        figures.append(Figure(label + " (in-process)", "s", results["pycompose (in-process)"],
                              "skopeo copy", results["skopeo copy"]))
    if "podman pull" in results:  # fetches and unpacks into its storage, as we do
        figures.append(Figure(label + " (command, vs podman)", "s",
                              results["pycompose image pull"], "podman pull",
                              results["podman pull"],
                              note="both unpack the layers; skopeo only stores them"))
    return figures


if __name__ == "__main__":
    main(measure, 5, __doc__)
