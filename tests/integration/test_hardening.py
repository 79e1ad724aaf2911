"""Hardening on real containers: state only root can read, secrets that never lie
about on the host world-readable, ``cp`` that cannot be led out of a container by
its symlinks, and hostile names that stay names.

Each test runs in the harness's own network namespace and state root, and the
``stack`` fixture fails it if anything is left behind."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from compose.supervisor.control import socket_path
from tests.integration.conftest import Stack
from tests.integration.test_skeleton import write_compose


@pytest.fixture
def down_after(busybox_stack: Stack) -> Iterator[list[Path]]:
    """Projects to bring down at the end, even when the test failed."""
    projects: list[Path] = []
    yield projects
    for directory in projects:
        busybox_stack.run("down", "-t", "0", "-v", cwd=directory, check=False)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_state_and_runtime_directories_are_root_only(busybox_stack: Stack, tmp_path: Path,
                                                      down_after: list[Path]) -> None:
    stack = busybox_stack
    os.chmod(stack.root, 0o755)  # a root made beforehand, as anyone would
    directory = tmp_path / "p"
    write_compose(directory, """
        services:
          app:
            image: busybox
            command: ["sleep", "60"]
            volumes: [data:/data]
        volumes:
          data:
    """)
    down_after.append(directory)
    stack.run("up", "-d", cwd=directory)
    layout = stack.layout
    private = [layout.root, layout.run, layout.images]  # images/: made before, 0755
    loose = {str(p): oct(_mode(p)) for p in private if _mode(p) & 0o077}
    assert loose == {}
    below = [layout.containers, layout.projects, layout.volumes, layout.layers]
    assert {str(p): oct(_mode(p)) for p in below if _mode(p) & 0o022} == {}
    control = socket_path(layout, "p")
    assert stat.S_ISSOCK(os.lstat(control).st_mode)
    assert _mode(control) == 0o600
    assert _mode(control.parent) & 0o022 == 0


def test_secret_file_is_not_world_readable_on_the_host(busybox_stack: Stack, tmp_path: Path,
                                                       down_after: list[Path]) -> None:
    stack = busybox_stack
    directory = tmp_path / "p"
    write_compose(directory, """
        services:
          app:
            image: busybox
            user: "1000"
            command: ["sleep", "60"]
            secrets: [token]
            configs: [settings]
        secrets:
          token:
            file: ./token.txt
        configs:
          settings:
            content: "level: 3"
    """)
    (directory / "token.txt").write_text("s3cret\n")
    down_after.append(directory)
    stack.run("up", "-d", cwd=directory)
    out = stack.run("exec", "-T", "app", "cat", "/run/secrets/token", "/settings",
                    cwd=directory).stdout
    assert out == "s3cret\nlevel: 3"  # readable in the container by its user
    copies = [p for p in stack.root.rglob("*") if p.is_file() and not p.is_symlink()
              and b"s3cret" in _head(p)]
    assert copies, "the secret's host-side copy was not found"
    for copy in copies:
        chain = [copy, *copy.parents[:len(copy.relative_to(stack.root).parts)]]
        # someone else reaches it only if every directory on the way lets them in
        reachable = all(_mode(d) & 0o001 for d in chain[1:])
        assert not (reachable and _mode(copy) & 0o004), f"{copy} is world-readable"
        assert any(_mode(d) & 0o077 == 0 for d in chain[1:]), f"{copy} is not in a 0700 dir"


def _head(path: Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(4096)
    except OSError:
        return b""


def test_cp_is_not_led_out_of_the_container_by_its_symlinks(
        busybox_stack: Stack, tmp_path: Path, down_after: list[Path]) -> None:
    stack = busybox_stack
    outside = tmp_path / "outside"  # on the host, where the container's links point
    outside.mkdir()
    (outside / "secret").write_text("host\n")
    directory = tmp_path / "p"
    write_compose(directory, f"""
        services:
          app:
            image: busybox
            command: ["sh", "-c", "mkdir -p /tree; ln -s / /evil; ln -s ../../../../.. /rel;
                      ln -s {outside} /tmp/out; ln -s {outside} /tree/sub;
                      echo inside > /tmp/inside; touch /ready; sleep 60"]
    """)
    down_after.append(directory)
    stack.run("up", "-d", cwd=directory)
    stack.wait_for(lambda: stack.run("exec", "-T", "app", "test", "-e", "/ready",
                                     cwd=directory, check=False).returncode == 0)
    for link in ("evil", "rel"):  # reading: the container's files, never the host's
        missing = stack.run("cp", f"app:/{link}{outside}/secret", str(tmp_path / "x"),
                            cwd=directory, check=False)
        assert missing.returncode == 1 and "could not find" in missing.stderr
        stack.run("cp", f"app:/{link}/tmp/inside", str(tmp_path / link), cwd=directory)
        assert (tmp_path / link).read_text() == "inside\n"
    (tmp_path / "out").write_text("file\n")
    (tmp_path / "tree" / "sub").mkdir(parents=True)
    (tmp_path / "tree" / "sub" / "leaf").write_text("leaf\n")
    for link in ("evil", "rel"):  # writing: into the container, never onto the host
        stack.run("cp", str(tmp_path / "out"), f"app:/{link}/tmp/{link}", cwd=directory)
    stack.run("cp", str(tmp_path / "out"), "app:/tmp/", cwd=directory)
    stack.run("cp", str(tmp_path / "tree"), "app:/", cwd=directory)
    assert sorted(os.listdir(outside)) == ["secret"]
    out = stack.run("exec", "-T", "app", "sh", "-c",
                    "cat /tmp/evil /tmp/rel /tmp/out /tree/sub/leaf; test -L /tmp/out || "
                    "test -L /tree/sub || echo no links", cwd=directory).stdout
    assert out == "file\nfile\nfile\nleaf\nno links\n"


def test_build_copy_never_reads_a_host_file_through_a_link(busybox_stack: Stack,
                                                          tmp_path: Path) -> None:
    stack = busybox_stack
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "marker").write_text("host secret\n")
    app = tmp_path / "app"
    app.mkdir()
    (app / "compose.yaml").write_text("name: b\nservices:\n  app:\n    build: .\n")
    (app / "hostdir").symlink_to(outside)  # in the context
    for source in ("hostdir/marker", "../outside/marker", "--from=links /evil/marker",
                   "--from=links /rel/marker"):
        (app / "Dockerfile").write_text(
            f"FROM busybox AS links\nRUN ln -s {outside} /evil && "
            f"ln -s ../../../../../../..{outside} /rel\n"
            f"FROM busybox\nCOPY {source} /copied\n")
        result = stack.run("build", cwd=app, check=False)
        assert result.returncode == 1, source
        lines = result.stderr.strip().splitlines()
        assert "not found" in lines[-1] and "marker" in lines[-1], result.stderr


def test_hostile_root_label_and_network_name_stay_data(stack: Stack, busybox_images: Path,
                                                       tmp_path: Path) -> None:
    root = tmp_path / 'r"; flush ruleset; "' / ("long" * 30)
    stack.env["PYCOMPOSE_ROOT"] = str(root)  # the harness's checks follow the root
    root.mkdir(parents=True)
    subprocess.run(["cp", "-al", str(busybox_images), str(root / "images")], check=True)
    directory = tmp_path / "p"
    label = 'x"; $(touch /tmp/pwned) `id` \\n ../../etc'
    write_compose(directory, """
        services:
          app:
            image: busybox
            command: ["sleep", "60"]
            ports: ["127.0.0.1:18080:80"]
            labels:
              hostile: 'LABEL'
            networks: [odd]
        networks:
          odd:
            name: 'odd"; $(x) ../../n'
    """.replace("LABEL", label.replace("'", "''")))
    try:
        result = stack.run("up", "-d", cwd=directory, check=False)
        if result.returncode != 0:  # refused: then in one line, naming the network
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and "odd" in lines[0], result.stderr
            return
        rows = stack.ps(directory)
        assert f"hostile={label}" in rows[0]["Labels"]  # kept verbatim, as data
        assert not Path("/tmp/pwned").exists()
        table = subprocess.run(["ip", "netns", "exec", stack.netns, "nft", "list", "ruleset"],
                               capture_output=True, text=True, check=True).stdout
        assert "dnat ip to" in table and "state root" in table
    finally:
        stack.run("down", "-t", "0", cwd=directory, check=False)
