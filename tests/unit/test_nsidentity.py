"""network/nsidentity.py against this machine's own /proc: the namespace a
process runs in, and where a namespace lives."""

from __future__ import annotations

import os
import re

from network import nsidentity


def test_here_is_the_kernel_s_name_for_this_process_s_network_namespace() -> None:
    assert re.fullmatch(r"net:\[\d+\]", nsidentity.here())
    assert nsidentity.here() == os.readlink(f"/proc/{os.getpid()}/ns/net")


def test_a_live_namespace_is_found_and_an_ended_one_is_not() -> None:
    place = nsidentity.where(nsidentity.here())
    assert place is not None
    assert os.stat(place).st_ino == os.stat("/proc/self/ns/net").st_ino
    assert nsidentity.where("net:[1]") is None  # no namespace has inode 1
