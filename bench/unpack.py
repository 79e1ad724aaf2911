"""Layer unpack speed: a ~550 MB layer made of the host's own files (as a big
Debian image is), unpacked by pycompose (``rootfs.ensure_layer``, as the first
container or ``pull``/``import`` does) against GNU ``tar -x`` of the same file into
an empty directory (the target: at most 1.3 times tar's time).

Two cases: the plain tarball (what ``pycompose import`` of an uncompressed rootfs
stores) and the same tarball gzip-compressed (what a registry serves; tar runs
gzip beside itself).  The rounds alternate which tool goes first, and the page
cache is flushed to disk (``sync``) before each timing, so neither pays for the
other's writes.  Everything happens in a tmpfs of its own, so the figure is the
unpacker's work and not this VM's disk, whose writeback stalls spread one
``tar -xf`` of the same file from 18 to 28 s (BENCH_UNPACK_DIR=/some/dir measures
on that directory's filesystem instead).  Needs root (owners, device nodes).
Run: .venv/bin/python bench/unpack.py [--rounds N] [--quick] [--json]
(BENCH_UNPACK_MB=N changes the layer's size)
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.common import Figure, main  # noqa: E402
from runtime.images.documents import MEDIA_LAYER_GZIP  # noqa: E402
from runtime.images.store import MEDIA_LAYER_TAR, ImageStore, Layer  # noqa: E402
from runtime.oci.rootfs import ensure_layer  # noqa: E402

SOURCES = ("usr/bin", "usr/include", "usr/share", "usr/lib")
BIGGEST = 16 << 20  # a distribution's base image is mostly small files


def host_files(megabytes: int) -> list[str]:
    """Paths under / (directories, files, links; headers and data files first, as
    many small files as a Debian image has) in a stable order, until their sizes add
    up to ``megabytes``."""
    chosen: list[str] = []
    total, limit = 0, megabytes << 20
    for top in SOURCES:
        for directory, dirs, files in os.walk(Path("/") / top):
            dirs.sort()
            chosen.append(os.path.relpath(directory, "/"))
            for name in sorted(files):
                path = os.path.join(directory, name)
                info = os.lstat(path)
                if info.st_size > BIGGEST:
                    continue
                chosen.append(os.path.relpath(path, "/"))
                total += info.st_size if not os.path.islink(path) else 0
                if total >= limit:
                    return chosen
    return chosen


def make_tarball(work: Path, megabytes: int) -> tuple[Path, int]:
    listing = work / "files.txt"
    paths = host_files(megabytes)
    listing.write_text("\n".join(paths) + "\n")
    tarball = work / "layer.tar"
    subprocess.run(["tar", "--numeric-owner", "--no-recursion", "-cf", str(tarball), "-C", "/",
                    "-T", str(listing)], check=True, stderr=subprocess.DEVNULL)
    return tarball, len(paths)


def fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    subprocess.run(["sync"], check=True)
    return path


def time_tar(blob: Path, target: Path, gzipped: bool) -> float:
    fresh(target)
    start = time.perf_counter()
    subprocess.run(["tar", "-xzf" if gzipped else "-xf", str(blob), "-C", str(target)],
                   check=True)
    return time.perf_counter() - start


def time_ours(store: ImageStore, layer: Layer, layers: Path) -> float:
    fresh(layers)
    start = time.perf_counter()
    ensure_layer(store, layers, layer)
    return time.perf_counter() - start


def one_case(work: Path, store: ImageStore, layer: Layer, blob: Path, gzipped: bool,
             rounds: int) -> tuple[list[float], list[float]]:
    ours: list[float] = []
    tar: list[float] = []
    for n in range(rounds + 1):  # the first round warms up
        for tool in ("ours", "tar") if n % 2 else ("tar", "ours"):
            if tool == "ours":
                ours.append(time_ours(store, layer, work / "layers"))
            else:
                tar.append(time_tar(blob, work / "tar", gzipped))
    return ours[1:], tar[1:]


def measure(rounds: int, quick: bool) -> list[Figure]:
    title = "11. unpack a layer vs tar -x"
    if os.geteuid() != 0:
        return [Figure.unavailable(title, "needs root (owners, device nodes)")]
    megabytes = int(os.environ.get("BENCH_UNPACK_MB", "50" if quick else "550"))
    work = Path(tempfile.mkdtemp(prefix="pycompose-bench-unpack-",
                                 dir=os.environ.get("BENCH_UNPACK_DIR")))
    on_tmpfs = "BENCH_UNPACK_DIR" not in os.environ
    if on_tmpfs:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12g", "tmpfs", str(work)], check=True)
    try:
        tarball, entries = make_tarball(work, megabytes)
        store = ImageStore(work / "images")
        with open(tarball, "rb") as handle:
            plain = store.put_stream(handle, MEDIA_LAYER_TAR)
        size = f"{plain.size / (1 << 20):.0f} MB, {entries} entries"
        ours, tar = one_case(work, store, Layer(plain, plain.digest), tarball, False, rounds)
        figures = [Figure(f"11a. unpack a plain layer ({size})", "s", ours, "tar -xf", tar,
                          note="target ≤ 1.3x tar")]
        if quick:
            return figures
        compressed = work / "layer.tar.gz"
        with open(tarball, "rb") as source, gzip.open(compressed, "wb", compresslevel=1) as out:
            shutil.copyfileobj(source, out, 1 << 20)
        with open(compressed, "rb") as handle:
            packed = store.put_stream(handle, MEDIA_LAYER_GZIP)
        ours, tar = one_case(work, store, Layer(packed, plain.digest), compressed, True, rounds)
        figures.append(Figure(f"11b. unpack a gzip layer ({size})", "s", ours, "tar -xzf", tar,
                              note="target ≤ 1.3x tar"))
        return figures
    finally:
        if on_tmpfs:
            subprocess.run(["umount", str(work)], check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(measure, 5, __doc__)
