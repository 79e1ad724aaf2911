"""``scale``, ``create``, ``export`` and ``commit`` on real containers."""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from pathlib import Path

from runtime.images.store import ImageStore
from tests.integration.conftest import Stack
from tests.integration.test_skeleton import write_compose

FARM = """
    services:
      web:
        image: busybox
        init: true
        command: ["sleep", "300"]
        depends_on: [db]
      db:
        image: busybox
        init: true
        command: ["sleep", "300"]
"""


def running(stack: Stack, project: Path) -> list[str]:
    return sorted(r["Name"] for r in stack.ps(project) if r["State"] == "running")


def test_scale_up_and_down_keeps_the_first_replicas(busybox_stack: Stack,
                                                    tmp_path: Path) -> None:
    project = write_compose(tmp_path / "farm", FARM).parent
    stack = busybox_stack
    stack.run("scale", "web=3", cwd=project)  # db too: web depends on it
    assert running(stack, project) == ["farm-db-1", "farm-web-1", "farm-web-2", "farm-web-3"]
    first = stack.run("ps", "-q", "web", cwd=project).stdout.split()
    stack.run("scale", "web=1", "db=2", cwd=project)
    assert running(stack, project) == ["farm-db-1", "farm-db-2", "farm-web-1"]
    assert stack.run("ps", "-q", "web", cwd=project).stdout.split() == first[:1]
    stack.run("scale", "web=0", cwd=project)  # db, a dependency, back to the file's 1
    assert running(stack, project) == ["farm-db-1"]  # as Docker Compose's convergence
    stack.run("down", "-t", "0", cwd=project)


def test_scale_no_deps_leaves_dependencies_alone(busybox_stack: Stack, tmp_path: Path) -> None:
    project = write_compose(tmp_path / "farm", FARM).parent
    stack = busybox_stack
    stack.run("scale", "--no-deps", "web=2", cwd=project)
    assert running(stack, project) == ["farm-web-1", "farm-web-2"]
    stack.run("down", "-t", "0", cwd=project)


def states(stack: Stack, project: Path) -> dict[str, str]:
    return {r["Name"]: r["State"] for r in stack.ps(project)}


def test_create_makes_containers_that_start_runs(busybox_stack: Stack, tmp_path: Path) -> None:
    project = write_compose(tmp_path / "farm", FARM).parent
    stack = busybox_stack
    result = stack.run("create", "--scale", "web=2", cwd=project)
    assert "Created" in result.stderr + result.stdout
    assert states(stack, project) == {"farm-db-1": "created", "farm-web-1": "created",
                                      "farm-web-2": "created"}
    ids = stack.run("ps", "-a", "-q", cwd=project).stdout.split()
    stack.run("start", cwd=project)
    assert running(stack, project) == ["farm-db-1", "farm-web-1", "farm-web-2"]
    assert stack.run("ps", "-q", cwd=project).stdout.split() == ids  # the same containers
    # nothing changed: create keeps them (running); --force-recreate makes them again
    stack.run("create", "--scale", "web=2", cwd=project)
    assert running(stack, project) == ["farm-db-1", "farm-web-1", "farm-web-2"]
    stack.run("create", "--force-recreate", "--scale", "web=2", "web", cwd=project)
    assert states(stack, project) == {"farm-db-1": "running", "farm-web-1": "created",
                                      "farm-web-2": "created"}
    stack.run("up", "-d", "--scale", "web=2", cwd=project)
    assert running(stack, project) == ["farm-db-1", "farm-web-1", "farm-web-2"]
    stack.run("down", "-t", "0", cwd=project)


CHANGED = """
    services:
      web:
        image: busybox
        init: true
        environment: {GREETING: hello}
        user: "0:0"
        command: ["sh", "-c", "echo written > /root/note; rm /etc/nsswitch.conf;
                  rm -rf /usr/sbin; mkdir /usr/sbin; echo fresh > /usr/sbin/only;
                  touch /tmp/ready; exec sleep 300"]
      snap:
        image: snap:1
        pull_policy: never
        profiles: [later]
"""


def changed_container(stack: Stack, tmp_path: Path) -> Path:
    project = write_compose(tmp_path / "changed", CHANGED).parent
    stack.run("up", "-d", "web", cwd=project)
    stack.wait_for(lambda: stack.run("exec", "-T", "web", "test", "-f", "/tmp/ready",
                                     cwd=project, check=False).returncode == 0)
    return project


def test_export_writes_the_container_filesystem_as_tar(busybox_stack: Stack,
                                                       tmp_path: Path) -> None:
    stack = busybox_stack
    project = changed_container(stack, tmp_path)
    stack.run("export", "web", "-o", "out.tar", cwd=project)
    assert (project / "out.tar").stat().st_mode & 0o777 == 0o600
    with tarfile.open(project / "out.tar") as tar:
        names = set(tar.getnames())
        note = tar.extractfile("root/note")
        assert note is not None and note.read() == b"written\n"
        assert "bin/busybox" in names and "usr/sbin/only" in names
        assert "etc/nsswitch.conf" not in names and not any(".wh." in n for n in names)
    piped = subprocess.run(stack.argv("export", "web"), cwd=project, env=stack.env,
                           capture_output=True, timeout=60, check=True)
    with tarfile.open(fileobj=io.BytesIO(piped.stdout)) as tar:
        assert set(tar.getnames()) == names
    missing = stack.run("export", "web", "--index", "2", "-o", "x.tar", cwd=project,
                        check=False)
    assert missing.returncode == 1
    assert 'error: service "web" is not running container #2' in missing.stderr
    stack.run("down", "-t", "0", cwd=project)


def test_commit_makes_an_image_that_run_uses(busybox_stack: Stack, tmp_path: Path) -> None:
    stack = busybox_stack
    project = changed_container(stack, tmp_path)
    stack.run("commit", "-a", "me <me@example.org>", "-m", "the note",
              "-c", "ENV NOTE=/root/note", "-c", "LABEL stage=committed",
              "-c", "WORKDIR /root", "web", "snap:1", cwd=project)
    assert running(stack, project) == ["changed-web-1"]  # paused and resumed
    out = stack.run("run", "--rm", "-T", "snap", "sh", "-c",
                    'cat "$NOTE"; pwd; test -e /etc/nsswitch.conf || echo gone; ls /usr/sbin',
                    cwd=project).stdout
    assert out.split() == ["written", "/root", "gone", "only"]
    [image] = json.loads(stack.run("image", "inspect", "snap:1", cwd=project).stdout)
    # as docker commit: the container's own config (environment, command, labels,
    # user) is the image's, then the changes
    config = image["Config"]
    assert config["Labels"]["stage"] == "committed"
    assert config["Labels"]["com.docker.compose.service"] == "web"
    assert "GREETING=hello" in config["Env"]
    assert config["Cmd"][:2] == ["sh", "-c"] and "touch /tmp/ready" in config["Cmd"][2]
    assert config["User"] == "0:0" and config["WorkingDir"] == "/root"
    assert image["Author"] == "me <me@example.org>"
    [base] = json.loads(stack.run("image", "inspect", "busybox", cwd=project).stdout)
    assert len(image["RootFS"]["Layers"]) == len(base["RootFS"]["Layers"]) + 1
    assert image["Config"]["Env"][-1] == "NOTE=/root/note"
    layer = ImageStore(stack.layout.images).resolve("snap:1").layers[-1]
    with tarfile.open(ImageStore(stack.layout.images).blob_path(layer.descriptor.digest)) as tar:
        names = set(tar.getnames())  # OCI whiteouts for the deletion and the replaced dir
    assert {"root/note", "etc/.wh.nsswitch.conf", "usr/sbin/.wh..wh..opq",
            "usr/sbin/only"} <= names
    stack.run("commit", "--pause=false", "web", cwd=project)  # a dangling image
    stack.run("down", "-t", "0", cwd=project)
