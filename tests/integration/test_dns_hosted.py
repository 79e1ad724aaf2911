"""The embedded DNS server as the supervisor hosts it, seen from inside containers."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from compose.supervisor.daemon import running_pid
from tests.integration.conftest import Stack
from tests.integration.test_skeleton import write_compose


def test_names_resolve_through_127_0_0_11_and_unhealthy_ones_disappear(
        busybox_stack: Stack, tmp_path: Path) -> None:
    project = write_compose(tmp_path / "names", """
        services:
          api:
            image: busybox
            command: ["sh", "-c", "trap 'exit 0' TERM; sleep 300 & wait"]
            networks:
              default:
                aliases: [backend]
          sick:
            image: busybox
            command: ["sh", "-c", "trap 'exit 0' TERM; sleep 300 & wait"]
            healthcheck:
              test: ["CMD", "false"]
              interval: 500ms
              retries: 1
          own53:
            image: busybox
            # a program of the container's own may still listen on port 53
            command: ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 53 & wait"]
          probe:
            image: busybox
            command: ["sh", "-c", "trap 'exit 0' TERM; sleep 300 & wait"]
    """).parent
    stack = busybox_stack
    stack.run("up", "-d", cwd=project)

    def lookup(name: str) -> str:
        return stack.run("exec", "-T", "probe", "nslookup", name, cwd=project,
                         check=False).stdout

    resolv = stack.run("exec", "-T", "probe", "cat", "/etc/resolv.conf", cwd=project).stdout
    assert "nameserver 127.0.0.11" in resolv
    hosts = stack.run("exec", "-T", "probe", "cat", "/etc/hosts", cwd=project).stdout
    assert "api" not in hosts  # names come from the DNS server, not /etc/hosts
    for name in ("api", "backend", "names-api-1"):
        assert "Address: 10.89." in lookup(name), name
    # `sick` answers until its health check has failed, then it is left out
    stack.wait_for(lambda: "Address: 10.89." not in lookup("sick"), timeout=20)
    assert "Address: 10.89." in lookup("own53")  # it runs: port 53 was free for it
    stack.run("down", "-t", "1", cwd=project)


def test_one_off_containers_resolve_services_and_are_found_by_their_own_name_only(
        busybox_stack: Stack, tmp_path: Path) -> None:
    """``run``, with or without its dependencies, gets the same embedded DNS as the
    service's containers, and warns about no orphans."""
    project = write_compose(tmp_path / "oneoff", """
        services:
          cache:
            image: busybox
            command: ["sh", "-c", "trap 'exit 0' TERM; sleep 300 & wait"]
            networks:
              default:
                aliases: [kv]
          job:
            image: busybox
            depends_on: [cache]
            command: ["nslookup", "cache"]
          admin:
            image: busybox
            command: ["sh", "-c", "trap 'exit 0' TERM; sleep 300 & wait"]
    """).parent
    stack = busybox_stack
    stack.run("up", "-d", "cache", "admin", cwd=project)
    supervisor = running_pid(stack.layout, "oneoff")
    assert supervisor is not None
    sockets = _sockets(supervisor)  # DNS of cache-1 and admin-1
    ran = stack.run("run", "--rm", "-T", "job", cwd=project)  # admin-1 is no orphan
    assert "Address: 10.89." in ran.stdout
    assert "orphan" not in ran.stderr
    for name in ("cache", "kv", "oneoff-cache-1"):
        found = stack.run("run", "--rm", "-T", "--no-deps", "admin", "nslookup", name,
                          cwd=project)
        assert "Address: 10.89." in found.stdout, (name, found.stdout)
        assert "orphan" not in found.stderr
    # the one-offs' DNS sockets are closed once they are removed: each held the
    # one-off's network namespace (and with it its nftables) until the supervisor
    # exited, since their watchers had ended when they exited
    stack.wait_for(lambda: _sockets(supervisor) == sockets, timeout=5)
    # a one-off of cache is not one more "cache" for the others, unless --use-aliases
    detached = stack.run("run", "-d", "cache", cwd=project).stdout.strip()
    answers = stack.run("run", "--rm", "-T", "--no-deps", "admin", "sh", "-c",
                        f"nslookup cache; nslookup {detached}", cwd=project).stdout
    assert answers.count("Address: 10.89.") == 2, answers  # cache-1, and the one-off
    stack.run("down", "-t", "0", cwd=project)


def _sockets(pid: int) -> int:
    """How many sockets process ``pid`` holds open."""
    directory, count = f"/proc/{pid}/fd", 0
    for fd in os.listdir(directory):
        with contextlib.suppress(FileNotFoundError):  # closed meanwhile
            count += os.readlink(f"{directory}/{fd}").startswith("socket:")
    return count
