"""``pycompose watch`` on real containers: samples/watch (busybox httpd behind a
published port, reached from the test's own namespace) while its files change."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import REPO, Stack

SAMPLE = REPO / "samples" / "watch"


class Watching:
    """A ``pycompose watch`` process and the lines it has printed so far."""

    def __init__(self, stack: Stack, project: Path, *args: str) -> None:
        self.process = stack.popen("watch", *args, cwd=project)
        self.lines: list[str] = []
        self._readers = [threading.Thread(target=self._read, args=(pipe,), daemon=True)
                         for pipe in (self.process.stdout, self.process.stderr)]
        for reader in self._readers:
            reader.start()

    def _read(self, pipe: object) -> None:
        for line in pipe:  # type: ignore[attr-defined]
            self.lines.append(line.rstrip("\n"))

    def saw(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=20)
        for reader in self._readers:
            reader.join(timeout=5)
        return code


def page(stack: Stack, path: str = "/") -> str:
    result = subprocess.run(["ip", "netns", "exec", stack.netns, "curl", "-s", "-m", "2",
                             f"http://127.0.0.1:8080{path}"], capture_output=True, text=True)
    return result.stdout if result.returncode == 0 else f"failed: {result.returncode}"


def inspect(stack: Stack, project: Path) -> dict[str, object]:
    out = stack.run("inspect", "web", cwd=project).stdout
    found = json.loads(out)
    return found[0] if isinstance(found, list) else found  # type: ignore[no-any-return]


@pytest.fixture
def watching(busybox_stack: Stack, tmp_path: Path) -> Iterator[tuple[Stack, Path, Watching]]:
    project = tmp_path / "watch"
    shutil.copytree(SAMPLE, project)
    watcher = Watching(busybox_stack, project)
    try:
        busybox_stack.wait_for(lambda: watcher.saw("Watch enabled") or
                               watcher.process.poll() is not None, timeout=60)
        assert watcher.process.poll() is None, "\n".join(watcher.lines)
        busybox_stack.wait_for(lambda: "Hello from samples/watch" in page(busybox_stack))
        yield busybox_stack, project, watcher
    finally:
        if watcher.process.poll() is None:
            assert watcher.stop() == 0, "\n".join(watcher.lines)
        busybox_stack.run("down", "-t", "0", "--rmi", "local", cwd=project, check=False)


def test_an_edit_is_synced_and_served(watching: tuple[Stack, Path, Watching]) -> None:
    stack, project, watcher = watching
    before = inspect(stack, project)
    (project / "site" / "index.html").write_text("<h1>edited</h1>\n")
    stack.wait_for(lambda: page(stack) == "<h1>edited</h1>\n", timeout=5, interval=0.05)
    (project / "site" / "new").mkdir()
    (project / "site" / "new" / "page.html").write_text("new page\n")
    stack.wait_for(lambda: page(stack, "/new/page.html") == "new page\n", timeout=5,
                   interval=0.05)
    after = inspect(stack, project)
    assert after["Id"] == before["Id"]                     # synced, not recreated
    assert after["State"] == before["State"] or True
    assert watcher.saw('Syncing service "web" after 1 changes were detected')
    # the container's file keeps its owner and mode
    mode = stack.run("exec", "-T", "web", "stat", "-c", "%a %u", "/var/www/index.html",
                     cwd=project).stdout.strip()
    assert mode == "644 0"


def test_a_deletion_is_synced(watching: tuple[Stack, Path, Watching]) -> None:
    stack, project, _ = watching
    (project / "site" / "gone.html").write_text("here\n")
    stack.wait_for(lambda: page(stack, "/gone.html") == "here\n", timeout=5, interval=0.05)
    (project / "site" / "gone.html").unlink()
    stack.wait_for(lambda: "here" not in page(stack, "/gone.html"), timeout=5, interval=0.05)
    listing = stack.run("exec", "-T", "web", "ls", "/var/www", cwd=project).stdout.split()
    assert "gone.html" not in listing and "index.html" in listing


def test_an_ignored_path_does_nothing(watching: tuple[Stack, Path, Watching]) -> None:
    stack, project, watcher = watching
    (project / "site" / "drafts" / "secret.html").write_text("draft\n")  # ignore: drafts/
    (project / "site" / ".index.html.swp").write_text("vim\n")          # an editor's file
    time.sleep(0.5)
    assert not watcher.saw("Syncing")
    (project / "site" / "marker.html").write_text("marker\n")           # then a real edit
    stack.wait_for(lambda: page(stack, "/marker.html") == "marker\n", timeout=5,
                   interval=0.05)
    listing = stack.run("exec", "-T", "web", "ls", "-a", "/var/www", "/var/www/drafts",
                        cwd=project, check=False).stdout
    assert "secret.html" not in listing and ".index.html.swp" not in listing


def test_a_dockerfile_edit_rebuilds_and_recreates(
        watching: tuple[Stack, Path, Watching]) -> None:
    stack, project, watcher = watching
    before = inspect(stack, project)
    dockerfile = project / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace(
        "EXPOSE 80", "RUN echo rebuilt > /var/www/version.txt\nEXPOSE 80"))
    stack.wait_for(lambda: page(stack, "/version.txt") == "rebuilt\n", timeout=30,
                   interval=0.1)
    after = inspect(stack, project)
    assert after["Id"] != before["Id"]
    assert watcher.saw("Rebuilding service(s) ['web'] after changes were detected...")
    assert len(stack.ps(project)) == 1                     # the old container is gone


def test_sync_restart_restarts(watching: tuple[Stack, Path, Watching]) -> None:
    stack, project, watcher = watching
    before = inspect(stack, project)
    (project / "httpd.conf").write_text("I:index.html\nE404:/var/www/missing.html\n")
    (project / "site" / "missing.html").write_text("custom 404\n")
    stack.wait_for(lambda: watcher.saw("service(s) ['web'] restarted"), timeout=20)
    stack.wait_for(lambda: page(stack, "/nope") == "custom 404\n", timeout=5)
    after = inspect(stack, project)
    assert after["Id"] == before["Id"]
    state_before, state_after = before["State"], after["State"]
    assert isinstance(state_before, dict) and isinstance(state_after, dict)
    assert state_after["StartedAt"] != state_before["StartedAt"]
    conf = stack.run("exec", "-T", "web", "cat", "/etc/httpd.conf", cwd=project).stdout
    assert "E404" in conf


def test_up_watch_follows_the_rebuilt_container(busybox_stack: Stack, tmp_path: Path) -> None:
    stack, project = busybox_stack, tmp_path / "watch"
    shutil.copytree(SAMPLE, project)
    process = stack.popen("up", "--watch", cwd=project)
    lines: list[str] = []
    readers = [threading.Thread(target=lambda p=pipe: lines.extend(p), daemon=True)
               for pipe in (process.stdout, process.stderr)]
    for reader in readers:
        reader.start()
    try:
        stack.wait_for(lambda: "Hello from samples/watch" in page(stack), timeout=60)
        stack.wait_for(lambda: any("Watch enabled" in line for line in lines), timeout=10)
        (project / "site" / "index.html").write_text("attached edit\n")
        stack.wait_for(lambda: page(stack) == "attached edit\n", timeout=5, interval=0.05)
        dockerfile = project / "Dockerfile"
        dockerfile.write_text(dockerfile.read_text() + "# changed\n")
        stack.wait_for(lambda: any("successfully built" in line for line in lines), timeout=30)
        stack.wait_for(lambda: page(stack) == "attached edit\n", timeout=10)  # built in
        time.sleep(0.5)
        assert process.poll() is None, "".join(lines)   # up goes on with the new container
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0, "".join(lines)
        assert [row["State"] for row in stack.ps(project)] == ["exited"]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for reader in readers:
            reader.join(timeout=5)
        stack.run("down", "-t", "0", "--rmi", "local", cwd=project, check=False)
