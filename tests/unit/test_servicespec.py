"""Golden tests: each service key through the real loader into the OCI config.

``golden/spec/default.json`` is the whole ``config.json`` of a service that only
names its image.  Every other case is stored as what it changes against that
default (``diff``: JSON path -> new value, ``null`` for a removed entry), plus
its warnings and stop signal, or the error it raises.  Lists whose entries have
a natural key (mounts by destination, namespaces by type, rlimits by type,
seccomp rules by syscall name) are compared entry by entry, so a diff shows only
what the key touched.  Regenerate with ``UPDATE_GOLDEN=1 pytest tests/unit``.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Any

import pytest

from compose.spec.loader import LoadOptions, load_project
from compose.spec.model import Service
from runtime.ocispec.capabilities import mask_of, names_in_mask
from runtime.ocispec.host import DeviceNode, HostFacts
from runtime.ocispec.servicespec import Gathered, decide
from runtime.ocispec.spec import SpecError, build_spec

GOLDEN = Path(__file__).parent / "golden" / "spec"
UPDATE = bool(os.environ.get("UPDATE_GOLDEN"))

# A host like the one the tests run on: no CAP_SYS_RESOURCE, nofile hard 20000.
HOST = HostFacts(
    arch="amd64", kernel=(6, 1), bounding=(1 << 41) - 1 - (1 << 24),
    hard_limits={"RLIMIT_NOFILE": 20000, "RLIMIT_NPROC": 96365, "RLIMIT_CORE": -1,
                 "RLIMIT_STACK": -1, "RLIMIT_MEMLOCK": 8388608},
    cgroup2=False, swap_limit=True, thermal_throttle=(), init="/usr/bin/tini-static", cpus=2,
)
IMAGE = {"Cmd": ["sh"],
         "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
         "WorkingDir": "", "StopSignal": ""}
NGINX = {"Entrypoint": ["/docker-entrypoint.sh"], "Cmd": ["nginx", "-g", "daemon off;"],
         "Env": ["PATH=/usr/local/bin:/usr/bin:/bin", "NGINX_VERSION=1.27"],
         "WorkingDir": "/srv", "User": "www-data", "StopSignal": "SIGQUIT"}
PASSWD = "root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33::/var/www:/bin/false\n" \
         "alice:x:1000:1000::/home/alice:/bin/sh\n"
GROUP = "root:x:0:\ntty:x:5:\naudio:x:29:alice\nwww-data:x:33:\nalice:x:1000:\n"
DEVICES = {
    "/dev/fuse": (DeviceNode("/dev/fuse", "c", 10, 229, 0o666, 0, 0),),
    "/dev/sda": (DeviceNode("/dev/sda", "b", 8, 0, 0o660, 0, 6),),
    "/dev/snd": (DeviceNode("/dev/snd/controlC0", "c", 116, 0, 0o660, 0, 29),
                 DeviceNode("/dev/snd/timer", "c", 116, 33, 0o660, 0, 29)),
}
CID = "c0ffee" + "0" * 58

# name -> (service body, image config)
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "default": ("", IMAGE),
    "image_entrypoint_cmd": ("", NGINX),
    "command": ("command: [echo, hi]", NGINX),
    "command_empty_keeps_image_cmd": ("command: []", NGINX),
    "entrypoint": ("entrypoint: [/bin/date]", NGINX),
    "entrypoint_empty_keeps_image_cmd": ("entrypoint: \"\"", NGINX),
    "entrypoint_empty_with_command": ("entrypoint: \"\"\ncommand: echo x", NGINX),
    "no_command_at_all": ("entrypoint: \"\"\ncommand: []", {}),
    "environment": ("environment: {A: '1', NGINX_VERSION: mine}", NGINX),
    "working_dir": ("working_dir: /app", NGINX),
    "working_dir_relative": ("working_dir: app", IMAGE),
    "user_name": ("user: alice", IMAGE),
    "user_uid_gid": ("user: '1000:1000'", IMAGE),
    "user_name_group": ("user: 'alice:tty'", IMAGE),
    "user_unknown": ("user: mallory", IMAGE),
    "user_from_image": ("", NGINX),
    "group_add": ("group_add: [audio, '4242']", IMAGE),
    "group_add_unknown": ("group_add: [nosuch]", IMAGE),
    "hostname": ("hostname: web", IMAGE),
    "domainname": ("domainname: example.com", IMAGE),
    "init": ("init: true", IMAGE),
    "privileged": ("privileged: true", IMAGE),
    "cap_add": ("cap_add: [NET_ADMIN, sys_ptrace]", IMAGE),
    "cap_add_sys_admin_opens_seccomp": ("cap_add: [SYS_ADMIN]", IMAGE),
    "cap_add_host_lacks": ("cap_add: [SYS_RESOURCE]", IMAGE),
    "cap_drop": ("cap_drop: [NET_RAW, MKNOD]", IMAGE),
    "cap_add_all": ("cap_add: [ALL]\ncap_drop: [NET_ADMIN]", IMAGE),
    "cap_drop_all": ("cap_drop: [ALL]\ncap_add: [CHOWN]", IMAGE),
    "cap_unknown": ("cap_add: [FLY]", IMAGE),
    "no_new_privileges": ("security_opt: [no-new-privileges:true]", IMAGE),
    "seccomp_unconfined": ("security_opt: [seccomp=unconfined]", IMAGE),
    "seccomp_file": ("security_opt: [seccomp=profile.json]", IMAGE),
    "systempaths_unconfined": ("security_opt: [systempaths=unconfined]", IMAGE),
    "security_opt_ignored": ("security_opt: [label=disable, apparmor=x, foo=bar]", IMAGE),
    "read_only": ("read_only: true", IMAGE),
    "sysctls": ("sysctls: {net.core.somaxconn: 1024, kernel.shm_rmid_forced: 1, "
                "fs.mqueue.msg_max: 20}", IMAGE),
    "sysctls_not_namespaced": ("sysctls: {kernel.panic: 1}", IMAGE),
    "sysctls_ipc_host": ("ipc: host\nsysctls: {kernel.shmmax: 1}", IMAGE),
    "devices": ("devices: ['/dev/fuse', '/dev/sda:/dev/xvda:r', '/dev/snd']", IMAGE),
    "device_cgroup_rules": ("device_cgroup_rules: ['c 10:229 rwm', 'b *:* m']", IMAGE),
    "device_cgroup_rule_invalid": ("device_cgroup_rules: ['x 1:2 q']", IMAGE),
    "userns_mode_host": ("userns_mode: host", IMAGE),
    "ipc_shareable": ("ipc: shareable", IMAGE),
    "ipc_host": ("ipc: host", IMAGE),
    "ipc_none": ("ipc: none", IMAGE),
    "ipc_service": ("ipc: service:other", IMAGE),
    "ipc_container": ("ipc: container:some-name", IMAGE),
    "pid_host": ("pid: host", IMAGE),
    "pid_service": ("pid: service:other", IMAGE),
    "uts_host": ("uts: host", IMAGE),
    "uts_host_with_hostname": ("uts: host\nhostname: x", IMAGE),
    "cgroup_private": ("cgroup: private", IMAGE),
    "network_mode_host_sysctl": ("network_mode: host\nsysctls: {net.core.somaxconn: 1}", IMAGE),
    "mem_limit": ("mem_limit: 64m", IMAGE),
    "mem_limit_too_small": ("mem_limit: 1m", IMAGE),
    "mem_reservation": ("mem_limit: 64m\nmem_reservation: 32m", IMAGE),
    "mem_reservation_above_limit": ("mem_limit: 64m\nmem_reservation: 128m", IMAGE),
    "memswap_limit": ("mem_limit: 64m\nmemswap_limit: 100m", IMAGE),
    "memswap_unlimited": ("mem_limit: 64m\nmemswap_limit: -1", IMAGE),
    "mem_swappiness": ("mem_swappiness: 10", IMAGE),
    "oom_kill_disable": ("oom_kill_disable: true", IMAGE),
    "oom_score_adj": ("oom_score_adj: 500", IMAGE),
    "cpus": ("cpus: 0.5", IMAGE),
    "cpus_too_many": ("cpus: 3", IMAGE),
    "cpus_with_quota": ("cpus: 0.5\ncpu_quota: 50000", IMAGE),
    "cpu_shares_quota_period_cpuset": (
        "cpu_shares: 512\ncpu_quota: 25000\ncpu_period: 50000\ncpuset: '0'", IMAGE),
    "cpu_rt": ("cpu_rt_runtime: 950\ncpu_rt_period: 1000", IMAGE),
    "pids_limit": ("pids_limit: 100", IMAGE),
    "shm_size": ("shm_size: 128m", IMAGE),
    "ulimits": ("ulimits: {nproc: 512, nofile: {soft: 1024, hard: 4096}, core: -1}", IMAGE),
    "ulimits_clamped": ("ulimits: {nofile: 1048576, memlock: -1}", IMAGE),
    "ulimits_unknown": ("ulimits: {flux: 1}", IMAGE),
    "deploy_resources": (
        "deploy:\n  resources:\n    limits: {cpus: '0.25', memory: 50M, "
        "pids: 10}\n    reservations: {cpus: '0.1', memory: 20M}", IMAGE),
    "cgroup_parent": ("cgroup_parent: mygroup", IMAGE),
    "blkio_config": (
        "blkio_config:\n  weight: 300\n  weight_device: [{path: /dev/sda, weight: 400}]\n"
        "  device_read_bps: [{path: /dev/sda, rate: 12mb}]\n"
        "  device_write_iops: [{path: /dev/sda, rate: 120}]", IMAGE),
    "tmpfs": ("tmpfs: [/run, '/tmp:size=10m,mode=1777']", IMAGE),
    "stop_signal": ("stop_signal: SIGUSR1", NGINX),
    "labels_annotations": ("labels: {a: b}\nannotations: {org.example/x: y}", IMAGE),
    "tty_stdin_open": ("tty: true\nstdin_open: true", IMAGE),
}

SECCOMP_PROFILE = json.dumps({
    "defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [{"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
                 {"name": "ptrace", "action": "SCMP_ACT_ERRNO",
                  "excludes": {"caps": ["CAP_SYS_PTRACE"]}}],
})


def load_service(body: str, tmp_path: Path) -> Service:
    text = "services:\n  app:\n    image: busybox\n" + textwrap.indent(body, "    ") + \
        "\n  other:\n    image: busybox\n    ipc: shareable\n"
    (tmp_path / "compose.yaml").write_text(text)
    loaded = load_project(LoadOptions(files=("compose.yaml",), cwd=str(tmp_path), environ={},
                                      project_name="golden"))
    return loaded.project.services["app"]


def gathered(service: Service) -> Gathered:
    """As the driver gathers it (the hostname as the planner picks it)."""
    ipc = str(service.canonical.get("ipc") or "")
    shm = {"shareable": "/state/shm", "host": "/dev/shm"}.get(ipc)
    if ipc.startswith(("service:", "container:")):
        shm = "/state/shm-joined"
    return Gathered(
        container_id=CID, hostname=service.hostname or CID[:12],
        rootfs=f"/state/containers/{CID}/rootfs",
        host=HOST, netns=f"/run/pycompose/netns/{CID}",
        files={"/etc/hosts": "/state/hosts", "/etc/hostname": "/state/hostname",
               "/etc/resolv.conf": "/state/resolv.conf"},
        passwd=PASSWD, group=GROUP, devices=DEVICES,
        host_devices=(DeviceNode("/dev/null", "c", 1, 3, 0o666, 0, 0),
                      DeviceNode("/dev/sda", "b", 8, 0, 0o660, 0, 6)),
        seccomp_profile=SECCOMP_PROFILE,
        shm_source=shm,
        labels={"com.docker.compose.project": "golden"},
    )


def index(config: Any, path: str = "") -> dict[str, Any]:
    """Leaves of the config by path; keyed lists become one entry per key."""
    keyed = {"/mounts": "destination", "/linux/namespaces": "type", "/process/rlimits": "type",
             "/linux/devices": "path"}
    result: dict[str, Any] = {}
    if isinstance(config, dict):
        for key, value in config.items():
            result.update(index(value, f"{path}/{key}"))
    elif path in keyed and isinstance(config, list):
        for entry in config:
            result[f"{path}[{entry[keyed[path]]}]"] = entry
    elif path == "/linux/seccomp/syscalls":
        for rule in config:
            for name in rule["names"]:
                detail = {k: v for k, v in rule.items() if k != "names"}
                result.setdefault(f"{path}[{name}]", []).append(detail)
    else:
        result[path] = config
    return result


def diff(default: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """Paths whose values differ; a seccomp section replaced or dropped as a whole
    is shown whole."""
    old, new = default["linux"].get("seccomp"), config["linux"].get("seccomp")
    whole = new is None or old is None or old.get("defaultAction") != new.get("defaultAction")
    if old != new and whole:
        default = {**default, "linux": {k: v for k, v in default["linux"].items()
                                        if k != "seccomp"}}
        config = {**config, "linux": {k: v for k, v in config["linux"].items()
                                      if k != "seccomp"}}
        return {"/linux/seccomp": new, **diff(default, config)}
    before, after = index(default), index(config)
    return {path: after.get(path) for path in sorted(set(before) | set(after))
            if before.get(path) != after.get(path)}


def outcome(name: str, tmp_path: Path) -> dict[str, Any]:
    body, image = CASES[name]
    service = load_service(body, tmp_path)
    try:
        decided = decide(service, image, gathered(service))
    except SpecError as exc:
        return {"error": str(exc)}
    config = build_spec(decided.spec)
    result: dict[str, Any] = {"stop_signal": decided.stop_signal}
    if decided.joins:
        result["joins"] = dict(decided.joins)
    if decided.warnings:
        result["warnings"] = list(decided.warnings)
    if name == "default":
        result["config"] = config
    else:
        plain = load_service("", tmp_path)  # the same image, no keys
        base = IMAGE if not body else image
        default = build_spec(decide(plain, base, gathered(plain)).spec)
        result["diff"] = diff(default, config)
    return result


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name: str, tmp_path: Path) -> None:
    got = json.loads(json.dumps(outcome(name, tmp_path)))
    path = GOLDEN / f"{name}.json"
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(got, indent=2, sort_keys=False) + "\n")
        if not UPDATE:
            pytest.fail(f"wrote new golden file {path.name}; check it and rerun")
    assert got == json.loads(path.read_text())


def test_every_runtime_key_has_a_golden_case() -> None:
    from compose.spec.load.runtimekeys import RUNTIME_SERVICE_KEYS

    bodies = "\n".join(body for body, _ in CASES.values())
    missing = [k for k in sorted(RUNTIME_SERVICE_KEYS) if f"{k}:" not in bodies]
    assert missing == []


def test_default_capability_mask_is_dockers() -> None:
    config = json.loads((GOLDEN / "default.json").read_text())["config"]
    caps = config["process"]["capabilities"]["effective"]
    assert mask_of(caps) == 0x00000000A80425FB
    assert set(names_in_mask(0xA80425FB)) == set(caps)


def test_default_seccomp_denies_with_eperm_and_allows_the_usual() -> None:
    seccomp = json.loads((GOLDEN / "default.json").read_text())["config"]["linux"]["seccomp"]
    assert seccomp["defaultAction"] == "SCMP_ACT_ERRNO"
    assert seccomp["defaultErrnoRet"] == 1
    assert seccomp["architectures"] == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
    allowed = index(seccomp["syscalls"], "/linux/seccomp/syscalls")
    for name in ("read", "write", "openat", "clone", "execve", "arch_prctl", "ptrace"):
        assert f"/linux/seccomp/syscalls[{name}]" in allowed, name
    for name in ("mount", "unshare", "setns", "reboot", "kexec_load", "add_key", "keyctl",
                 "bpf", "init_module", "open_by_handle_at"):
        assert f"/linux/seccomp/syscalls[{name}]" not in allowed, name
    clone3 = allowed["/linux/seccomp/syscalls[clone3]"]
    assert clone3 == [{"action": "SCMP_ACT_ERRNO", "errnoRet": 38}]  # ENOSYS: glibc falls back
