"""network/nft.py ``apply_nft_here``: rules applied by a thread already inside a
namespace (the DNS server's binding does its three steps there in one entry),
through libnftables or, without it, the ``nft`` command born in that namespace."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from common.errors import NetworkFailure
from network import nft
from network.nsthread import in_own_thread


@pytest.fixture
def namespace() -> Iterator[Path]:
    name = f"pcnft-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        yield Path("/run/netns") / name
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=False)


def _tables(netns: Path) -> str:
    return subprocess.run(["nsenter", f"--net={netns}", "--", "nft", "list", "tables"],
                          capture_output=True, text=True, check=True).stdout


def test_rules_go_into_the_threads_namespace_with_or_without_libnftables(
        namespace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    in_own_thread(partial(nft.apply_nft_here, "table ip withlib {}\n"), namespace)
    monkeypatch.setattr(nft._Library, "load", classmethod(lambda cls: None))
    in_own_thread(partial(nft.apply_nft_here, "table ip withcommand {}\n"), namespace)
    tables = _tables(namespace)
    assert "table ip withlib" in tables and "table ip withcommand" in tables
    assert "withlib" not in subprocess.run(["nft", "list", "tables"], capture_output=True,
                                           text=True, check=False).stdout  # not ours
    with pytest.raises(NetworkFailure, match="nft refused the firewall rules"):
        in_own_thread(partial(nft.apply_nft_here, "table ip {\n"), namespace)
