"""Networks on real bridges, veths and nftables, inside the test's namespace.

A second namespace plays "the outside": it is joined to the test's namespace by a
veth pair (198.51.100.1 on our side, 198.51.100.2 outside), so egress NAT and
published ports are tested against it and never against a real address.  The
``stack`` fixture checks that nothing (links, mounts, conmon, state) is left; these
tests check the nftables ruleset too.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import secrets
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Stack

pytestmark = pytest.mark.skipif(
    shutil.which("nft", path="/usr/sbin:/usr/bin:/sbin:/bin") is None,
    reason="networking needs nft (Debian package nftables; run `make setup`)")

OUR_ADDRESS = "198.51.100.1"
OUTSIDE_ADDRESS = "198.51.100.2"


@dataclass
class Outside:
    netns: str

    def run(self, *argv: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["ip", "netns", "exec", self.netns, *argv], capture_output=True,
                              text=True, timeout=timeout)

    def popen(self, *argv: str) -> subprocess.Popen[str]:
        return subprocess.Popen(["ip", "netns", "exec", self.netns, *argv], text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.fixture
def outside(stack: Stack) -> Iterator[Outside]:
    """A namespace joined to the stack's by a veth pair, removed before the stack's
    own leak check runs."""
    name = f"pyco-{secrets.token_hex(4)}"
    inner = f"vo{secrets.token_hex(4)}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        subprocess.run(["ip", "-n", stack.netns, "link", "add", inner, "type", "veth", "peer",
                        "name", "eth0", "netns", name], check=True)
        subprocess.run(["ip", "-n", stack.netns, "addr", "add", f"{OUR_ADDRESS}/24", "dev",
                        inner], check=True)
        subprocess.run(["ip", "-n", name, "addr", "add", f"{OUTSIDE_ADDRESS}/24", "dev", "eth0"],
                       check=True)
        subprocess.run(["ip", "-n", stack.netns, "link", "set", inner, "up"], check=True)
        subprocess.run(["ip", "-n", name, "link", "set", "eth0", "up"], check=True)
        yield Outside(name)
    finally:
        subprocess.run(["ip", "-n", stack.netns, "link", "del", inner], capture_output=True)
        subprocess.run(["ip", "netns", "delete", name], capture_output=True)


def write_compose(directory: Path, data: dict[str, Any]) -> Path:
    """The file as JSON (which is YAML): no indentation to get wrong."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "compose.yaml").write_text(json.dumps(data, indent=1))
    return directory


def sh(script: str) -> list[str]:
    return ["sh", "-c", textwrap.dedent(script).strip() + "\n"]


def ruleset(stack: Stack) -> str:
    return subprocess.run(["ip", "netns", "exec", stack.netns, "nft", "list", "ruleset"],
                          capture_output=True, text=True, check=True).stdout


def rows(stack: Stack, project: Path) -> list[dict[str, object]]:
    out = stack.run("ps", "-a", "--format", "json", cwd=project).stdout
    return [json.loads(line) for line in out.splitlines()]


def container_id(stack: Stack, project: Path, service: str) -> str:
    return stack.run("ps", "-a", "-q", service, cwd=project).stdout.split()[0]


def down_leaves_nothing(stack: Stack, project: Path) -> None:
    stack.run("down", "-t", "1", cwd=project)
    assert [link for link in stack.links() if not link.startswith("vo")] == ["lo"]
    assert "table" not in ruleset(stack)


def in_namespace(stack: Stack, *argv: str, timeout: float = 10) -> str:
    result = subprocess.run(["ip", "netns", "exec", stack.netns, *argv], capture_output=True,
                            text=True, timeout=timeout)
    return result.stdout if result.returncode == 0 else f"failed: {result.stderr}"


# A web server whose /cgi-bin/ip answers with the client's address.
WHOAMI = {"image": "busybox", "command": sh("""
    mkdir -p /www/cgi-bin
    echo ok > /www/index.html
    printf '#!/bin/sh\\necho "Content-Type: text/plain"\\necho\\necho "$$REMOTE_ADDR"\\n' \\
        > /www/cgi-bin/ip
    chmod +x /www/cgi-bin/ip
    exec httpd -f -p 80 -h /www
""")}
WAIT_WEB = "for i in $$(seq 30); do timeout 1 wget -q -O /dev/null {url} && break; sleep 0.3; done"


def test_two_networks_isolation_sharing_aliases_static_addresses(busybox_stack: Stack,
                                                                 tmp_path: Path) -> None:
    project = write_compose(tmp_path / "nets", {
        "services": {
            "web": {**WHOAMI, "networks": {
                "front": {"aliases": ["www"], "ipv4_address": "10.201.1.10",
                          "mac_address": "02:42:0a:c9:01:0a"},
                "back": {"ipv4_address": "10.201.2.10"}}},
            "db": {**WHOAMI, "networks": {"back": {"ipv4_address": "10.201.2.20"}}},
            "probe": {
                "image": "busybox", "depends_on": ["web", "db"],
                "networks": {"front": {"ipv4_address": "10.201.1.30"}},
                "command": sh(f"""
                    {WAIT_WEB.format(url="http://www/")}
                    echo "alias=$$(timeout 2 wget -q -O - http://www/)"
                    echo "service=$$(timeout 2 wget -q -O - http://web/)"
                    echo "seen-as=$$(timeout 2 wget -q -O - http://10.201.1.10/cgi-bin/ip)"
                    timeout 2 wget -q -O /dev/null http://10.201.2.20/ && echo db=reached \\
                        || echo db=isolated
                    timeout 2 wget -q -O /dev/null http://10.201.2.10/ && echo web-back=reached \\
                        || echo web-back=isolated
                    grep -qw db /etc/hosts && echo hosts=db || echo hosts=no-db
                    ip -o -4 addr show eth0 | awk '{{print "addr=" $$4}}'
                """),
            },
        },
        "networks": {
            "front": {"ipam": {"config": [{"subnet": "10.201.1.0/24"}]}},
            "back": {"ipam": {"config": [{"subnet": "10.201.2.0/24"}]}},
        },
    })
    stack = busybox_stack
    out = stack.run("up", "probe", "--no-log-prefix", "-t", "1", cwd=project,
                    timeout=90).stdout
    assert "alias=ok" in out
    assert "service=ok" in out
    assert "seen-as=[::ffff:10.201.1.30]" in out  # same network: no NAT
    assert "db=isolated" in out  # on another network, even by address
    assert "web-back=isolated" in out  # web's address on the other network too
    assert "hosts=no-db" in out
    assert "addr=10.201.1.30/24" in out
    # the web container reaches db on the network they share
    web_ns = str(stack.layout.netns / container_id(stack, project, "web"))
    fetched = subprocess.run(["nsenter", f"--net={web_ns}", "curl", "-s", "-m", "3",
                              "http://10.201.2.20/cgi-bin/ip"], capture_output=True, text=True)
    assert fetched.stdout.strip() == "[::ffff:10.201.2.10]"
    links = subprocess.run(["nsenter", f"--net={web_ns}", "ip", "-o", "link"],
                           capture_output=True, text=True).stdout
    assert "eth1" in links and "link/ether 02:42:0a:c9:01:0a" in links  # front: eth1
    networks = {r["Service"]: r["Networks"] for r in rows(stack, project)}
    assert networks == {"web": "nets_back,nets_front", "db": "nets_back", "probe": "nets_front"}
    assert len([link for link in stack.links() if link.startswith("pc")]) == 2
    down_leaves_nothing(stack, project)


def _udp_echo(netns_path: Path) -> subprocess.Popen[str]:
    """A UDP server in a container's namespace that answers with the sender's
    address (busybox has none); the path through DNAT is the kernel's either way."""
    code = ("import socket\n"
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            "s.bind(('0.0.0.0', 53))\n"
            "print('ready', flush=True)\n"
            "while True:\n"
            "    data, peer = s.recvfrom(100)\n"
            "    s.sendto(peer[0].encode(), peer)\n")
    process = subprocess.Popen(["nsenter", f"--net={netns_path}", sys.executable, "-c", code],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    return process


UDP_ASK = ("import socket, sys\n"
           "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
           "s.settimeout(3)\n"
           "s.sendto(b'who', (sys.argv[1], int(sys.argv[2])))\n"
           "print(s.recvfrom(100)[0].decode())\n")


def test_published_tcp_and_udp_ports_keep_the_client_address(busybox_stack: Stack,
                                                             outside: Outside,
                                                             tmp_path: Path) -> None:
    project = write_compose(tmp_path / "pub", {"services": {"web": {
        **WHOAMI, "ports": ["18080:80", "127.0.0.1:18081:80", "15353:53/udp", "80"]}}})
    stack = busybox_stack
    stack.run("up", "-d", cwd=project)
    web_id = container_id(stack, project, "web")
    echo = _udp_echo(stack.layout.netns / web_id)
    try:
        # from outside: the client's own address reaches the container
        url = f"http://{OUR_ADDRESS}:18080/cgi-bin/ip"
        got = stack.wait_for(lambda: outside.run("curl", "-s", "-m", "2", url).stdout.strip())
        assert got == f"[::ffff:{OUTSIDE_ADDRESS}]"
        udp = outside.run(sys.executable, "-c", UDP_ASK, OUR_ADDRESS, "15353")
        assert udp.stdout.strip() == OUTSIDE_ADDRESS, udp.stderr
        # a port published on 127.0.0.1 only is not reachable from outside
        refused = outside.run("curl", "-s", "-m", "2", f"http://{OUR_ADDRESS}:18081/")
        assert refused.returncode != 0
        # from the host itself, on loopback (masqueraded: it cannot leave lo as it is)
        assert in_namespace(stack, "curl", "-s", "-m", "2",
                            "http://127.0.0.1:18081/").strip() == "ok"
        assert in_namespace(stack, "curl", "-s", "-m", "2",
                            "http://127.0.0.1:18080/").strip() == "ok"
        assert in_namespace(stack, sys.executable, "-c", UDP_ASK, "127.0.0.1",
                            "15353").strip().startswith("10.89.")
        # and on its own address: that address is the client
        assert in_namespace(stack, "curl", "-s", "-m", "2",
                            f"http://{OUR_ADDRESS}:18080/cgi-bin/ip").strip() == \
            f"[::ffff:{OUR_ADDRESS}]"
    finally:
        echo.kill()
        echo.wait()

    random_port = stack.run("port", "web", "80", cwd=project).stdout.strip()
    assert random_port == "0.0.0.0:18080"
    assert stack.run("port", "--protocol", "udp", "web", "53", cwd=project).stdout.strip() \
        == "0.0.0.0:15353"
    row = rows(stack, project)[0]
    publishers = row["Publishers"]
    assert isinstance(publishers, list)
    random = [p["PublishedPort"] for p in publishers
              if p["TargetPort"] == 80 and p["PublishedPort"] not in (18080, 18081)]
    assert len(random) == 1 and 32768 <= random[0] <= 65535
    low, high = (int(x) for x in in_namespace(
        stack, "cat", "/proc/sys/net/ipv4/ip_local_port_range").split())
    assert low <= random[0] <= high  # the kernel's ephemeral range
    assert row["Ports"] == (f"0.0.0.0:15353->53/udp, 0.0.0.0:18080->80/tcp, "
                            f"0.0.0.0:{random[0]}->80/tcp, 127.0.0.1:18081->80/tcp")
    assert in_namespace(stack, "curl", "-s", "-m", "2",
                        f"http://127.0.0.1:{random[0]}/").strip() == "ok"
    assert "dport 18080" in ruleset(stack)
    down_leaves_nothing(stack, project)


def test_a_host_port_in_use_fails_before_anything_is_made(busybox_stack: Stack,
                                                          tmp_path: Path) -> None:
    stack = busybox_stack
    listener = subprocess.Popen(
        ["ip", "netns", "exec", stack.netns, sys.executable, "-c",
         "import socket, time\n"
         "s = socket.socket(); s.bind(('0.0.0.0', 18090)); s.listen()\n"
         "print('ready', flush=True); time.sleep(60)\n"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert listener.stdout is not None
        assert listener.stdout.readline().strip() == "ready"
        project = write_compose(tmp_path / "busy", {"services": {"web": {
            "image": "busybox", "command": ["sleep", "30"], "ports": ["18090:80"]}}})
        result = stack.run("up", "-d", cwd=project, check=False)
    finally:
        listener.kill()
        listener.wait()
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "error: service web: host port 0.0.0.0:18090/tcp is already in use on this host")
    assert rows(stack, project) == []
    assert stack.links() == ["lo"]
    assert "table" not in ruleset(stack)
    stack.run("down", cwd=project)


def test_egress_is_masqueraded_and_internal_networks_have_none(busybox_stack: Stack,
                                                               outside: Outside,
                                                               tmp_path: Path) -> None:
    server = outside.popen(sys.executable, "-m", "http.server", "--bind", OUTSIDE_ADDRESS,
                           "18000", "--directory", str(tmp_path))
    (tmp_path / "hello.txt").write_text("from the outside\n")
    hello = f"http://{OUTSIDE_ADDRESS}:18000/hello.txt"
    project = write_compose(tmp_path / "egress", {
        "services": {
            "out": {"image": "busybox", "networks": ["public"], "command": sh(f"""
                for i in 1 2 3 4 5; do timeout 2 wget -q -O - {hello} && break; sleep 0.5; done
            """)},
            "in": {"image": "busybox", "networks": ["private"], "command": sh(f"""
                timeout 2 wget -q -O - {hello} || echo in-blocked
                echo "default-routes=$$(ip route | grep -c default)"
            """)},
        },
        "networks": {"public": {}, "private": {"internal": True}},
    })
    stack = busybox_stack
    try:
        out = stack.run("up", "--no-log-prefix", cwd=project, timeout=90).stdout
    finally:
        server.terminate()
        _, log = server.communicate(timeout=10)
    assert "from the outside" in out
    assert "in-blocked" in out
    assert "default-routes=0" in out  # the internal network gives no route out
    # the outside saw the host's address, not the container's
    assert f"{OUR_ADDRESS} - -" in log
    assert "10.89." not in log
    down_leaves_nothing(stack, project)


def test_ipv6_dual_stack(busybox_stack: Stack, tmp_path: Path) -> None:
    project = write_compose(tmp_path / "six", {
        "services": {
            "web": {**WHOAMI, "networks": {"dual": {"ipv6_address": "fd00:201::10"}}},
            "probe": {"image": "busybox", "depends_on": ["web"], "networks": ["dual"],
                      "command": sh(f"""
                {WAIT_WEB.format(url="http://[fd00:201::10]/")}
                echo "v6=$$(timeout 2 wget -q -O - 'http://[fd00:201::10]/cgi-bin/ip')"
                ip -o -6 addr show eth0 scope global | awk '{{print "addr6=" $$4}}'
                ip -6 route | grep default
            """)},
        },
        "networks": {"dual": {"enable_ipv6": True, "ipam": {"config": [
            {"subnet": "10.201.6.0/24"}, {"subnet": "fd00:201::/64"}]}}},
    })
    stack = busybox_stack
    out = stack.run("up", "probe", "--no-log-prefix", "-t", "1", cwd=project,
                    timeout=90).stdout
    assert "v6=[fd00:201::2]" in out
    assert "addr6=fd00:201::2/64" in out
    assert "default via fd00:201::1" in out
    assert in_namespace(stack, "curl", "-s", "-m", "2", "http://[fd00:201::10]/").strip() == "ok"
    down_leaves_nothing(stack, project)


def test_network_mode_service_shares_the_namespace(busybox_stack: Stack,
                                                   tmp_path: Path) -> None:
    project = write_compose(tmp_path / "shared", {"services": {
        "web": WHOAMI,
        "sidecar": {"image": "busybox", "network_mode": "service:web", "command": sh(f"""
            {WAIT_WEB.format(url="http://127.0.0.1/")}
            echo "local=$$(timeout 2 wget -q -O - http://127.0.0.1/)"
            ip -o -4 addr show eth0 | awk '{{print "addr=" $$4}}'
        """)},
        "loner": {"image": "busybox", "network_mode": "none", "command": sh("""
            echo "interfaces=$$(ip -o link | grep -c ': eth')"
            echo "lo=$$(ip -o link show lo | grep -c UP)"
        """)},
    }})
    stack = busybox_stack
    out = stack.run("up", "sidecar", "loner", "--no-log-prefix", "-t", "1", cwd=project,
                    timeout=90).stdout
    assert "local=ok" in out
    web_address = subprocess.run(
        ["nsenter", f"--net={stack.layout.netns / container_id(stack, project, 'web')}",
         "ip", "-o", "-4", "addr", "show", "eth0"], capture_output=True, text=True).stdout
    address = next(line.split("addr=", 1)[1] for line in out.splitlines() if "addr=" in line)
    assert address in web_address
    assert "interfaces=0" in out
    assert "lo=1" in out
    down_leaves_nothing(stack, project)


def test_down_after_a_crash_leaves_nothing(busybox_stack: Stack, tmp_path: Path) -> None:
    project = write_compose(tmp_path / "crash", {
        "services": {"web": {**WHOAMI, "ports": ["18085:80"], "networks": ["a", "b"]}},
        "networks": {"a": {}, "b": {}},
    })
    stack = busybox_stack
    stack.run("up", "-d", cwd=project)
    pid = stack.wait_for(lambda: next((r.get("pid") for r in _runc_states(stack)), None))
    with contextlib.suppress(ProcessLookupError):
        subprocess.run(["kill", "-9", str(pid)], check=True)
    stack.wait_for(lambda: rows(stack, project)[0]["State"] == "exited")
    assert "dport 18085" in ruleset(stack)
    down_leaves_nothing(stack, project)


def test_a_project_is_brought_down_only_from_its_network_namespace(
        busybox_stack: Stack, tmp_path: Path, netns: str) -> None:
    """Its bridge, firewall table and supervisor live in the namespace of its
    ``up``: ``down`` or ``up`` from another (the same state root) refuse, naming
    that namespace, and change nothing; from its own, ``down`` leaves nothing."""
    project = write_compose(tmp_path / "home", {
        "services": {"web": {"image": "busybox", "command": ["sleep", "300"],
                             "ports": ["18086:80"]}}})
    stack = busybox_stack
    stack.run("up", "-d", cwd=project)
    bridges = [link for link in stack.links() if link.startswith("pc")]
    elsewhere = dataclasses.replace(stack, netns=netns)
    for verb in (("down", "-t", "0"), ("up", "-d")):
        refused = elsewhere.run(*verb, cwd=project, check=False)
        assert refused.returncode != 0
        assert f"network namespace, /run/netns/{stack.netns}: run pycompose in that" \
            in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
    assert [link for link in elsewhere.links() if link != "lo"] == []
    assert rows(stack, project)[0]["State"] == "running"
    assert [link for link in stack.links() if link.startswith("pc")] == bridges
    assert "dport 18086" in ruleset(stack)
    down_leaves_nothing(stack, project)


def _runc_states(stack: Stack) -> list[dict[str, object]]:
    out = subprocess.run(["runc", "--root", str(stack.layout.runc_root), "list", "-f", "json"],
                         capture_output=True, text=True).stdout
    return json.loads(out or "[]") or []


def test_networks_sample(busybox_stack: Stack) -> None:
    sample = Path(__file__).resolve().parents[2] / "samples" / "networks"
    stack = busybox_stack
    stack.run("up", "-d", cwd=sample)

    def logged() -> str | None:
        out = stack.run("logs", "client", cwd=sample).stdout
        return out if "client got: web" in out and "cannot reach backend" in out else None

    out = stack.wait_for(logged, timeout=30)
    assert "relays: hello from api" in out
    page = in_namespace(stack, "curl", "-s", "-m", "2", "http://127.0.0.1:8080/")
    assert page.startswith("web (") and "relays: hello from api" in page
    assert stack.run("port", "web", "80", cwd=sample).stdout.strip() == "0.0.0.0:8080"
    ps = stack.run("ps", cwd=sample).stdout
    assert "0.0.0.0:8080->80/tcp" in ps
    down_leaves_nothing(stack, sample)


def test_resolv_conf_and_hosts_settings(busybox_stack: Stack, tmp_path: Path) -> None:
    project = write_compose(tmp_path / "resolv", {"services": {"probe": {
        "image": "busybox",
        "dns": ["192.0.2.53"], "dns_search": ["example.test"], "dns_opt": ["ndots:2"],
        "extra_hosts": ["gw:host-gateway", "static=192.0.2.7"],
        "command": ["sh", "-c", "cat /etc/resolv.conf /etc/hosts"],
    }}})
    stack = busybox_stack
    out = stack.run("up", "--no-log-prefix", cwd=project, timeout=60).stdout
    # as under Docker: the embedded server answers, the dns: servers are its upstreams
    assert "nameserver 127.0.0.11\nsearch example.test\noptions ndots:2\n" in out
    gateway = json.loads(next(stack.layout.containers.glob("*/container.json")).read_text())[
        "attachments"][0]["gateway"]
    assert f"{gateway}\tgw\n192.0.2.7\tstatic\n" in out
    down_leaves_nothing(stack, project)
