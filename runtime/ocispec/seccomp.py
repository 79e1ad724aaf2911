"""Seccomp profiles in Docker's format, turned into the OCI ``linux.seccomp`` section.

A profile is a default action plus rules; a rule may apply only on some
architectures, from some kernel version, or when the container holds (or lacks)
some capabilities.  ``to_oci`` resolves those conditions for one container the
way moby does (capabilities are checked against the bounding set).  The default
profile's data lives in ``seccomp_default``; ``security_opt: [seccomp=FILE]``
files are read by ``parse_profile``.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Go architecture names (what profiles' ``arches`` use) to libseccomp's.
_NATIVE = {
    "amd64": "SCMP_ARCH_X86_64", "386": "SCMP_ARCH_X86", "arm64": "SCMP_ARCH_AARCH64",
    "arm": "SCMP_ARCH_ARM", "s390x": "SCMP_ARCH_S390X", "ppc64le": "SCMP_ARCH_PPC64LE",
    "riscv64": "SCMP_ARCH_RISCV64", "mips64": "SCMP_ARCH_MIPS64",
    "mips64le": "SCMP_ARCH_MIPSEL64", "loong64": "SCMP_ARCH_LOONGARCH64",
}


class ProfileError(ValueError):
    pass


@dataclass(frozen=True)
class Arg:
    index: int
    value: int
    op: str
    value_two: int = 0


@dataclass(frozen=True)
class Filter:
    caps: tuple[str, ...] = ()
    arches: tuple[str, ...] = ()
    min_kernel: tuple[int, int] | None = None


@dataclass(frozen=True)
class Rule:
    names: tuple[str, ...]
    action: str = "SCMP_ACT_ALLOW"
    args: tuple[Arg, ...] = ()
    errno: int | None = None
    includes: Filter = field(default_factory=Filter)
    excludes: Filter = field(default_factory=Filter)


@dataclass(frozen=True)
class Profile:
    default_action: str
    rules: tuple[Rule, ...]
    default_errno: int | None = None
    arch_map: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    architectures: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()


def _applies(rule: Rule, caps: frozenset[str], arch: str, kernel: tuple[int, int]) -> bool:
    inc, exc = rule.includes, rule.excludes
    if exc.arches and arch in exc.arches:
        return False
    if exc.caps and any(c in caps for c in exc.caps):
        return False
    if exc.min_kernel is not None and kernel >= exc.min_kernel:
        return False
    if inc.arches and arch not in inc.arches:
        return False
    if inc.caps and not all(c in caps for c in inc.caps):
        return False
    return not (inc.min_kernel is not None and kernel < inc.min_kernel)


def to_oci(profile: Profile, *, capabilities: Sequence[str], arch: str,
           kernel: tuple[int, int], absent: Collection[str] = ()) -> dict[str, Any]:
    """The OCI seccomp section for a container holding ``capabilities`` on ``arch``
    (a Go architecture name) under ``kernel`` (major, minor).  Sub-architectures
    in ``absent`` (libseccomp names the kernel cannot run, as x32 mostly) are left
    out: runc would compile their rules at each create, and no process of theirs
    can exist (a native call made with the x32 bit is then refused as from an
    unknown architecture rather than with ENOSYS)."""
    caps = frozenset(capabilities)
    section: dict[str, Any] = {"defaultAction": profile.default_action}
    if profile.default_errno is not None:
        section["defaultErrnoRet"] = profile.default_errno
    native = _NATIVE.get(arch, "")
    if profile.arch_map and native in profile.arch_map:
        section["architectures"] = [native, *(a for a in profile.arch_map[native]
                                              if a not in absent)]
    elif profile.architectures:
        section["architectures"] = [a for a in profile.architectures
                                    if a == native or a not in absent]
    if profile.flags:
        section["flags"] = list(profile.flags)
    syscalls = []
    for rule in profile.rules:
        if not _applies(rule, caps, arch, kernel):
            continue
        entry: dict[str, Any] = {"names": list(rule.names), "action": rule.action}
        if rule.args:
            entry["args"] = [{"index": a.index, "value": a.value, "valueTwo": a.value_two,
                              "op": a.op} for a in rule.args]
        if rule.errno is not None:
            entry["errnoRet"] = rule.errno
        syscalls.append(entry)
    section["syscalls"] = syscalls
    return section


def parse_profile(text: str) -> Profile:
    """A profile file in Docker's JSON format (``security_opt: [seccomp=FILE]``)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ProfileError(f"not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("defaultAction"), str):
        raise ProfileError("a seccomp profile needs a \"defaultAction\"")
    if data.get("architectures") and data.get("archMap"):
        raise ProfileError("use either \"architectures\" or \"archMap\", not both")
    arch_map = {str(a["architecture"]): tuple(a.get("subArchitectures") or ())
                for a in data.get("archMap") or ()}
    rules = []
    for entry in data.get("syscalls") or ():
        names = list(entry.get("names") or ())
        if entry.get("name"):
            if names:
                raise ProfileError("a syscall rule has both \"name\" and \"names\"")
            names = [entry["name"]]
        if not names or not isinstance(entry.get("action"), str):
            raise ProfileError("each syscall rule needs \"names\" and an \"action\"")
        rules.append(Rule(
            names=tuple(str(n) for n in names), action=entry["action"],
            args=tuple(Arg(int(a["index"]), int(a.get("value", 0)), str(a["op"]),
                           int(a.get("valueTwo", 0))) for a in entry.get("args") or ()),
            errno=entry.get("errnoRet"),
            includes=_filter(entry.get("includes")), excludes=_filter(entry.get("excludes")),
        ))
    return Profile(
        default_action=data["defaultAction"], rules=tuple(rules),
        default_errno=data.get("defaultErrnoRet"), arch_map=arch_map,
        architectures=tuple(data.get("architectures") or ()),
        flags=tuple(data.get("flags") or ()),
    )


def _filter(data: Mapping[str, Any] | None) -> Filter:
    if not data:
        return Filter()
    kernel = None
    if data.get("minKernel"):
        try:
            major, minor = str(data["minKernel"]).split(".")[:2]
            kernel = (int(major), int(minor))
        except ValueError:
            raise ProfileError(f"invalid minKernel {data['minKernel']!r}") from None
    return Filter(caps=tuple(data.get("caps") or ()), arches=tuple(data.get("arches") or ()),
                  min_kernel=kernel)
