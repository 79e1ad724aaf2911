"""Throughput through a published port against the container's own address.

In a network namespace of its own (and a state root of its own), brings up one
busybox container that discards what it receives, publishes its port, and sends
the same amount of data three ways from the namespace pycompose runs in: to the
container's address (the bridge, no NAT), to the published port on the host's
loopback (DNAT + masquerade, ``route_localnet``) and on the bridge gateway
address (DNAT only), interleaved over a few rounds.  Prints the median for each
and its ratio to the direct path (the target: at least 90%).  Needs root.

Run: .venv/bin/python bench/ports.py [--rounds N] [--quick] [--json]
(BENCH_PORTS_MB=N: megabytes per transfer, 256 by default)
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.common import Figure, main, need_root, pycompose_command  # noqa: E402

PORT = 18700
CHUNK = b"\0" * (1 << 20)

COMPOSE = textwrap.dedent(f"""
    name: portbench
    services:
      sink:
        image: busybox:latest
        ports: ["{PORT}:5001"]
        command: ["sh", "-c", "while true; do nc -l -p 5001 > /dev/null; done"]
""")


def connect(host: str, port: int) -> socket.socket:
    """The sink restarts ``nc`` after each connection: wait for it to listen."""
    deadline = time.monotonic() + 20
    while True:
        try:
            return socket.create_connection((host, port), timeout=30)
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def send(host: str, port: int, megabytes: int) -> float:
    """Seconds to push ``megabytes`` and see the server close after the end."""
    with connect(host, port) as sock:
        started = time.perf_counter()
        for _ in range(megabytes):
            sock.sendall(CHUNK)
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(4096):
            pass
    return time.perf_counter() - started


def client(argv: list[str]) -> None:
    """Runs inside the namespace: HOST PORT MEGABYTES -> MB/s of one transfer."""
    host, port, megabytes = argv[0], int(argv[1]), int(argv[2])
    send(host, port, 8)  # warm up: the sink's next nc, ARP, conntrack
    print(json.dumps({"mbps": megabytes / send(host, port, megabytes)}))


def measure(rounds: int, quick: bool) -> list[Figure]:
    need_root("bench/ports.py")
    megabytes = 16 if quick else int(os.environ.get("BENCH_PORTS_MB", "256"))
    netns = f"pcbench-{secrets.token_hex(3)}"
    root = Path(tempfile.mkdtemp(prefix="pycompose-bench-"))
    env = {**os.environ, "PYCOMPOSE_ROOT": str(root / "root"), "PYTHONPATH": str(REPO)}
    project = root / "project"
    project.mkdir()
    (project / "compose.yaml").write_text(COMPOSE)

    def inside(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        # nsenter, not `ip netns exec`: that one remounts /sys, hiding the cgroups runc needs
        return subprocess.run(["nsenter", f"--net=/run/netns/{netns}", "--", *argv],
                              cwd=project, env=env, capture_output=True, text=True, check=check)

    def pycompose(*args: str) -> str:
        result = inside(*pycompose_command(), *args, check=False)
        if result.returncode != 0:
            raise SystemExit(f"pycompose {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout

    subprocess.run(["ip", "netns", "add", netns], check=True)
    try:
        subprocess.run(["ip", "-n", netns, "link", "set", "lo", "up"], check=True)
        pycompose("image", "bootstrap")
        pycompose("up", "-d")
        record = json.loads(next((root / "root" / "containers").glob("*/container.json"))
                            .read_text())
        address = record["attachments"][0]["address"].split("/")[0]
        gateway = record["attachments"][0]["gateway"]
        modes = (("container address", address, 5001),
                 ("published, loopback", "127.0.0.1", PORT),
                 ("published, gateway", gateway, PORT))
        results: dict[str, list[float]] = {label: [] for label, _, _ in modes}
        for _ in range(rounds):  # interleaved, so drift on a busy machine hits all alike
            for label, host, port in modes:
                run = inside(sys.executable, __file__, "--client", host, str(port),
                             str(megabytes), check=False)
                if run.returncode != 0:
                    raise SystemExit(f"client to {host}:{port} failed: {run.stderr.strip()}")
                results[label].append(json.loads(run.stdout)["mbps"])
        direct = [v * 8 / 1000 for v in results["container address"]]
        return [Figure(f"8. TCP through a published port ({label.split(', ')[1]}), "
                       f"{megabytes} MB", "Gbit/s", [v * 8 / 1000 for v in results[label]],
                       "container's own address", direct, note="target ≥ 0.9x")
                for label in ("published, loopback", "published, gateway")]
    finally:
        inside(*pycompose_command(), "down", "-t", "1", check=False)
        subprocess.run(["ip", "netns", "delete", netns], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--client"]:
        client(sys.argv[2:])
    else:
        main(measure, 5, __doc__)
