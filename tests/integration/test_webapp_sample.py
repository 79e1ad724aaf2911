"""samples/webapp end to end, as its README section tells a user to run it:
PostgreSQL, Redis, Flask and nginx from Debian packages on the image its
make-base.sh builds (mmdebstrap from the Debian mirror; the tarball is kept in
PYCOMPOSE_TEST_CACHE, /var/cache/pycompose-tests by default, between runs)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.integration.conftest import REPO, Stack

SAMPLE = REPO / "samples" / "webapp"
CACHE = Path(os.environ.get("PYCOMPOSE_TEST_CACHE", "/var/cache/pycompose-tests"))
PAGE = re.compile(r"Hello from webapp: (\d+) hits since the cache started, (\d+) visits")


def page(stack: Stack) -> tuple[int, int]:
    """The counts on the page the proxy serves on the published port."""
    def fetch() -> str:
        result = subprocess.run(["nsenter", f"--net=/run/netns/{stack.netns}", "curl", "-s",
                                 "-m", "5", "http://127.0.0.1:8080/"],
                                capture_output=True, text=True, timeout=10).stdout
        return result if PAGE.search(result) else ""

    found = PAGE.search(stack.wait_for(fetch, timeout=30))
    assert found is not None
    return int(found[1]), int(found[2])


def test_webapp_sample_serves_and_keeps_its_data(stack: Stack) -> None:
    env = {**stack.env, "PYCOMPOSE": f"{sys.executable} -m compose",
           "WEBAPP_ROOTFS": str(CACHE / "debian-webapp.tar")}
    made = subprocess.run([str(SAMPLE / "make-base.sh")], env=env, capture_output=True,
                          text=True, timeout=900)
    assert made.returncode == 0, made.stdout + made.stderr
    try:
        stack.run("up", "-d", cwd=SAMPLE, timeout=300)
        rows = {row["Service"]: row for row in stack.ps(SAMPLE)}
        assert rows["migrate"]["State"] == "exited" and rows["migrate"]["ExitCode"] == 0
        for service in ("db", "cache", "app"):
            assert "(healthy)" in rows[service]["Status"], rows[service]
        assert [page(stack) for _ in range(3)] == [(1, 1), (2, 2), (3, 3)]
        # a one-off container reaches the cache by its service name
        hits = stack.run("run", "--rm", "--no-deps", "cache", "redis-cli", "-h", "cache",
                         "get", "hits", cwd=SAMPLE)
        assert hits.stdout.strip() == "3"
        assert "orphan" not in hits.stderr
        # the database's volume outlives down; the cache starts over
        stack.run("down", cwd=SAMPLE, timeout=120)
        stack.run("up", "-d", cwd=SAMPLE, timeout=300)
        assert page(stack) == (1, 4)
    finally:
        stack.run("down", "-v", cwd=SAMPLE, timeout=120)
    assert "webapp_dbdata" not in stack.run("volume", "ls").stdout
