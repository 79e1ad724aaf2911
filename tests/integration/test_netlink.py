"""network/netlink.py against the kernel, in a network namespace of the test's own:
links deleted in one batch, and never a link that is not ours."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def inside(netns: str, body: str) -> str:
    """Run ``body`` (Python, ``netlink`` imported) in the namespace; its output."""
    code = "from network import netlink\n" + textwrap.dedent(body)
    result = subprocess.run(["ip", "netns", "exec", netns, sys.executable, "-c", code],
                            cwd=REPO, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    return result.stdout


def links(netns: str) -> set[str]:
    out = subprocess.run(["ip", "-n", netns, "-o", "link"], capture_output=True, text=True,
                         check=True).stdout
    return {line.split(": ")[1].split("@")[0] for line in out.splitlines()}


def make_links(netns: str, count: int) -> None:
    for index in range(count):
        subprocess.run(["ip", "-n", netns, "link", "add", f"va{index}", "type", "veth",
                        "peer", "name", f"vb{index}"], check=True)
    subprocess.run(["ip", "-n", netns, "link", "add", "keep0", "type", "bridge"], check=True)


def test_several_links_go_in_one_batch_and_others_stay(netns: str) -> None:
    make_links(netns, 5)
    inside(netns, """
        netlink.delete_links(["va0", "va1", "va2", "va3", "va4", "missing"])
        netlink.delete_links(["va0"])  # already gone: nothing to do
    """)
    assert links(netns) == {"lo", "keep0"}  # the peers went with their pairs


def test_a_group_another_link_has_is_not_deleted(netns: str) -> None:
    """The random group is checked: if someone else's link is in it, each of ours
    is deleted on its own and theirs stays."""
    make_links(netns, 3)
    group = 2**20 + 7
    subprocess.run(["ip", "-n", netns, "link", "set", "keep0", "group", str(group)], check=True)
    inside(netns, f"""
        import secrets
        secrets.randbelow = lambda bound: {group} - 2**20
        netlink.delete_links(["va0", "va1", "va2"])
    """)
    assert links(netns) == {"lo", "keep0"}
    shown = subprocess.run(["ip", "-n", netns, "-d", "link", "show", "keep0"],
                           capture_output=True, text=True, check=True).stdout
    assert f"group {group}" in shown


def test_a_new_namespace_is_found_with_its_loopback_up(tmp_path: Path) -> None:
    """The DNS server binds 127.0.0.11 in it as soon as the namespace exists; a
    socket bound while ``lo`` comes up answers from 127.0.0.1 (no resolver takes
    that), so the namespace appears with ``lo`` up, before its interfaces."""
    path = tmp_path / "ns"
    code = textwrap.dedent(f"""
        from pathlib import Path
        from network.netns import make_netns
        make_netns(Path({str(path)!r}))
    """)
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=60,
                   env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        out = subprocess.run(["nsenter", f"--net={path}", "ip", "-o", "link", "show", "lo"],
                             capture_output=True, text=True, check=True).stdout
        assert ",UP," in out or "<LOOPBACK,UP" in out, out
    finally:
        subprocess.run(["umount", str(path)], check=False)


def test_a_pair_is_made_on_its_bridge_up_even_over_a_crash_s_leftover(netns: str) -> None:
    """The host end is made on the bridge and up in one request; a link of its name
    left by a crash is replaced."""
    inner = f"pcnl-in-{secrets.token_hex(3)}"
    subprocess.run(["ip", "netns", "add", inner], check=True)
    try:
        subprocess.run(["ip", "-n", netns, "link", "add", "pvleft", "type", "veth", "peer",
                        "name", "pvother"], check=True)
        inside(netns, f"""
            from ipaddress import ip_interface
            netlink.ensure_bridge("pcbr", [ip_interface("10.250.0.1/24")])
            face = netlink.Interface("eth0", ip_interface("10.250.0.2/24"),
                                     gateway=ip_interface("10.250.0.1/24").ip)
            netlink.attach_veths("/run/netns/{inner}", [netlink.Veth("pcbr", "pvleft", face)])
        """)
        host = subprocess.run(["ip", "-n", netns, "-o", "link", "show", "pvleft"],
                              capture_output=True, text=True, check=True).stdout
        assert "master pcbr" in host and ",UP" in host
        assert "pvother" not in links(netns)  # the leftover pair went
        peer = subprocess.run(["ip", "-n", inner, "-o", "addr", "show", "eth0"],
                              capture_output=True, text=True, check=True).stdout
        assert "10.250.0.2/24" in peer
    finally:
        subprocess.run(["ip", "netns", "del", inner], check=False)


def test_a_link_is_found_in_the_namespace_of_the_thread_that_asks(netns: str) -> None:
    """By name, without a netlink request (if_nametoindex): a thread that entered
    another namespace (a container's) finds that namespace's links, not these."""
    make_links(netns, 1)
    other = f"{netns}-b"
    subprocess.run(["ip", "netns", "add", other], check=True)
    try:
        out = inside(netns, f"""
            import threading
            from pathlib import Path
            from network.nsthread import enter
            print(netlink._index("keep0") is not None, netlink._index("missing"))
            seen = []
            def inner():
                enter(Path("/run/netns/{other}"))
                seen.append((netlink._index("keep0"), netlink._index("lo")))
            thread = threading.Thread(target=inner)
            thread.start()
            thread.join()
            print(seen)
        """)
    finally:
        subprocess.run(["ip", "netns", "del", other], check=False)
    assert out.split("\n")[:2] == ["True None", "[(None, 1)]"]
