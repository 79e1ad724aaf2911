"""runtime/ocispec/host.py: facts about this machine and its device nodes."""

from __future__ import annotations

import gzip
import platform
from pathlib import Path

import pytest

from runtime.ocispec.host import (
    NotADevice,
    _absent_arches,
    device_nodes,
    go_arch,
    host_facts,
    kernel_version,
)


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


def test_x32_is_absent_exactly_when_the_kernel_refuses_it() -> None:
    """Asked of the kernel with one system call; checked against its build options
    where it publishes them.  Not asked on another machine or under a filter."""
    assert _absent_arches("aarch64", "Seccomp:\t0\n") == ()
    assert _absent_arches("x86_64", "Name:\tx\nSeccomp:\t2\n") == ()
    if platform.machine() != "x86_64":
        return
    absent = host_facts().absent_arches
    assert absent in ((), ("SCMP_ARCH_X32",))
    config = Path("/proc/config.gz")
    if config.exists():
        built = "CONFIG_X86_X32_ABI=y" in gzip.decompress(config.read_bytes()).decode()
        assert (absent == ()) == built or "syscall.x32=n" in Path("/proc/cmdline").read_text()
