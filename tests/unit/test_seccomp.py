"""runtime/ocispec/seccomp.py: Docker-format profiles resolved for one container."""

from __future__ import annotations

import json

import pytest

from runtime.ocispec.seccomp import Arg, Filter, Profile, ProfileError, Rule, parse_profile, to_oci
from runtime.ocispec.seccomp_default import DEFAULT_PROFILE, SOCKET_FAMILIES

PROFILE = Profile(
    default_action="SCMP_ACT_ERRNO", default_errno=1,
    arch_map={"SCMP_ARCH_X86_64": ("SCMP_ARCH_X86",), "SCMP_ARCH_AARCH64": ()},
    rules=(
        Rule(("read", "write")),
        Rule(("mount",), includes=Filter(caps=("CAP_SYS_ADMIN",))),
        Rule(("clone3",), action="SCMP_ACT_ERRNO", errno=38,
             excludes=Filter(caps=("CAP_SYS_ADMIN",))),
        Rule(("arch_prctl",), includes=Filter(arches=("amd64",))),
        Rule(("s390only",), excludes=Filter(arches=("amd64",))),
        Rule(("ptrace",), includes=Filter(min_kernel=(4, 8))),
        Rule(("newer",), includes=Filter(min_kernel=(7, 0))),
        Rule(("socket",), args=(Arg(0, 40, "SCMP_CMP_NE"),)),
    ),
)


def names(section: dict[str, object]) -> list[str]:
    return [n for rule in section["syscalls"] for n in rule["names"]]  # type: ignore[attr-defined]


def test_conditions_for_an_ordinary_container() -> None:
    section = to_oci(PROFILE, capabilities=["CAP_CHOWN"], arch="amd64", kernel=(6, 1))
    assert section["defaultAction"] == "SCMP_ACT_ERRNO" and section["defaultErrnoRet"] == 1
    assert section["architectures"] == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"]
    assert names(section) == ["read", "write", "clone3", "arch_prctl", "ptrace", "socket"]
    assert section["syscalls"][-1]["args"] == [
        {"index": 0, "value": 40, "valueTwo": 0, "op": "SCMP_CMP_NE"}]
    assert section["syscalls"][1]["errnoRet"] == 38


def test_sub_architectures_the_kernel_cannot_run_are_left_out() -> None:
    default = to_oci(DEFAULT_PROFILE, capabilities=[], arch="amd64", kernel=(6, 1),
                     absent=("SCMP_ARCH_X32",))
    assert default["architectures"] == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"]
    listed = Profile(default_action="SCMP_ACT_ERRNO", rules=(), architectures=(
        "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_X86"))
    assert to_oci(listed, capabilities=[], arch="amd64", kernel=(6, 1),
                  absent=("SCMP_ARCH_X32", "SCMP_ARCH_X86_64"))["architectures"] == [
        "SCMP_ARCH_X86_64", "SCMP_ARCH_X86"]  # never the native one


def test_conditions_with_sys_admin_on_arm64() -> None:
    section = to_oci(PROFILE, capabilities=["CAP_SYS_ADMIN"], arch="arm64", kernel=(4, 4))
    assert section["architectures"] == ["SCMP_ARCH_AARCH64"]
    assert names(section) == ["read", "write", "mount", "s390only", "socket"]


def test_parse_docker_profile() -> None:
    text = json.dumps({
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64"],
        "syscalls": [
            {"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
            {"name": "ptrace", "action": "SCMP_ACT_KILL",
             "args": [{"index": 1, "value": 2, "valueTwo": 3, "op": "SCMP_CMP_MASKED_EQ"}],
             "includes": {"minKernel": "5.10", "caps": ["CAP_X"]}},
        ],
    })
    profile = parse_profile(text)
    assert profile.rules[1] == Rule(("ptrace",), "SCMP_ACT_KILL",
                                    (Arg(1, 2, "SCMP_CMP_MASKED_EQ", 3),),
                                    includes=Filter(caps=("CAP_X",), min_kernel=(5, 10)))
    section = to_oci(profile, capabilities=[], arch="amd64", kernel=(6, 1))
    assert section == {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
                       "syscalls": [{"names": ["chmod"], "action": "SCMP_ACT_ERRNO",
                                     "errnoRet": 13}]}


@pytest.mark.parametrize(("text", "message"), [
    ("{", "not valid JSON"),
    ("{}", "defaultAction"),
    ('{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["a"], '
     '"archMap": [{"architecture": "b"}]}', "not both"),
    ('{"defaultAction": "x", "syscalls": [{"name": "a", "names": ["b"], "action": "y"}]}',
     "both"),
    ('{"defaultAction": "x", "syscalls": [{"names": ["a"]}]}', "needs \"names\" and an"),
])
def test_bad_profiles(text: str, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        parse_profile(text)


def test_default_profile_shape() -> None:
    section = to_oci(DEFAULT_PROFILE, capabilities=[], arch="amd64", kernel=(6, 1))
    allowed = set(names(section))
    assert len(allowed) > 350
    assert {"personality", "socket", "clone", "clone3"} <= allowed  # conditional forms
    personalities = [r["args"][0]["value"] for r in section["syscalls"]
                     if r["names"] == ["personality"]]
    assert personalities == [0, 8, 0x20000, 0x20008, 0xFFFFFFFF]
    clone = next(r for r in section["syscalls"] if r["names"] == ["clone"])
    assert clone["args"] == [{"index": 0, "value": 2114060288, "valueTwo": 0,
                              "op": "SCMP_CMP_MASKED_EQ"}]
    first = section["syscalls"][0]["names"]  # the unconditional list has no repeats
    assert len(first) == len(set(first))


def _passes(arg: dict[str, int | str], x: int) -> bool:
    """One OCI argument comparison, as libseccomp makes it (64-bit, unsigned)."""
    value, two = int(arg["value"]), int(arg["valueTwo"])
    match arg["op"]:
        case "SCMP_CMP_LT":
            return x < value
        case "SCMP_CMP_EQ":
            return x == value
        case "SCMP_CMP_MASKED_EQ":
            return x & value == two
    raise AssertionError(arg["op"])


def test_socket_families_are_mobys_in_fewer_rules() -> None:
    """The masked rules allow exactly moby's families: every one below 12 and its
    list, nothing else, whatever the upper bits of the argument."""
    section = to_oci(DEFAULT_PROFILE, capabilities=[], arch="amd64", kernel=(6, 1))
    rules = [r["args"][0] for r in section["syscalls"] if r["names"] == ["socket"]]
    assert len(rules) == 11
    assert all(int(r["value"]) >> 6 == (1 << 58) - 1 for r in rules[1:])  # bits 6-63 kept
    mobys = set(range(12)) | set(SOCKET_FAMILIES)
    values = [*range(1 << 16), 40 | 1 << 32, 13 | 1 << 32, 1 << 63, (1 << 64) - 1,
              (1 << 32) - 1, 0xFFFF_FFFF_0000_000D]
    allowed = {x for x in values if any(_passes(r, x) for r in rules)}
    assert allowed == mobys
