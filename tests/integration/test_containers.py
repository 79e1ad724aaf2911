"""From inside real containers: Docker's default security, limits from cgroups,
users, read-only roots, init, and the run/exec/kill/pause/top/stats/cp/rm verbs.

Each test runs in the harness's own network namespace and state root, and the
``stack`` fixture fails it if anything is left behind."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from compose.supervisor.daemon import running_pid
from tests.integration.conftest import Stack


def project(tmp_path: Path, services: str, name: str = "p") -> Path:
    directory = tmp_path / name
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "compose.yaml").write_text("services:\n" + textwrap.indent(
        textwrap.dedent(services), "  "))
    return directory


@pytest.fixture
def down_after(busybox_stack: Stack, tmp_path: Path) -> Iterator[list[Path]]:
    """Projects to bring down at the end, even when the test failed."""
    projects: list[Path] = []
    yield projects
    for directory in projects:
        busybox_stack.run("down", "-t", "0", cwd=directory, check=False)


def up_logs(stack: Stack, directory: Path, service: str) -> str:
    """``up`` attached to one one-shot service; what it printed."""
    result = stack.run("up", service, "--no-log-prefix", "-t", "0", cwd=directory, check=False)
    return result.stdout + result.stderr


def test_default_security_from_inside(busybox_stack: Stack, tmp_path: Path,
                                      down_after: list[Path]) -> None:
    directory = project(tmp_path, """
        probe:
          image: busybox
          command:
            - sh
            - -c
            - |
              grep -E '^(CapEff|CapBnd|Seccomp|NoNewPrivs):' /proc/1/status
              unshare -U true 2>&1; echo "unshare=$$?"
              echo "keys=$$(wc -c < /proc/keys) timers=$$(wc -c < /proc/timer_list)"
              echo "acpi=$$(ls -A /proc/acpi | wc -l)"
              (echo 1 > /proc/sys/kernel/printk) 2>/dev/null || echo "procsys=readonly"
              (touch /sys/x) 2>/dev/null || echo "sys=readonly"
              echo "shm=$$(df -k /dev/shm | awk 'NR==2 {print $$2}')"
              ulimit -n
        unconfined:
          image: busybox
          security_opt: [seccomp=unconfined]
          command: ["sh", "-c", "grep Seccomp: /proc/1/status; unshare -U true && echo unshare=ok"]
    """)
    down_after.append(directory)
    out = up_logs(busybox_stack, directory, "probe")
    assert "CapEff:\t00000000a80425fb" in out  # Docker's 14 default capabilities
    assert "CapBnd:\t00000000a80425fb" in out
    assert "Seccomp:\t2" in out  # a filter is installed
    assert "NoNewPrivs:\t0" in out
    # unshare(CLONE_NEWUSER) needs no capability: only Docker's profile stops it, with EPERM
    assert "Operation not permitted" in out and "unshare=1" in out
    assert "keys=0 timers=0" in out  # masked files read empty
    assert "acpi=0" in out  # a masked directory is an empty tmpfs
    assert "procsys=readonly" in out and "sys=readonly" in out
    assert "shm=65536" in out  # 64 MiB /dev/shm
    out = up_logs(busybox_stack, directory, "unconfined")
    assert "Seccomp:\t0" in out and "unshare=ok" in out


def test_mem_limit_in_cgroup_and_oom_kill_reported(busybox_stack: Stack, tmp_path: Path,
                                                   down_after: list[Path]) -> None:
    directory = project(tmp_path, """
        hog:
          image: busybox
          mem_limit: 32m
          command: ["cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]
    """)
    down_after.append(directory)
    out = up_logs(busybox_stack, directory, "hog")
    assert "33554432" in out
    # tail keeps the whole endless "line" of /dev/zero in memory
    result = busybox_stack.run("run", "--rm", "-T", "hog", "tail", "/dev/zero",
                               cwd=directory, check=False, timeout=120)
    assert result.returncode == 137, result.stderr
    assert "out of memory" in result.stderr


def test_pids_limit_stops_a_fork_bomb(busybox_stack: Stack, tmp_path: Path,
                                      down_after: list[Path]) -> None:
    directory = project(tmp_path, """
        bomb:
          image: busybox
          pids_limit: 20
          command:
            - sh
            - -c
            - |
              read max < /sys/fs/cgroup/pids/pids.max; echo "max=$$max"
              i=0
              while [ $$i -lt 60 ]; do sleep 2 & i=$$((i+1)); done
              echo "all forked"
    """)
    down_after.append(directory)
    out = up_logs(busybox_stack, directory, "bomb")
    assert "max=20" in out
    assert "can't fork: Resource temporarily unavailable" in out  # the 20th process
    assert "all forked" not in out  # ash gives up when it cannot fork


def test_user_read_only_and_tmpfs(busybox_stack: Stack, tmp_path: Path,
                                  down_after: list[Path]) -> None:
    directory = project(tmp_path, """
        app:
          image: busybox
          user: "1000:1000"
          read_only: true
          tmpfs: [/tmp]
          group_add: ["4242"]
          command:
            - sh
            - -c
            - |
              id
              touch /root-file 2>&1 || echo "root=readonly"
              touch /tmp/ok && echo "tmp=writable"
              grep -E '^(Uid|Gid|Groups):' /proc/self/status
    """)
    down_after.append(directory)
    out = up_logs(busybox_stack, directory, "app")
    assert "uid=1000 gid=1000 groups=4242" in out
    assert "Read-only file system" in out and "root=readonly" in out
    assert "tmp=writable" in out
    assert "Uid:\t1000\t1000\t1000\t1000" in out


def test_init_is_pid_one_and_reaps_zombies(busybox_stack: Stack, tmp_path: Path,
                                           down_after: list[Path]) -> None:
    orphan = ["sh", "-c", "(sleep 0.2 &); exec sleep 60"]  # a child left to PID 1
    directory = project(tmp_path, f"""
        plain:
          image: busybox
          command: {json.dumps(orphan)}
        init:
          image: busybox
          init: true
          command: {json.dumps(orphan)}
    """)
    down_after.append(directory)
    stack = busybox_stack
    stack.run("up", "-d", cwd=directory)

    def zombies(service: str) -> str:
        return stack.run("exec", "-T", service, "ps", "-o", "pid,stat,comm",
                         cwd=directory).stdout

    stack.wait_for(lambda: " Z " in zombies("plain"))  # sleep as PID 1 never reaps
    table = zombies("init")
    assert re.search(r"^\s*1 \S+\s+docker-init", table, re.M), table
    import time

    time.sleep(0.5)
    assert " Z " not in zombies("init")
    cmdline = stack.run("exec", "-T", "init", "cat", "/proc/1/cmdline", cwd=directory).stdout
    assert cmdline.split("\0")[:2] == ["/sbin/docker-init", "--"]
    # tini forwards SIGTERM to sleep, which dies of it; sleep as PID 1 ignores it
    stack.run("kill", "-s", "TERM", cwd=directory)

    def states() -> dict[str, tuple[str, int]]:
        rows = [json.loads(x) for x in stack.run("ps", "-a", "--format", "json",
                                                 cwd=directory).stdout.splitlines()]
        return {r["Service"]: (r["State"], r["ExitCode"]) for r in rows}

    stack.wait_for(lambda: states()["init"] == ("exited", 143))
    assert states()["plain"][0] == "running"


BECOMES_THE_RUNTIME = """
import os, runpy, sys
def report(path, argv):
    heavy = {"trio", "yaml", "rich", "ast", "shutil", "pyroute2", "structlog", "typing_extensions",
             "typing"}
    print(sorted(heavy & set(sys.modules)), type(sys.modules.get("inspect")).__name__)
    os._exit(0)
os.execv = report
sys.argv = ["pycompose", *sys.argv[1:]]
runpy.run_module("compose", run_name="__main__")
"""


def _modules_before_the_runtime(stack: Stack, cwd: Path, *args: str) -> str:
    """Which heavy modules a command has imported when it becomes the runtime, and
    what ``inspect`` is then: what its start cost (on its own, without a fork
    server: a served command imports nothing)."""
    result = subprocess.run(["nsenter", f"--net=/run/netns/{stack.netns}", "--", sys.executable,
                             "-c", BECOMES_THE_RUNTIME, *args], cwd=cwd,
                            env={**stack.env, "PYCOMPOSE_FORKSERVER": "0"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_exec_propagates_exit_codes_user_workdir_env(busybox_stack: Stack, tmp_path: Path,
                                                     down_after: list[Path]) -> None:
    directory = project(tmp_path, """
        app:
          image: busybox
          command: ["sleep", "60"]
          environment: {FROM_FILE: "yes"}
        idle:
          image: busybox
          command: ["true"]
    """)
    down_after.append(directory)
    stack = busybox_stack
    stack.run("up", "-d", "app", cwd=directory)
    assert stack.run("exec", "-T", "app", "sh", "-c", "exit 7", cwd=directory,
                     check=False).returncode == 7
    out = stack.run("exec", "-T", "-u", "nobody", "-w", "/tmp", "-e", "EXTRA=1", "app",
                    "sh", "-c", "id -u; pwd; echo $FROM_FILE $EXTRA", cwd=directory).stdout
    assert out.split() == ["65534", "/tmp", "yes", "1"]
    assert _modules_before_the_runtime(stack, directory, "exec", "-T", "app", "true") == \
        "[] _StandIn"
    failed = stack.run("exec", "-T", "idle", "true", cwd=directory, check=False)
    assert failed.returncode == 1
    assert "service 'idle' is not running" in failed.stderr
    assert failed.stderr.count("\n") == 1  # one line, no traceback


def test_exec_without_a_terminal_relays_stdin_and_signals_once(
        busybox_stack: Stack, tmp_path: Path, down_after: list[Path]) -> None:
    """``exec -T`` hands over to ``runc exec`` from the command's own process
    (runtime/oci/handover.py): stdin reaches the command, a signal reaches it once,
    its status is the command's; a paused container is refused in one line."""
    directory = project(tmp_path, """
        app:
          image: busybox
          command: ["sleep", "60"]
    """)
    down_after.append(directory)
    stack = busybox_stack
    stack.run("up", "-d", "app", cwd=directory)
    piped = subprocess.run(stack.argv("exec", "-T", "app", "sh", "-c", "cat; exit 4"),
                           cwd=directory, env=stack.env, input="piped\n", text=True,
                           capture_output=True, timeout=30)
    assert (piped.returncode, piped.stdout) == (4, "piped\n")
    process = stack.popen("exec", "-T", "app", "sh", "-c",
                          "trap 'echo got; exit 3' TERM; echo ready; "
                          "while :; do sleep 0.1; done", cwd=directory)
    assert process.stdout is not None
    assert process.stdout.readline() == "ready\n"
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert (process.returncode, out) == (3, "got\n"), err
    stack.run("pause", "app", cwd=directory)
    paused = stack.run("exec", "-T", "app", "true", cwd=directory, check=False)
    assert paused.returncode == 1
    assert paused.stderr == "error: container directory-app-1 is paused, unpause the " \
        "container before exec\n".replace("directory", directory.name)
    stack.run("unpause", "app", cwd=directory)


def test_run_rm_propagates_exit_code_and_leaves_nothing(busybox_stack: Stack,
                                                        tmp_path: Path) -> None:
    directory = project(tmp_path, """
        db:
          image: busybox
          command: ["sleep", "60"]
        app:
          image: busybox
          depends_on: [db]
          environment: {GREETING: hello}
          command: ["echo", "service command"]
    """)
    stack = busybox_stack
    result = stack.run("run", "--rm", "-T", "-e", "EXTRA=x", "app", "sh", "-c",
                       "echo $GREETING $EXTRA; hostname; exit 3", cwd=directory, check=False)
    assert result.returncode == 3, result.stderr
    lines = result.stdout.split("\n")
    assert lines[0] == "hello x"
    rows = [json.loads(line) for line in
            stack.run("ps", "-a", "--format", "json", cwd=directory).stdout.splitlines()]
    assert [(r["Service"], r["State"]) for r in rows] == [("db", "running")]  # deps started
    result = stack.run("run", "--rm", "-T", "--no-deps", "--entrypoint", "echo", "app",
                       "from", "entrypoint", cwd=directory)
    assert result.stdout == "from entrypoint\n"
    assert stack.run("run", "--rm", "-T", "app", cwd=directory).stdout == "service command\n"
    stack.run("down", "-t", "0", cwd=directory)


def test_run_detached_is_named_like_docker(busybox_stack: Stack, tmp_path: Path,
                                           down_after: list[Path]) -> None:
    directory = project(tmp_path, """
        app:
          image: busybox
          command: ["sleep", "60"]
    """)
    down_after.append(directory)
    stack = busybox_stack
    name = stack.run("run", "-d", "app", cwd=directory).stdout.strip()
    assert re.fullmatch(r"p-app-run-[0-9a-f]{12}", name), name
    rows = [json.loads(line) for line in
            stack.run("ps", "--format", "json", cwd=directory).stdout.splitlines()]
    assert [r["Name"] for r in rows] == [name]
    assert "com.docker.compose.oneoff=True" in rows[0]["Labels"]
    named = stack.run("run", "-d", "--name", "custom", "app", cwd=directory).stdout.strip()
    assert named == "custom"


def test_kill_pause_top_stats_rm(busybox_stack: Stack, tmp_path: Path,
                                 down_after: list[Path]) -> None:
    directory = project(tmp_path, """
        app:
          image: busybox
          mem_limit: 64m
          pids_limit: 50
          command: ["sh", "-c", "trap 'exit 5' USR1; while true; do sleep 1; done"]
    """)
    down_after.append(directory)
    stack = busybox_stack
    stack.run("up", "-d", cwd=directory)
    top = stack.run("top", cwd=directory).stdout
    assert top.startswith("p-app-1\nUID ")
    assert "while true" in top
    stats = json.loads(stack.run("stats", "--no-stream", "--format", "json",
                                 cwd=directory).stdout)
    assert stats["Name"] == "p-app-1"
    assert stats["MemUsage"].endswith(" / 64MiB")
    assert int(stats["PIDs"]) >= 1
    assert stats["CPUPerc"].endswith("%") and "/" in stats["NetIO"]
    table = stack.run("stats", "--no-stream", cwd=directory).stdout
    assert table.startswith("CONTAINER ID   NAME ")
    stack.run("pause", cwd=directory)
    (cid,) = stack.run("ps", "-q", cwd=directory).stdout.split()
    state = Path("/sys/fs/cgroup/freezer/pycompose") / cid / "freezer.state"
    assert state.read_text().strip() == "FROZEN"
    assert "paused" in stack.run("exec", "-T", "app", "true", cwd=directory,
                                 check=False).stderr
    stack.run("unpause", cwd=directory)
    assert state.read_text().strip() == "THAWED"
    stack.run("kill", "-s", "USR1", cwd=directory)
    rows = stack.wait_for(lambda: [json.loads(x) for x in stack.run(
        "ps", "-a", "--format", "json", cwd=directory).stdout.splitlines()
        if json.loads(x)["State"] == "exited"])
    assert rows[0]["ExitCode"] == 5  # the trap ran: the signal reached the process
    assert "Removed" in stack.run("rm", "-f", cwd=directory).stderr
    assert stack.run("ps", "-a", "-q", cwd=directory).stdout == ""
    # told, the supervisor lets go of what it held for them (the DNS sockets in
    # their namespaces) and, with no container left, ends
    stack.wait_for(lambda: running_pid(stack.layout, "p") is None, timeout=5)


def test_cp_both_ways(busybox_stack: Stack, tmp_path: Path, down_after: list[Path]) -> None:
    directory = project(tmp_path, """
        app:
          image: busybox
          tmpfs: [/scratch]
          command: ["sh", "-c", "ln -s /etc/passwd /link; echo inside > /made; sleep 60"]
    """)
    down_after.append(directory)
    stack = busybox_stack
    stack.run("up", "-d", cwd=directory)
    (tmp_path / "in.txt").write_text("from host\n")
    (tmp_path / "tree" / "sub").mkdir(parents=True)
    (tmp_path / "tree" / "sub" / "leaf").write_text("leaf\n")
    stack.run("cp", str(tmp_path / "in.txt"), "app:/scratch/", cwd=directory)
    stack.run("cp", str(tmp_path / "tree"), "app:/copied", cwd=directory)
    out = stack.run("exec", "-T", "app", "sh", "-c",
                    "cat /scratch/in.txt /copied/sub/leaf; stat -c %u /scratch/in.txt",
                    cwd=directory).stdout
    assert out == "from host\nleaf\n0\n"  # into a tmpfs too: through the running container
    stack.wait_for(lambda: stack.run("cp", "app:/made", str(tmp_path / "out.txt"),
                                     cwd=directory, check=False).returncode == 0)
    assert (tmp_path / "out.txt").read_text() == "inside\n"
    stack.run("cp", "-L", "app:/link", str(tmp_path / "passwd"), cwd=directory)
    assert (tmp_path / "passwd").read_text().startswith("root:x:0:0:")  # the image's, not ours
    missing = stack.run("cp", "app:/nope", str(tmp_path / "x"), cwd=directory, check=False)
    assert missing.returncode == 1 and "could not find" in missing.stderr


def test_sysctls_ulimits_capabilities_shareable_ipc_and_pid(
        busybox_stack: Stack, tmp_path: Path, down_after: list[Path]) -> None:
    directory = project(tmp_path, """
        donor:
          image: busybox
          ipc: shareable
          command: ["sh", "-c", "echo shared > /dev/shm/token; sleep 60"]
        guest:
          image: busybox
          ipc: service:donor
          pid: service:donor
          sysctls: {net.core.somaxconn: 1234}
          ulimits: {nofile: {soft: 100, hard: 200}}
          cap_add: [NET_ADMIN]
          cap_drop: [NET_RAW]
          command:
            - sh
            - -c
            - |
              sleep 1
              cat /dev/shm/token
              cat /proc/sys/net/core/somaxconn
              echo "nofile=$$(ulimit -n)/$$(ulimit -Hn)"
              ip link set lo mtu 1400 && echo "net_admin=yes"
              ping -c 1 -W 1 127.0.0.1 >/dev/null 2>&1 || echo "net_raw=no"
              ps -o comm | grep -c sleep
    """)
    down_after.append(directory)
    out = up_logs(busybox_stack, directory, "guest")
    assert "shared" in out  # the donor's /dev/shm
    assert "1234" in out
    assert "nofile=100/200" in out
    assert "net_admin=yes" in out and "net_raw=no" in out
    assert re.search(r"^[12]$", out, re.M)  # the donor's sleep is visible: its pid namespace


def test_unsupported_values_are_clear(busybox_stack: Stack, tmp_path: Path,
                                      down_after: list[Path]) -> None:
    directory = project(tmp_path, """
        panic:
          image: busybox
          sysctls: {kernel.panic: 1}
          command: ["true"]
        other:
          image: busybox
          runtime: no-such-runtime
          command: ["true"]
        aliased:
          image: busybox
          runtime: io.containerd.runc.v2
          command: ["echo", "ran"]
        clamped:
          image: busybox
          ulimits: {nofile: 999999999}
          security_opt: [apparmor=unconfined]
          command: ["sh", "-c", "ulimit -Hn"]
    """)
    down_after.append(directory)
    stack = busybox_stack
    result = stack.run("up", "panic", cwd=directory, check=False)
    assert result.returncode == 1
    assert "kernel.panic is not namespaced" in result.stderr
    assert "Traceback" not in result.stderr
    result = stack.run("up", "other", cwd=directory, check=False)
    assert "runtime 'no-such-runtime' is not installed" in result.stderr
    assert "ran" in stack.run("up", "aliased", cwd=directory).stdout  # Docker's name for runc
    (bundle,) = [p for p in stack.layout.containers.iterdir()
                 if json.loads((p / "container.json").read_text())["service"] == "aliased"]
    runtime = json.loads((bundle / "container.json").read_text())["runtime"]
    assert runtime.endswith("/runc")
    assert json.loads((bundle / "bundle.json").read_text())["runtime"] == runtime
    result = stack.run("up", "clamped", "--no-log-prefix", cwd=directory, check=False)
    assert "apparmor=unconfined" in result.stderr  # warned at load
    assert "above this host's hard limit" in result.stderr  # warned at create
    hard = int(result.stdout.strip().splitlines()[0])
    assert hard < 999999999


def test_runtime_update_changes_a_running_container(busybox_stack: Stack, tmp_path: Path,
                                                    down_after: list[Path]) -> None:
    import trio

    from common.state import container_records
    from runtime.images.store import ImageStore
    from runtime.oci.containers import ContainerDriver
    from runtime.oci.runtime import OciRuntime, detect_runtime

    directory = project(tmp_path, """
        app:
          image: busybox
          pids_limit: 30
          command: ["sleep", "60"]
    """)
    down_after.append(directory)
    stack = busybox_stack
    stack.run("up", "-d", cwd=directory)
    layout = stack.layout

    async def update() -> None:
        oci = OciRuntime(layout, await detect_runtime(layout, {}))
        driver = ContainerDriver(layout, ImageStore(layout.images), oci)
        (record,) = container_records(layout, "p")
        await driver.update(record, {"pids": {"limit": 77}})
        assert (await driver.stats(record)).cgroup.pids == 1

    trio.run(update)
    out = stack.run("exec", "-T", "app", "cat", "/sys/fs/cgroup/pids/pids.max",
                    cwd=directory).stdout
    assert out.strip() == "77"


def _interact(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """Drive ``argv`` on a pseudo-terminal of 33x101: wait for a shell prompt, ask
    for the terminal size and a sum, exit 9."""
    import fcntl
    import os
    import pty
    import select
    import struct
    import termios
    import time

    pid, fd = pty.fork()
    if pid == 0:  # the child: stdin and stdout are the terminal
        os.chdir(cwd)
        os.execvpe(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 101, 0, 0))
    seen = b""

    def until(token: bytes, timeout: float = 30) -> None:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while token not in seen and time.monotonic() < deadline:
            if select.select([fd], [], [], 0.2)[0]:
                try:
                    seen += os.read(fd, 4096)
                except OSError:
                    return

    until(b"# ")
    os.write(fd, b"stty size; echo $((6*7)); tty\r")
    until(b"42")
    os.write(fd, b"exit 9\r")
    until(b"\0never", 2)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), seen.decode(errors="replace")


def test_exec_and_run_are_interactive_on_a_terminal(busybox_stack: Stack, tmp_path: Path,
                                                    down_after: list[Path]) -> None:
    directory = project(tmp_path, """
        app:
          image: busybox
          command: ["sleep", "60"]
    """)
    down_after.append(directory)
    stack = busybox_stack
    stack.run("up", "-d", cwd=directory)
    for verb in (["exec", "app", "sh"], ["run", "--rm", "app", "sh"]):
        code, seen = _interact(stack.argv(*verb), stack.env, directory)
        assert code == 9, seen
        assert "33 101" in seen  # our terminal's size reached the container's
        assert "\n42" in seen.replace("\r", "")
        assert "/dev/pts/0" in seen


def test_ps_and_inspect_show_what_the_container_runs(busybox_stack: Stack, tmp_path: Path,
                                                    down_after: list[Path]) -> None:
    """An entrypoint-only service run as a named user, crashing once: ``ps`` shows its
    command, ``inspect`` its entrypoint, user, mounts, health and restart count."""
    directory = project(tmp_path, """
        db:
          image: busybox
          user: nobody
          entrypoint:
            - /bin/sh
            - -c
            - "test -f /shared/ran || { touch /shared/ran; exit 1; }; exec sleep 300"
          restart: on-failure
          volumes: ["data:/data", "./shared:/shared"]
          healthcheck: {test: ["CMD", "true"], interval: 300ms}
    """)
    with (directory / "compose.yaml").open("a") as compose:
        compose.write("volumes:\n  data: {}\n")
    (directory / "shared").mkdir()
    (directory / "shared").chmod(0o777)
    down_after.append(directory)
    stack = busybox_stack
    stack.run("up", "-d", cwd=directory)

    def shown() -> dict[str, Any]:
        found: dict[str, Any] = json.loads(stack.run("inspect", "db", cwd=directory).stdout)[0]
        return found

    def settled() -> dict[str, Any] | None:
        out = shown()
        healthy = out["State"].get("Health", {}).get("Status") == "healthy"
        return out if out["RestartCount"] == 1 and healthy else None

    out = stack.wait_for(settled)
    assert out["Path"] == "/bin/sh" and out["Args"][0] == "-c"
    assert out["Config"]["Entrypoint"][:2] == ["/bin/sh", "-c"]
    assert out["Config"]["Cmd"] is None  # a service entrypoint drops the image's Cmd
    assert out["Config"]["User"] == "nobody"
    assert out["State"]["Running"] and out["State"]["Pid"] > 0
    mounts = {m["Destination"]: m for m in out["Mounts"]}
    assert mounts["/data"]["Type"] == "volume" and mounts["/data"]["Name"] == "p_data"
    assert Path(mounts["/data"]["Source"]).is_dir()
    assert mounts["/shared"]["Type"] == "bind"
    assert mounts["/shared"]["Source"] == str(directory / "shared")
    assert out["HostConfig"]["RestartPolicy"]["Name"] == "on-failure"
    assert any(e.startswith("PATH=") for e in out["Config"]["Env"])
    row = json.loads(stack.run("ps", "--format", "json", cwd=directory).stdout)
    assert row["Command"].startswith('"/bin/sh -c'), row["Command"]
