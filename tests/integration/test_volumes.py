"""Storage on real containers: named and anonymous volumes, binds, tmpfs, secrets
and configs, and that ``down -v`` deletes exactly the project's volumes.

Each test runs in the harness's own network namespace and state root, and the
``stack`` fixture fails it if anything is left behind."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import tarfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import Stack


def project(tmp_path: Path, text: str, name: str = "p") -> Path:
    directory = tmp_path / name
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "compose.yaml").write_text(textwrap.dedent(text))
    return directory


@pytest.fixture
def down_after(busybox_stack: Stack) -> Iterator[list[Path]]:
    """Projects to bring down at the end, even when the test failed."""
    projects: list[Path] = []
    yield projects
    for directory in projects:
        busybox_stack.run("down", "-t", "0", cwd=directory, check=False)


def sh(stack: Stack, directory: Path, service: str, script: str, check: bool = True) -> str:
    """A one-off container of ``service`` running ``script``; its output."""
    result = stack.run("run", "--rm", "-T", "--no-deps", service, "sh", "-c", script,
                       cwd=directory, check=check)
    return result.stdout + (result.stderr if not check else "")


def volume_names(stack: Stack) -> list[str]:
    return stack.run("volume", "ls", "-q").stdout.split()


def test_named_volume_shared_and_kept_across_down_up(busybox_stack: Stack, tmp_path: Path,
                                                      down_after: list[Path]) -> None:
    stack = busybox_stack
    directory = project(tmp_path, """
        services:
          db:
            image: busybox
            command: ["sh", "-c", "echo started >> /data/log; sleep 1000"]
            stop_signal: SIGKILL
            volumes: [data:/data]
          reader:
            image: busybox
            command: ["true"]
            volumes: [data:/shared:ro]
        volumes:
          data:
            labels: {tier: db}
    """)
    down_after.append(directory)
    stack.run("up", "-d", "db", cwd=directory)
    assert "p_data" in volume_names(stack)
    assert stack.run("volumes", cwd=directory).stdout == (
        "DRIVER    VOLUME NAME\nlocal     p_data\n")
    assert stack.run("volumes", "-q", "db", cwd=directory).stdout == "p_data\n"
    sh(stack, directory, "db", "echo written-by-one > /data/note")
    # another container (another service) reads it
    assert sh(stack, directory, "reader", "cat /shared/note") == "written-by-one\n"
    assert "Read-only" in sh(stack, directory, "reader", "echo x > /shared/y", check=False)
    stack.run("down", "-t", "0", cwd=directory)
    assert "p_data" in volume_names(stack)  # down keeps it
    stack.run("up", "-d", "db", cwd=directory)
    assert sh(stack, directory, "db", "cat /data/note") == "written-by-one\n"
    # a recreate after a config change keeps it too
    text = (directory / "compose.yaml").read_text().replace("sleep 1000", "sleep 999")
    (directory / "compose.yaml").write_text(text)
    stack.run("up", "-d", "db", cwd=directory)
    stack.wait_for(lambda: sh(stack, directory, "db", "cat /data/log").count("started") == 3)
    assert sh(stack, directory, "db", "cat /data/note") == "written-by-one\n"
    info = json.loads(stack.run("volume", "inspect", "p_data").stdout)[0]
    assert info["Labels"]["tier"] == "db"
    assert info["Labels"]["com.docker.compose.project"] == "p"
    assert info["Mountpoint"].endswith("/volumes/p_data/_data")
    stack.run("down", "-v", "-t", "0", cwd=directory)
    assert "p_data" not in volume_names(stack)


def seeded_image(stack: Stack, tmp_path: Path) -> None:
    """``seeded:1``: busybox plus ``/seed`` (owner 1234:5678, modes 0750/0640), a
    ``VOLUME /seed``, imported through the real ``import`` verb."""
    busybox = shutil.which("busybox") or "/bin/busybox"
    tarball = tmp_path / "seeded.tar"
    with tarfile.open(tarball, "w") as tar:
        for name, mode in (("bin", 0o755), ("tmp", 0o1777), ("etc", 0o755)):
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, mode
            tar.addfile(info)
        with open(busybox, "rb") as handle:
            info = tarfile.TarInfo("bin/busybox")
            info.mode, info.size = 0o755, os.fstat(handle.fileno()).st_size
            tar.addfile(info, handle)
        for applet in ("sh", "cat", "stat", "sleep", "ls", "echo", "touch"):
            info = tarfile.TarInfo(f"bin/{applet}")
            info.type, info.linkname = tarfile.SYMTYPE, "busybox"
            tar.addfile(info)
        info = tarfile.TarInfo("seed")
        info.type, info.mode, info.uid, info.gid = tarfile.DIRTYPE, 0o750, 1234, 5678
        tar.addfile(info)
        data = b"from the image\n"
        info = tarfile.TarInfo("seed/file")
        info.mode, info.uid, info.gid, info.size = 0o640, 1234, 5678, len(data)
        tar.addfile(info, io.BytesIO(data))
    stack.run("import", "-c", "VOLUME /seed", "-c", 'CMD ["sleep", "1000"]',
              "-c", "STOPSIGNAL SIGKILL", str(tarball), "seeded:1")


def test_population_nocopy_anonymous_and_down_v(busybox_stack: Stack, tmp_path: Path,
                                                down_after: list[Path]) -> None:
    stack = busybox_stack
    seeded_image(stack, tmp_path)
    stack.run("volume", "create", "--label", "mine=yes", "ext")
    ext_data = stack.layout.volumes / "ext" / "_data"
    (ext_data / "already").write_text("here\n")
    directory = project(tmp_path, """
        services:
          named:
            image: seeded:1
            volumes: [filled:/seed]
          nocopy:
            image: seeded:1
            volumes:
              - {type: volume, source: empty, target: /seed, volume: {nocopy: true}}
          prefilled:
            image: seeded:1
            volumes: [ext:/seed]
          anon:
            image: seeded:1
            environment: {GENERATION: "1"}
        volumes:
          filled: {}
          empty: {}
          ext: {external: true}
    """)
    down_after.append(directory)
    stack.run("up", "-d", cwd=directory)

    def ex(service: str, script: str) -> str:
        return stack.run("exec", "-T", service, "sh", "-c", script, cwd=directory).stdout

    stat = "stat -c '%u:%g %a' /seed /seed/file"
    # copied with its owner and modes, into a volume that was empty
    assert ex("named", stat) == "1234:5678 750\n1234:5678 640\n"
    assert ex("named", "cat /seed/file") == "from the image\n"
    assert ex("nocopy", "ls -A /seed") == ""
    assert ex("prefilled", "ls -A /seed") == "already\n"  # not empty: no copy
    # the image's VOLUME is an anonymous volume, populated too
    assert ex("anon", stat) == "1234:5678 750\n1234:5678 640\n"
    # a one-off container's anonymous volume goes with it (run --rm)
    assert sh(stack, directory, "anon", "cat /seed/file") == "from the image\n"
    ex("anon", "echo kept > /seed/marker")
    anonymous = [n for n in volume_names(stack) if len(n) == 64]
    assert len(anonymous) == 1
    # a recreate (config changed) inherits the anonymous volume
    compose = directory / "compose.yaml"
    compose.write_text(compose.read_text().replace('GENERATION: "1"', 'GENERATION: "2"'))
    stack.run("up", "-d", "anon", cwd=directory)
    assert ex("anon", "echo $GENERATION; cat /seed/marker") == "2\nkept\n"
    assert [n for n in volume_names(stack) if len(n) == 64] == anonymous
    # the copy happens only into an empty volume: a changed file stays changed
    ex("named", "echo changed > /seed/file")
    stack.run("down", "-t", "0", cwd=directory)
    stack.run("up", "-d", "named", cwd=directory)
    assert ex("named", "cat /seed/file") == "changed\n"

    stack.run("down", "-v", "-t", "0", cwd=directory)
    assert volume_names(stack) == ["ext"]  # never an external volume
    # the root's last project gone: its runtime directory goes, nothing left in it
    # (the OCI runtime chosen, good for the whole boot, is kept outside it)
    left = sorted(str(p) for p in stack.layout.run.rglob("*")) \
        if stack.layout.run.exists() else []
    assert left == [] and not stack.layout.run.exists(), left
    assert stack.layout.runtime_choice.is_file()
    assert (ext_data / "already").read_text() == "here\n"
    stack.run("volume", "rm", "ext")


def test_binds_tmpfs_and_volumes_from(busybox_stack: Stack, tmp_path: Path,
                                      down_after: list[Path]) -> None:
    stack = busybox_stack
    directory = project(tmp_path, """
        services:
          b:
            image: busybox
            command: ["sleep", "1000"]
            stop_signal: SIGKILL
            volumes:
              - ./made/deep:/made
              - ./ro:/ro:ro
              - ./single.txt:/etc/single.txt
              - type: bind
                source: ./shared
                target: /shared
                read_only: true
              - {type: tmpfs, target: /mem, tmpfs: {size: 1m, mode: 0o1770}}
              - "./z:/z:z"
              - "./prop:/prop:rshared"
          c:
            image: busybox
            command: ["sleep", "1000"]
            stop_signal: SIGKILL
            volumes_from: ["b:rw"]
            depends_on: [b]
    """)
    down_after.append(directory)
    for name in ("ro", "shared"):
        (directory / name).mkdir()
    (directory / "ro" / "file").write_text("ro content\n")
    (directory / "single.txt").write_text("one file\n")
    result = stack.run("up", "-d", cwd=directory)
    assert "SELinux" in result.stderr  # :z is accepted and ignored, with a note
    assert (directory / "made" / "deep").is_dir()  # short syntax: created

    def ex(service: str, script: str, check: bool = True) -> str:
        run = stack.run("exec", "-T", service, "sh", "-c", script, cwd=directory, check=check)
        return run.stdout + run.stderr

    ex("b", "echo from-container > /made/out")
    assert (directory / "made" / "deep" / "out").read_text() == "from-container\n"
    assert ex("b", "cat /ro/file /etc/single.txt") == "ro content\none file\n"
    assert "Read-only file system" in ex("b", "echo x > /ro/new", check=False)
    assert "Read-only file system" in ex("b", "touch /shared/new", check=False)
    assert "shared:" in ex("b", "grep ' /prop ' /proc/self/mountinfo")  # propagation
    mem = ex("b", "grep ' /mem ' /proc/mounts")
    assert mem.startswith("tmpfs /mem tmpfs ") and "size=1024k" in mem and "mode=1770" in mem
    assert "No space left" in ex("b", "dd if=/dev/zero of=/mem/big bs=1k count=2048",
                                 check=False)
    ex("b", "rm /mem/big; echo in-memory > /mem/file")
    # volumes_from: b's binds, here read-write
    assert ex("c", "cat /ro/file") == "ro content\n"
    ex("c", "echo via-c > /ro/fromc")
    assert (directory / "ro" / "fromc").read_text() == "via-c\n"
    # tmpfs contents disappear with the container
    stack.run("down", "-t", "0", cwd=directory)
    stack.run("up", "-d", "b", cwd=directory)
    assert ex("b", "ls -A /mem") == ""

    missing = project(tmp_path, """
        services:
          m:
            image: busybox
            volumes:
              - {type: bind, source: ./absent, target: /absent}
    """, name="missing")
    failed = stack.run("up", "-d", cwd=missing, check=False)
    assert failed.returncode == 1
    assert "bind source path does not exist" in failed.stderr
    assert str(missing / "absent") in failed.stderr
    assert "Traceback" not in failed.stderr
    assert not (missing / "absent").exists()
    stack.run("down", "-t", "0", cwd=missing)


def test_secrets_and_configs(busybox_stack: Stack, tmp_path: Path,
                             down_after: list[Path]) -> None:
    stack = busybox_stack
    directory = project(tmp_path, """
        services:
          s:
            image: busybox
            command: ["sleep", "1000"]
            stop_signal: SIGKILL
            secrets:
              - token
              - {source: fromenv, target: renamed, uid: "1000", gid: "1001", mode: 0o400}
            configs:
              - inline
              - {source: fromfile, target: /etc/app.conf, mode: 0o640, uid: "33"}
            volumes:
              - {type: volume, source: store, target: /part, volume: {subpath: inner/deep}}
          whole:
            image: busybox
            volumes: [store:/whole]
            profiles: [tools]
        volumes:
          store: {}
        secrets:
          token: {file: ./token.txt}
          fromenv: {environment: SECRET_VALUE}
        configs:
          inline: {content: "inline content"}
          fromfile: {file: ./app.conf}
    """)
    down_after.append(directory)
    (directory / "token.txt").write_text("s3cret\n")
    (directory / "app.conf").write_text("key=value\n")
    (directory / ".env").write_text("SECRET_VALUE=from-the-environment\n")
    failed = stack.run("up", "-d", cwd=directory, check=False)  # the subpath is missing
    assert failed.returncode == 1
    assert "subpath 'inner/deep' does not exist in volume p_store" in failed.stderr
    sh(stack, directory, "whole", "mkdir -p /whole/inner/deep; echo part > /whole/inner/deep/f")
    stack.run("up", "-d", cwd=directory)
    assert stack.run("exec", "-T", "s", "cat", "/part/f", cwd=directory).stdout == "part\n"

    def ex(script: str, check: bool = True) -> str:
        run = stack.run("exec", "-T", "s", "sh", "-c", script, cwd=directory, check=check)
        return run.stdout + run.stderr

    assert ex("cat /run/secrets/token /run/secrets/renamed /inline /etc/app.conf") == (
        "s3cret\nfrom-the-environmentinline contentkey=value\n")  # exactly the content
    assert ex("stat -c '%n %a %u:%g' /run/secrets/token /run/secrets/renamed /inline "
              "/etc/app.conf") == ("/run/secrets/token 444 0:0\n"
                                   "/run/secrets/renamed 400 1000:1001\n"
                                   "/inline 444 0:0\n/etc/app.conf 640 33:0\n")
    assert "Read-only file system" in ex("echo x > /run/secrets/token", check=False)
    # on the host, only root can read them
    assert [f.stat().st_mode & 0o777 for f in stack.layout.containers.glob("*/files")] == [0o700]

    external = project(tmp_path, """
        services:
          e:
            image: busybox
            secrets: [outside]
        secrets:
          outside: {external: true}
    """, name="external")
    failed = stack.run("up", "-d", cwd=external, check=False)
    assert failed.returncode == 1
    assert "secrets.outside: external secrets are not supported on a single host" \
        in failed.stderr
    assert "Traceback" not in failed.stderr
    stack.run("down", "-t", "0", cwd=external)


def test_volume_verbs(busybox_stack: Stack, tmp_path: Path, down_after: list[Path]) -> None:
    stack = busybox_stack
    assert stack.run("volume", "create", "--label", "a=b", "one").stdout == "one\n"
    anonymous = stack.run("volume", "create").stdout.strip()
    assert len(anonymous) == 64
    table = stack.run("volume", "ls").stdout.splitlines()
    assert table[0] == "DRIVER    VOLUME NAME"
    assert sorted(table[1:]) == sorted([f"local     {anonymous}", "local     one"])
    rows = [json.loads(line) for line in stack.run("volume", "ls", "--format",
                                                   "json").stdout.splitlines()]
    assert {r["Name"]: r["Labels"] for r in rows}["one"] == "a=b"
    info = json.loads(stack.run("volume", "inspect", "one").stdout)
    assert info[0]["Name"] == "one" and info[0]["Driver"] == "local"
    bad = stack.run("volume", "create", "-d", "nfs-plugin", "two", check=False)
    assert bad.returncode == 1 and "volume driver 'nfs-plugin' is not available" in bad.stderr

    directory = project(tmp_path, """
        services:
          app:
            image: busybox
            command: ["sleep", "1000"]
            stop_signal: SIGKILL
            volumes: [one:/one]
        volumes:
          one: {external: true}
    """)
    down_after.append(directory)
    stack.run("up", "-d", cwd=directory)
    in_use = stack.run("volume", "rm", "one", check=False)
    assert in_use.returncode == 1 and "volume is in use" in in_use.stderr
    pruned = stack.run("volume", "prune", "-f").stdout
    assert anonymous in pruned and "one" not in pruned.split()
    assert stack.run("volume", "prune", "-a", "-f").stdout.startswith("Total reclaimed")
    stack.run("down", "-t", "0", cwd=directory)
    assert stack.run("volume", "rm", "one").stdout == "one\n"
    missing = stack.run("volume", "rm", "one", check=False)
    assert missing.returncode == 1 and "no such volume: one" in missing.stderr
    assert stack.run("volume", "ls", "-q").stdout == ""


def test_data_survives_crashes_of_the_container_and_of_pycompose(
        busybox_stack: Stack, tmp_path: Path, down_after: list[Path]) -> None:
    stack = busybox_stack
    host_dir = tmp_path / "device"
    host_dir.mkdir()
    directory = project(tmp_path, f"""
        services:
          db:
            image: busybox
            restart: always
            command: ["sh", "-c", "echo boot | tee -a /data/log >> /bound/log; sleep 0.2; exit 3"]
            volumes: [data:/data, bound:/bound, mem:/mem]
        volumes:
          data: {{}}
          bound:
            driver_opts: {{type: none, o: bind, device: {host_dir}}}
          mem:
            driver_opts: {{type: tmpfs, device: tmpfs, o: "size=1m,mode=700"}}
    """)
    down_after.append(directory)
    data = stack.layout.volumes / "p_data" / "_data" / "log"

    def boots() -> int:
        return data.read_text().count("boot") if data.exists() else 0

    stack.run("up", "-d", cwd=directory)
    stack.wait_for(lambda: boots() >= 3)  # the supervisor restarted the crashed container
    # driver_opts: the bind's device holds the same data; the tmpfs is one
    assert (host_dir / "log").read_text().count("boot") >= 3
    mem = sh(stack, directory, "db", "grep ' /mem ' /proc/mounts")
    assert mem.startswith("tmpfs /mem tmpfs ") and "size=1024k" in mem and "mode=700" in mem
    # pycompose itself crashes: its supervisor is killed; the data stays, a new one takes over
    from compose.supervisor.daemon import running_pid

    pid = running_pid(stack.layout, "p")
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    before = boots()
    stack.run("up", "-d", cwd=directory)
    stack.wait_for(lambda: boots() >= before + 2)
    stack.run("down", "-t", "0", cwd=directory)
    after = boots()
    stack.run("up", "-d", cwd=directory)
    stack.wait_for(lambda: boots() > after)
    stack.run("down", "-v", "-t", "0", cwd=directory)
    assert not (stack.layout.volumes / "p_data").exists()
    assert (host_dir / "log").exists()  # a device is the user's: only the volume goes


def test_volumes_sample(busybox_stack: Stack) -> None:
    """The README's sample: the database's journal grows across down/up."""
    sample = Path(__file__).resolve().parents[2] / "samples" / "volumes"
    stack = busybox_stack
    try:
        for starts in (1, 2):
            stack.run("up", "-d", cwd=sample)

            def logged(starts: int = starts) -> str | None:
                out = stack.run("logs", "--no-log-prefix", cwd=sample).stdout
                return out if f"report: {starts} starts so far" in out else None

            out = stack.wait_for(logged, timeout=30)
            assert out.count("settings=journal_mode=append password=20b") == starts
            stack.run("down", cwd=sample)
        assert "volumes_dbdata" in volume_names(stack)
    finally:
        stack.run("down", "-v", "-t", "0", cwd=sample, check=False)
    assert "volumes_dbdata" not in volume_names(stack)
