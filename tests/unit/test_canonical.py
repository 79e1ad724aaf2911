"""compose/spec/load/canonical.py: the model ``docker compose config`` prints (each expectation
checked against docker compose v2.40.3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from common.errors import ComposeFileError
from compose.spec.load.canonical import canonicalize
from compose.spec.sources import Sources


def _canon(data: dict[str, Any], directory: str = "/p", **environ: str) -> dict[str, Any]:
    return canonicalize(data, project_name="x", working_dir=directory,
                        environ={"HOME": "/home/me", **environ}, sources=Sources())


def _service(service: dict[str, Any], **environ: str) -> dict[str, Any]:
    result: dict[str, Any] = _canon({"services": {"a": {"image": "x", **service}}},
                                    **environ)["services"]["a"]
    return result


def test_minimal_project() -> None:
    assert _canon({"services": {"a": {"image": "x"}}}) == {
        "name": "x",
        "services": {"a": {"image": "x", "networks": {"default": None}}},
        "networks": {"default": {"name": "x_default"}},
    }


def test_scalars_take_their_go_types() -> None:
    service = _service({
        "cpus": "1.5", "mem_limit": "1g", "shm_size": "64m", "stop_grace_period": "90s",
        "expose": [80, "90/udp"], "sysctls": ["a=1"], "group_add": [100], "privileged": False,
        "init": False, "read_only": "true", "restart": "no", "dns": "8.8.8.8",
        "pull_policy": "if_not_present", "ulimits": {"nproc": 5, "nofile": {"soft": 1,
                                                                           "hard": 2}},
    })
    assert service == {
        "cpus": 1.5, "dns": ["8.8.8.8"], "expose": ["80", "90/udp"], "group_add": ["100"],
        "image": "x", "init": False, "mem_limit": "1073741824", "networks": {"default": None},
        "pull_policy": "missing", "read_only": True, "restart": "no",
        "shm_size": "67108864", "stop_grace_period": "1m30s", "sysctls": {"a": "1"},
        "ulimits": {"nofile": {"soft": 1, "hard": 2}, "nproc": 5},
    }
    assert list(service)[:3] == ["cpus", "dns", "expose"]  # Go struct order


def test_command_forms() -> None:
    assert _service({"command": "sh -c 'echo \"a b\"'"})["command"] == ["sh", "-c", 'echo "a b"']
    assert _service({"command": ""})["command"] == []
    assert "command" not in _service({"command": None})


def test_environment_resolution() -> None:
    service = _service({"environment": ["A=1", "B", "C", "D="]}, B="from-env")
    assert service["environment"] == {"A": "1", "B": "from-env", "C": None, "D": ""}
    numbers = _service({"environment": {"F": 1e7, "G": 1.5, "H": True, "I": 1000.0}})
    assert numbers["environment"] == {"F": "1e+07", "G": "1.5", "H": "true", "I": "1000"}


def test_env_files_are_folded_under_environment(tmp_path: Path) -> None:
    (tmp_path / "one.env").write_text("A=1\nB=from-file\nK=${A}\nD\n")
    (tmp_path / "two.env").write_text("A=2\n")
    data = {"services": {"a": {"image": "x", "env_file": [
        "one.env", {"path": "./two.env", "required": True},
        {"path": "missing.env", "required": False},
    ], "environment": {"B": None}}}}
    service = _canon(data, str(tmp_path))["services"]["a"]
    assert "env_file" not in service
    # a bare key in `environment` overrides the file even when it stays null
    assert service["environment"] == {"A": "2", "B": None, "K": "1"}


def test_raw_env_files_are_taken_literally(tmp_path: Path) -> None:
    (tmp_path / ".env.raw").write_text("""TEST_VAR='{"key": "value"}'\n""")
    data = {"services": {"a": {"image": "x", "env_file": [{"path": ".env.raw",
                                                            "format": "raw"}]}}}
    assert _canon(data, str(tmp_path))["services"]["a"]["environment"] == {
        "TEST_VAR": """'{"key": "value"}'"""}


def test_missing_env_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ComposeFileError, match=r"env file .*gone\.env not found"):
        _canon({"services": {"a": {"image": "x", "env_file": "gone.env"}}}, str(tmp_path))


def test_label_files_are_folded_under_labels(tmp_path: Path) -> None:
    (tmp_path / "l.labels").write_text("l1=v\nl2=w\n")
    data = {"services": {"a": {"image": "x", "label_file": "l.labels",
                               "labels": {"l1": "override", "n": 42, "e": None}}}}
    assert _canon(data, str(tmp_path))["services"]["a"]["labels"] == {
        "e": "", "l1": "override", "l2": "w", "n": "42"}


def test_volumes_short_and_long() -> None:
    service = _service({"volumes": [
        "/data", "./rel:/rel:ro", "~/h:/h", "named:/n",
        {"type": "bind", "source": "./long", "target": "/long/"},
        {"type": "tmpfs", "target": "/t", "tmpfs": {"size": "1k", "mode": 0o755}},
    ]})
    assert service["volumes"] == [
        {"type": "volume", "target": "/data", "volume": {}},
        {"type": "bind", "source": "/p/rel", "target": "/rel", "read_only": True,
         "bind": {"create_host_path": True}},
        {"type": "bind", "source": "/home/me/h", "target": "/h",
         "bind": {"create_host_path": True}},
        {"type": "volume", "source": "named", "target": "/n", "volume": {}},
        {"type": "bind", "source": "/p/long", "target": "/long"},
        {"type": "tmpfs", "target": "/t", "tmpfs": {"size": "1024", "mode": 493}},
    ]


def test_secrets_and_configs_long_form() -> None:
    service = _service({"secrets": ["s", {"source": "t", "target": "custom", "mode": 0o400}],
                        "configs": ["c", {"source": "d", "mode": "0444"}]})
    assert service["secrets"] == [{"source": "s", "target": "/run/secrets/s"},
                                  {"source": "t", "target": "custom", "mode": "0400"}]
    assert service["configs"] == [{"source": "c"}, {"source": "d", "mode": "0444"}]


def test_healthcheck_and_deploy() -> None:
    service = _service({
        "healthcheck": {"test": "echo hi", "interval": "1500ms", "retries": 0},
        "deploy": {"replicas": 0, "resources": {"limits": {"cpus": "0.001", "memory": "50M"}},
                   "update_config": {"delay": "0s", "monitor": "60s"}},
    })
    assert service["healthcheck"] == {"test": ["CMD-SHELL", "echo hi"], "interval": "1.5s",
                                      "retries": 0}
    assert service["deploy"] == {
        "replicas": 0, "update_config": {"monitor": "1m0s"},
        "resources": {"limits": {"cpus": 0.001, "memory": "52428800"}}}


def test_devices_gpus_extra_hosts() -> None:
    service = _service({"devices": ["/dev/a", "/dev/b:/dev/c:r"], "gpus": "all",
                        "extra_hosts": ["zz:1.1.1.1", "aa=2.2.2.2", "bb:::1",
                                        "mm=3.3.3.3,4.4.4.4"]})
    assert service["devices"] == [
        {"source": "/dev/a", "target": "/dev/a", "permissions": "rwm"},
        {"source": "/dev/b", "target": "/dev/c", "permissions": "r"}]
    assert service["gpus"] == [{"count": -1}]
    assert service["extra_hosts"] == ["aa=2.2.2.2", "bb=::1", "mm=3.3.3.3", "mm=4.4.4.4",
                                      "zz=1.1.1.1"]


def test_build_defaults() -> None:
    assert _service({"build": "./ctx"})["build"] == {"context": "/p/ctx",
                                                     "dockerfile": "Dockerfile"}
    build = _service({"build": {"args": ["A=1", "B", "C"], "ssh": ["default", "k=./id"]}},
                     B="b")["build"]
    assert build == {"context": "/p", "dockerfile": "Dockerfile", "args": {"A": "1", "B": "b"},
                     "ssh": ["default", "k: /p/id"]}


def test_implicit_dependencies() -> None:
    data = {"services": {
        "a": {"image": "x", "links": ["b:alias"], "network_mode": "service:c",
              "volumes_from": ["d:ro", "container:e"],
              "depends_on": {"c": {"condition": "service_healthy"}}},
        "b": {"image": "x"}, "c": {"image": "x"}, "d": {"image": "x"},
    }}
    assert _canon(data)["services"]["a"]["depends_on"] == {
        "b": {"condition": "service_started", "restart": True, "required": True},
        "c": {"condition": "service_healthy", "required": True},
        "d": {"condition": "service_started", "required": True},
    }


def test_resources_are_named_and_unused_ones_dropped() -> None:
    data = {
        "services": {"a": {"image": "x", "networks": ["front", "ext"],
                           "volumes": ["data:/v"], "secrets": ["s"], "configs": ["c"]}},
        "networks": {"front": None, "ext": {"external": True}, "unused": {}},
        "volumes": {"data": {"external": {"name": "legacy"}}, "unused": {}},
        "secrets": {"s": {"file": "./s.txt"}},
        "configs": {"c": {"name": "custom", "content": "hi"}},
        "x-top": {"a": 1},
    }
    result = _canon(data)
    assert result["networks"] == {"ext": {"name": "ext", "external": True},
                                  "front": {"name": "x_front"}}
    assert result["volumes"] == {"data": {"name": "legacy", "external": True}}
    assert result["secrets"] == {"s": {"name": "x_s", "file": "/p/s.txt"}}
    assert result["configs"] == {"c": {"name": "custom", "content": "hi"}}
    assert result["x-top"] == {"a": 1}
    assert result["services"]["a"]["networks"] == {"ext": None, "front": None}


def test_bad_values_are_located() -> None:
    with pytest.raises(ComposeFileError) as info:
        _service({"ports": ["1.2.3:80:80"]})
    assert info.value.location.key == "services.a.ports"
    assert "invalid IP address: 1.2.3" in info.value.message
