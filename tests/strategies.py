"""Hypothesis strategies for valid Compose projects, and the real loader to read them.

``projects()`` draws a Compose file as a dict that Docker Compose would accept:
services that depend only on earlier ones (so the graph is acyclic), static
addresses inside declared subnets and only on single replicas, mount targets
that never collide, capability names from the kernel's list.  ``load`` writes it
beside the files its binds, secrets and configs name and loads it through
``load_project``, so the property tests see the model the loader builds.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import yaml
from hypothesis import strategies as st

from common.errors import ComposeFileError
from compose.spec.loader import LoadOptions, load_project
from compose.spec.model import Project
from runtime.ocispec.capabilities import ALL_CAPABILITIES

# Run more locally: PYCOMPOSE_FUZZ_EXAMPLES=2000 pytest tests/unit/test_*_properties.py
EXAMPLES = int(os.environ.get("PYCOMPOSE_FUZZ_EXAMPLES", "0")) or None

NAMES = ("web", "db", "cache", "api", "worker")
PROJECT = "fuzz"
SUBNET = "172.28.0"  # the "front" network's declared subnet, a /24
SUBNET6 = "fd00:28:1:0"  # the "dual" network's IPv6 subnet, a /64
ENVIRON = {"TOKEN_VALUE": "from-the-environment"}
CONDITIONS = ("service_started", "service_healthy", "service_completed_successfully")
RESTARTS = ("no", "always", "on-failure", "on-failure:3", "unless-stopped")
USERS = ("1000", "1000:1000", "root", "alice", "www-data:tty", "0:0")
SYSCTLS = ({"net.core.somaxconn": 1024}, {"net.ipv4.ip_forward": "1"},
           {"kernel.shm_rmid_forced": 1})
HEALTHCHECKS = ({"test": ["CMD", "true"]}, {"test": "exit 0", "interval": "5s",
                                            "retries": 2, "start_period": "1s"},
                {"test": ["CMD-SHELL", "true"], "timeout": "2s"}, {"disable": True})


def _capability() -> st.SearchStrategy[str]:
    """A capability as people write it: ``NET_ADMIN``, ``CAP_NET_ADMIN``, ``net_admin``."""
    name = st.sampled_from(ALL_CAPABILITIES)
    return st.one_of(
        name.map(lambda c: c.removeprefix("CAP_")), name,
        name.map(lambda c: c.removeprefix("CAP_").lower()), st.just("ALL"))


def _mounts(draw: st.DrawFn) -> dict[str, Any]:
    """``volumes`` and ``tmpfs`` entries, each on its own target."""
    chosen = draw(st.lists(st.sampled_from(["named", "named_ro", "long_named", "bind",
                                            "bind_ro", "long_bind", "anonymous",
                                            "long_tmpfs", "hosts", "resolv", "shm"]),
                                unique=True, max_size=4))
    entries = {
        "named": "data:/data", "named_ro": "data:/data-ro:ro",
        "long_named": {"type": "volume", "source": "cache", "target": "/var/cache/app",
                       "volume": {"nocopy": True}},
        "bind": "./dir:/srv", "bind_ro": "./conf.ini:/etc/conf.ini:ro",
        "long_bind": {"type": "bind", "source": "./dir", "target": "/mnt/dir",
                      "read_only": True},
        "anonymous": "/anon",
        "long_tmpfs": {"type": "tmpfs", "target": "/scratch",
                       "tmpfs": {"size": 1 << 20, "mode": 0o1777}},
        # over the files Docker would mount itself: the user's win
        "hosts": "./conf.ini:/etc/hosts:ro", "resolv": "./conf.ini:/etc/resolv.conf",
        "shm": {"type": "tmpfs", "target": "/dev/shm", "tmpfs": {"size": 1 << 26}},
    }
    out: dict[str, Any] = {}
    if chosen:
        out["volumes"] = [entries[c] for c in chosen]
    if draw(st.booleans()):
        out["tmpfs"] = draw(st.sampled_from([["/run"], "/tmp", ["/run:size=1m,mode=1777"]]))
    return out


def _files(draw: st.DrawFn) -> dict[str, Any]:
    """Secrets and configs, short and long syntax."""
    out: dict[str, Any] = {}
    secrets = draw(st.lists(st.sampled_from(["token", "fromenv"]), unique=True))
    if secrets:
        targets = {s: draw(st.sampled_from([f"/etc/{s}.secret", f"{s}-2"])) for s in secrets}
        out["secrets"] = [s if draw(st.booleans()) else
                          {"source": s, "target": targets[s], "mode": 0o400} for s in secrets]
    configs = draw(st.lists(st.sampled_from(["settings", "inline"]), unique=True))
    if configs:
        out["configs"] = [c if draw(st.booleans()) else {"source": c, "target": f"/etc/{c}.conf"}
                          for c in configs]
    return out


def _security(draw: st.DrawFn) -> dict[str, Any]:
    """Capabilities, privilege, user, read-only root, limits, sysctls, devices."""
    out: dict[str, Any] = {}
    if draw(st.booleans()):
        out["cap_add"] = draw(st.lists(_capability(), max_size=4))
    if draw(st.booleans()):
        out["cap_drop"] = draw(st.lists(_capability(), max_size=4))
    optional = {
        "privileged": st.booleans(), "user": st.sampled_from(USERS),
        "read_only": st.booleans(), "init": st.booleans(),
        "ulimits": st.sampled_from([{"nofile": {"soft": 1024, "hard": 2048}},
                                    {"nproc": 512}, {"core": -1, "nofile": 4096}]),
        "sysctls": st.sampled_from(SYSCTLS),
        "devices": st.sampled_from([["/dev/fuse"], ["/dev/fuse:/dev/f:rw"]]),
        "security_opt": st.sampled_from([["no-new-privileges:true"],
                                         ["seccomp=unconfined"], ["label=disable"]]),
        "mem_limit": st.sampled_from(["64m", "1g"]),
        "pids_limit": st.integers(1, 1000),
        "shm_size": st.sampled_from(["64m", "1g"]),
        "pid": st.just("host"), "uts": st.just("host"),
        "ipc": st.sampled_from(["host", "private", "shareable", "none"]),
        "group_add": st.just(["audio", "4242"]), "domainname": st.just("example.com"),
        "cgroup": st.sampled_from(["host", "private"]),
    }
    for key in draw(st.lists(st.sampled_from(sorted(optional)), unique=True, max_size=5)):
        out[key] = draw(optional[key])
    return out


def _process(draw: st.DrawFn, name: str) -> dict[str, Any]:
    """What runs and how it is treated: command, entrypoint, environment, restart..."""
    words = st.lists(st.sampled_from(["sh", "-c", "echo", "sleep 1", "$$HOME", "a b"]),
                     min_size=1, max_size=3)
    optional: dict[str, st.SearchStrategy[Any]] = {
        "command": st.one_of(words, st.just("sleep infinity")),
        "entrypoint": st.one_of(st.just(["/bin/sh", "-c"]), st.just("/docker-entrypoint.sh")),
        "environment": st.one_of(
            st.dictionaries(st.sampled_from(["A", "B_1", "PATH", "HOME"]),
                            st.sampled_from(["1", "", "x y", "$$NOT"]), max_size=3),
            st.just(["X=y", "EMPTY="])),
        "restart": st.sampled_from(RESTARTS),
        "healthcheck": st.sampled_from(HEALTHCHECKS),
        "labels": st.just({f"com.example.{name}": "yes"}),
        "working_dir": st.sampled_from(["/srv", "/"]),
        "hostname": st.just(f"{name}-host"),
        "stop_signal": st.sampled_from(["SIGINT", "SIGQUIT"]),
        "stop_grace_period": st.sampled_from(["1s", "1m30s"]),
        "tty": st.booleans(),
        "extra_hosts": st.just(["db.example:10.1.2.3", "v6.example=::1"]),
        "dns": st.just(["1.1.1.1"]), "expose": st.just(["9000", "7000-7002/udp"]),
        "pull_policy": st.sampled_from(["missing", "never"]),
    }
    keys = draw(st.lists(st.sampled_from(sorted(optional)), unique=True, max_size=6))
    return {key: draw(optional[key]) for key in keys}


def _networking(draw: st.DrawFn, index: int, earlier: list[str], single: bool
                ) -> dict[str, Any]:
    """Networks with aliases and a static address (one replica only), published
    ports on distinct host ports, or the namespace of an earlier service that has
    a container (``earlier``), or none."""
    mode = draw(st.sampled_from(["default", "networks", "networks", "host", "none",
                                 "service"]))
    if mode == "service" and not earlier:
        mode = "default"
    if mode in ("host", "none"):
        return {"network_mode": mode}
    if mode == "service":
        return {"network_mode": f"service:{draw(st.sampled_from(earlier))}"}
    out: dict[str, Any] = {}
    if draw(st.booleans()):
        out["ports"] = draw(st.sampled_from([
            [f"{8000 + index}:80"], ["80"], [f"127.0.0.1:{9000 + index}:9000/udp"],
            [{"target": 443, "published": str(8400 + index), "protocol": "tcp"}],
            [f"{3000 + 10 * index}-{3001 + 10 * index}:3000-3001"]]))
        if not single:  # one host port cannot serve several replicas
            out["ports"] = ["80"]
    if mode == "networks":
        chosen = draw(st.lists(st.sampled_from(["front", "back", "default", "dual"]),
                               min_size=1, unique=True))
        attached: dict[str, Any] = {}
        for network in chosen:
            entry: dict[str, Any] = {}
            if draw(st.booleans()):
                entry["aliases"] = [f"{network}-alias-{index}"]
            if network == "front" and single and draw(st.booleans()):
                entry["ipv4_address"] = f"{SUBNET}.{10 + index}"
            if network == "dual" and single and draw(st.booleans()):
                entry["ipv6_address"] = f"{SUBNET6}::{10 + index:x}"
            attached[network] = entry or None
        out["networks"] = attached
    return out


def _service(draw: st.DrawFn, index: int, name: str, earlier: dict[str, Any]
             ) -> dict[str, Any]:
    """One service; ``earlier``: the services before it, which it may depend on."""
    replicas = draw(st.sampled_from([None, None, 0, 1, 2, 3]))
    single = replicas in (None, 1)
    service: dict[str, Any] = {"image": draw(st.sampled_from(["busybox", "nginx:1.27"]))}
    service.update(_process(draw, name))
    service.update(_mounts(draw))
    service.update(_files(draw))
    service.update(_security(draw))
    if service.get("uts") == "host":  # Docker refuses a hostname there
        service.pop("hostname", None)
    running = [n for n, s in earlier.items()
               if s.get("deploy", {}).get("replicas") != 0 and s.get("scale") != 0]
    service.update(_networking(draw, index, running, single))
    if single and draw(st.integers(0, 4)) == 0:
        service["container_name"] = f"{PROJECT}_{name}_only"
    deploy: dict[str, Any] = {}
    if replicas is not None and draw(st.booleans()):
        service["scale"] = replicas  # the older spelling
    elif replicas is not None:
        deploy["replicas"] = replicas
    if "mem_limit" not in service and draw(st.booleans()):
        deploy["resources"] = {"limits": {"cpus": "0.5", "memory": "128M"},
                               "reservations": {"memory": "32M"}}
    if deploy:
        service["deploy"] = deploy
    if earlier and draw(st.booleans()):
        deps = draw(st.lists(st.sampled_from(sorted(earlier)), min_size=1, unique=True))
        service["depends_on"] = {d: {"condition": draw(st.sampled_from(CONDITIONS)),
                                     "restart": draw(st.booleans()),
                                     "required": draw(st.booleans())} for d in deps}
    if earlier and draw(st.integers(0, 3)) == 0:
        service["volumes_from"] = [f"{draw(st.sampled_from(sorted(earlier)))}:ro"]
    if earlier and "network_mode" not in service and draw(st.integers(0, 3)) == 0:
        service["links"] = [f"{draw(st.sampled_from(sorted(earlier)))}:linked"]
    return service


@st.composite
def projects(draw: st.DrawFn) -> dict[str, Any]:
    """A valid Compose file as a dict: a service depends only on earlier ones."""
    count = draw(st.integers(1, len(NAMES)))
    services: dict[str, Any] = {}
    for index, name in enumerate(NAMES[:count]):
        services[name] = _service(draw, index, name, services)
    return {
        "services": services,
        "networks": {"front": {"ipam": {"config": [{"subnet": f"{SUBNET}.0/24"}]},
                               "labels": {"tier": "front"}},
                     "back": {"internal": draw(st.booleans())},
                     "dual": {"enable_ipv6": True,
                              "ipam": {"config": [{"subnet": f"{SUBNET6}::/64"}]}}},
        "volumes": {"data": {}, "cache": {"labels": {"kind": "cache"}}},
        "secrets": {"token": {"file": "./token.txt"},
                    "fromenv": {"environment": "TOKEN_VALUE"}},
        "configs": {"settings": {"file": "./app.conf"},
                    "inline": {"content": "key: value\n"}},
    }


def load(data: dict[str, Any]) -> Project | ComposeFileError:
    """The project the loader builds from ``data``, or the error it refuses it with."""
    with tempfile.TemporaryDirectory(prefix="pycompose-fuzz") as directory:
        with open(os.path.join(directory, "compose.yaml"), "w") as handle:
            yaml.safe_dump(data, handle, sort_keys=False)
        for name, text in (("token.txt", "t0k3n"), ("app.conf", "a = 1\n"),
                           ("conf.ini", "[x]\n")):
            with open(os.path.join(directory, name), "w") as handle:
                handle.write(text)
        os.mkdir(os.path.join(directory, "dir"))
        try:
            return load_project(LoadOptions(files=("compose.yaml",), cwd=directory,
                                            environ=ENVIRON, project_name=PROJECT)).project
        except ComposeFileError as exc:
            return exc
