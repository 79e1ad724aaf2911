"""Runs every benchmark and prints one markdown table: for each figure,
pycompose's median, the peer's median, their ratio, min and max.

Each script runs as a child process with ``--json`` (so one that fails, or whose
capability has not landed, gives a "not available" line instead of stopping the
rest), one after the other so they do not compete for the cores.  Progress goes
to stderr, the table to stdout.  Needs root and the peers
(``bash ../shared/peers/setup.sh``; ``make bench`` runs it).

Run: .venv/bin/python bench/all.py [--quick] [--rounds N] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Figure, table

BENCH = Path(__file__).resolve().parent
# (script, the figures it gives, seconds it may take)
SCRIPTS = (
    ("updown", "1. up -d + down of 1, 5, 20 services", 900),
    ("healthy", "2. up -d until 5 services healthy", 300),
    ("restart", "3. restart latency", 300),
    ("footprint", "4. supervisor footprint", 600),
    ("run", "5. run --rm vs bare runc", 300),
    ("load", "6. loader", 300),
    ("pull", "7. image pull vs skopeo", 600),
    ("ports", "8. published port throughput", 400),
    ("dns", "8. DNS latency", 120),
    ("build", "10. cached rebuild (pycompose build)", 600),
    ("watch", "12. watch: sync and rebuild latency", 300),
    ("unpack", "11. unpack a layer vs tar -x", 900),
)
QUICK = ("load",)  # --quick: the in-process, rootless one, so CI can keep the rest runnable


def run_script(name: str, title: str, limit: int, args: list[str]) -> list[Figure]:
    script = BENCH / f"{name}.py"
    if not script.exists():
        return [Figure.unavailable(title, "not landed yet")]
    started = time.monotonic()
    print(f"[bench] {name} ...", file=sys.stderr, flush=True)
    with subprocess.Popen([sys.executable, str(script), "--json", *args], text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL) as child:
        try:
            stdout, stderr = child.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            # SIGINT, not SIGKILL: the script's cleanup (stacks, namespaces) runs
            child.send_signal(signal.SIGINT)
            try:
                child.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                child.kill()
                child.communicate()
            return [Figure.unavailable(title, f"timed out after {limit} s")]
    print(f"[bench] {name}: {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    if child.returncode != 0:
        why = (stderr.strip().splitlines() or ["failed"])[-1][:160]
        return [Figure.unavailable(title, f"failed: {why.replace('|', '/')}")]
    try:
        return [Figure(**entry) for entry in json.loads(stdout.strip().splitlines()[-1])]
    except (ValueError, TypeError, IndexError) as exc:
        return [Figure.unavailable(title, f"unreadable output: {exc}")]


def machine() -> str:
    memory = next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal:"))
    model = next((line.split(":", 1)[1].strip()
                  for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    load = Path("/proc/loadavg").read_text().split()[0]
    return (f"{os.cpu_count()} cores ({model}), {int(memory) / 1024 ** 2:.0f} GiB memory, "
            f"Linux {platform.release()}, load average {load} at the start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="one round of the loader only (a smoke test)")
    parser.add_argument("--rounds", type=int, help="measured runs per figure (each "
                        "script's default otherwise: 5 or more, after a warm-up)")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help=f"only these scripts ({', '.join(s for s, _, _ in SCRIPTS)})")
    args = parser.parse_args()
    extra = ["--quick"] if args.quick else []
    if args.rounds and not args.quick:
        extra += ["--rounds", str(args.rounds)]
    chosen = args.only or (QUICK if args.quick else [s for s, _, _ in SCRIPTS])
    started = datetime.now(UTC)
    header = (f"Measured {started:%Y-%m-%d %H:%M} UTC on {machine()}; "
              f"command: {' '.join(['bench/all.py', *sys.argv[1:]])}")
    figures: list[Figure] = []
    for name, title, limit in SCRIPTS:
        if name in chosen:
            figures += run_script(name, title, limit, extra)
    print(header)
    print()
    print(table(figures))


if __name__ == "__main__":
    main()
