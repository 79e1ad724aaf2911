"""Any mix of the keys convert expresses gives manifests that validate and keep
each service's names, ports, probes, env, volumes and dependencies."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compose.cli.commands.convert import convert_project
from compose.convert.base import SERVICE_TYPES, ConvertOptions
from compose.spec.loader import LoadOptions, load_project
from tests.convert_checks import round_trip, validate_all

EXAMPLES = int(os.environ.get("PYCOMPOSE_CONVERT_EXAMPLES", "30"))
NAMES = ["web", "db_main", "api.v2", "Worker", "job"]

FRAGMENTS: dict[str, list[Any]] = {
    "ports": [["80"], ["8080:80", "127.0.0.1:53:53/udp"], ["3000-3001:3000-3001"],
              ["30080:80/tcp"]],
    "expose": [["9000"], ["7000-7002/udp", "9000"]],
    "healthcheck": [{"test": ["CMD", "true"]}, {"test": "curl -f http://localhost/ || exit 1",
                                                "interval": "10s", "timeout": "2s",
                                                "retries": 5, "start_period": "1m"},
                    {"disable": True}, {"test": ["NONE"]},
                    {"test": ["CMD-SHELL", "echo $$HOME"], "interval": "250ms",
                     "start_period": "3s", "start_interval": "1s"}],
    "volumes": [["data:/data"], ["/anon", "data:/ro:ro"],
                [{"type": "tmpfs", "target": "/t", "tmpfs": {"size": 1024}}],
                ["./conf.ini:/etc/conf.ini:ro", "./dir:/srv"]],
    "tmpfs": [["/run"], ["/run:size=1m,mode=1777", "/tmp"]],
    "shm_size": ["64m"],
    "environment": [{"A": "1", "B": "$$(NOT_EXPANDED)"}, ["X=y", "EMPTY="]],
    "env_file": ["vars.env"],
    "secrets": [["token"], [{"source": "token", "target": "/etc/t", "mode": 0o400}]],
    "configs": [["settings"], [{"source": "settings", "target": "/etc/s.conf"}]],
    "user": ["1000", "1000:1000", "nobody"],
    "cap_add": [["NET_ADMIN"]], "cap_drop": [["ALL"]],
    "privileged": [True], "read_only": [True],
    "security_opt": [["no-new-privileges:true"], ["label:disable"]],
    "mem_limit": ["512m"], "mem_reservation": ["128m"], "cpus": [0.5, 2],
    "deploy": [{"replicas": 2}, {"resources": {"limits": {"cpus": "0.25", "memory": "64M"}}},
               {"update_config": {"parallelism": 0, "order": "start-first", "delay": "5s"}},
               {"restart_policy": {"condition": "on-failure", "max_attempts": 3}},
               {"placement": {"constraints": ["node.labels.zone == a"]}, "mode": "global"}],
    "restart": ["no", "always", "on-failure", "on-failure:2", "unless-stopped"],
    "stop_grace_period": ["1m30s", "0s"], "stop_signal": ["SIGINT"],
    "labels": [{"com.example.a": "b"}], "hostname": ["box.example"],
    "dns": [["1.1.1.1"]], "extra_hosts": [["h.example:10.0.0.1"]],
    "sysctls": [{"net.core.somaxconn": 1024}], "command": [["sh", "-c", "echo $$HOME"]],
    "entrypoint": [["/bin/sh"]], "working_dir": ["/srv"], "ulimits": [{"nofile": 1024}],
    "container_name": ["the_one"], "platform": ["linux/amd64"],
}
CONDITIONS = ["service_started", "service_healthy", "service_completed_successfully"]


@st.composite
def projects(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(1, len(NAMES)))
    services: dict[str, Any] = {}
    container_names: set[str] = set()
    for index, name in enumerate(NAMES[:count]):
        keys = draw(st.lists(st.sampled_from(sorted(FRAGMENTS)), max_size=8, unique=True))
        service: dict[str, Any] = {"image": "busybox:latest"}
        for key in keys:
            if key == "container_name" and container_names:
                continue
            service[key] = draw(st.sampled_from(FRAGMENTS[key]))
            if key == "container_name":
                container_names.add(service[key])
        deploy = service.get("deploy") or {}
        if "resources" in deploy:  # the same limit given twice must agree (compose-go)
            service.pop("mem_limit", None)
            service.pop("cpus", None)
        if "replicas" in deploy:  # a fixed container name allows one replica
            service.pop("container_name", None)
        if index and draw(st.booleans()):
            deps = draw(st.lists(st.sampled_from(NAMES[:index]), min_size=1, unique=True))
            service["depends_on"] = {d: {"condition": draw(st.sampled_from(CONDITIONS))}
                                     for d in deps}
        networks = draw(st.lists(st.sampled_from(["front", "back"]), unique=True))
        if networks:
            service["networks"] = {n: {"aliases": [f"{name.lower()}-{n}"]}
                                   if draw(st.booleans()) else {} for n in networks}
        services[name] = service
    return {
        "name": "prop", "services": services,
        "networks": {"front": {}, "back": {}},
        "volumes": {"data": {"labels": {"pycompose.k8s.size": "2Gi"}}},
        "secrets": {"token": {"file": "./token.txt"}},
        "configs": {"settings": {"content": "key: value\n"}},
    }


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(project=projects(), service_type=st.sampled_from(SERVICE_TYPES),
       namespace=st.sampled_from([None, "prop"]))
def test_any_mix_converts_to_valid_complete_manifests(project: dict[str, Any],
                                                      service_type: str,
                                                      namespace: str | None) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "compose.yaml").write_text(yaml.safe_dump(project))
        (root / "conf.ini").write_text("[x]\n")
        (root / "dir").mkdir()
        (root / "vars.env").write_text("FROM_FILE=1\nA=from-file\n")
        (root / "token.txt").write_text("t0k3n")
        load = LoadOptions(cwd=directory, environ={})
        conversion, _ = convert_project(load, ConvertOptions(service_type=service_type,
                                                             namespace=namespace))
        validate_all(conversion.manifests)
        round_trip(load_project(load).canonical, conversion.manifests, conversion.warnings)
