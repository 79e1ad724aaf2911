"""runtime/ocispec/host.py: facts about this machine and its device nodes."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.ocispec.host import NotADevice, device_nodes, go_arch, host_facts, kernel_version


def test_parsers() -> None:
    assert kernel_version("6.18.44-fc-v657") == (6, 18)
    assert kernel_version("weird") == (0, 0)
    assert go_arch("x86_64") == "amd64" and go_arch("aarch64") == "arm64"


def test_device_nodes(tmp_path: Path) -> None:
    (null,) = device_nodes("/dev/null")
    assert (null.kind, null.major, null.minor) == ("c", 1, 3)
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADevice, match="not a device"):
        device_nodes(str(tmp_path / "file"))
    with pytest.raises(NotADevice, match="no such file"):
        device_nodes(str(tmp_path / "missing"))


def test_host_facts_are_read_once() -> None:
    facts = host_facts()
    assert facts is host_facts()
    assert facts.cpus >= 1 and facts.kernel >= (3, 0)
    assert "RLIMIT_NOFILE" in facts.hard_limits
