"""Differential cases for compose-go's rules that the corpus never exercised:
the validation package, the consistency checks, environment decoding and
short volume specs holding ``${...}``.  Each case is run by Docker Compose and by
pycompose: both accept it with the same model, or both refuse it, and then
pycompose's one-line error names the attribute and says what Docker Compose says."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from compose import app as cli
from tests.corpus.test_oracle import ENV, ORACLE

pytestmark = pytest.mark.skipif(not ORACLE.exists(),
                                reason=f"docker compose oracle not installed at {ORACLE}")

# name: (compose.yaml, extra arguments, what pycompose's error holds)
CASES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "tmpfs-then-volume-on-one-target": ("""
services:
  a: {image: x, tmpfs: [/data], volumes: ["./d:/data"]}
""", (), ("services.a.volumes[0]", "target /data already mounted as services.a.tmpfs[0]")),
    "two-tmpfs-on-one-target": ("""
services:
  a: {image: x, tmpfs: ["/data:size=1m", /data]}
""", (), ("services.a.tmpfs[1]", "already mounted as services.a.tmpfs[0]")),
    "network-mode-with-networks": ("""
services:
  a: {image: x, network_mode: host, networks: [default]}
""", (), ("services.a.network_mode", "mutually exclusive `network_mode` and `networks`")),
    "network-mode-alone": ("""
services:
  a: {image: x, network_mode: host}
  b: {image: y, network_mode: "service:a"}
""", (), ()),
    "secret-without-source": ("""
services:
  a: {image: x, secrets: [s]}
secrets:
  s: {name: foo}
""", (), ("secrets.s", "one of file|environment must be set")),
    "secret-with-driver-only": ("""
services:
  a: {image: x}
secrets:
  s: {driver: foo}
""", (), ("secrets.s", "must declare either `file` or `environment`")),
    "secret-with-file-and-environment": ("""
services:
  a: {image: x, secrets: [s]}
secrets:
  s: {file: ./a, environment: A}
""", (), ("secrets.s", "file|environment attributes are mutually exclusive")),
    "config-without-source": ("""
services:
  a: {image: x, configs: [c]}
configs:
  c: {name: foo}
""", (), ("configs.c", "one of file|environment|content must be set")),
    "config-from-content": ("""
services:
  a: {image: x, configs: [c]}
configs:
  c: {content: hello}
""", (), ()),
    "external-volume-with-driver": ("""
services:
  a: {image: x, volumes: ["v:/v"]}
volumes:
  v: {external: true, driver: local}
""", (), ("volumes.v", 'conflicting parameters "external" and "driver" specified')),
    "bind-without-source": ("""
services:
  a:
    image: x
    volumes: [{type: bind, target: /x}]
""", (), ("services.a.volumes[0]", "field Source must not be empty")),
    "environment-key-with-trailing-space": ("""
services:
  a: {image: x, environment: ["FOO = bar"]}
""", (), ("services.a.environment[0]", "'FOO ' is declared with a trailing space")),
    "env-file-required-not-a-boolean": ("""
services:
  a: {image: x, env_file: [{path: a.env, required: maybe}]}
""", (), ("services.a.env_file[0].required", "invalid boolean: maybe")),
    "env-file-required-yaml-1-1-boolean": ("""
services:
  a: {image: x, env_file: [{path: a.env, required: "No"}]}
""", (), ()),
    "environment-spaces-elsewhere": ("""
services:
  a: {image: x, environment: ["BAZ= q", " LEAD=1"]}
""", (), ()),
    "environment-trailing-space-not-decoded": ("""
services:
  a: {image: x, environment: ["FOO = bar"]}
""", ("--no-interpolate",), ()),
    "port-host-ip": ("""
services:
  a:
    image: x
    ports: [{target: 80, host_ip: notanip, published: "8080"}]
""", (), ("services.a.ports[0].host_ip", "invalid ip address: notanip")),
    "device-count-and-ids": ("""
services:
  a:
    image: x
    deploy:
      resources:
        reservations:
          devices: [{capabilities: [gpu], count: 1, device_ids: ["0"]}]
""", (), ("devices[0]", '"count" and "device_ids" attributes are exclusive')),
    "watch-path-blank": ("""
services:
  a:
    image: x
    develop:
      watch: [{path: "", action: rebuild}]
""", (), ("services.a.develop.watch[0].path", "value can't be blank")),
    "volume-spec-variables-interpolated": ("""
services:
  a:
    image: x
    volumes: ["./y:${TGT:-/y}:ro", "${SRC:-./z}:/z:rw"]
""", (), ()),
    "volume-spec-variables-kept": ("""
services:
  a:
    image: x
    volumes: ["./x:/time/${T:-12:30:45}:ro", "./y:${TGT:-/y}:rw", "$${HOME}:/h",
              "./n:/n/${A:-${B:-1:2}}:ro"]
""", ("--no-interpolate",), ()),
    "undefined-volume-unchecked-without-interpolation": ("""
services:
  a: {image: x, volumes: ["foo:/x"], tmpfs: [/x]}
""", ("--no-interpolate",), ()),
    "long-target-with-slash-clashes": ("""
services:
  a:
    image: x
    volumes: ["./0:/0", {type: bind, source: ./0, target: /0/}]
""", (), ("services.a.volumes[1]", "target /0 already mounted as services.a.volumes[0]")),
    "short-targets-with-and-without-slash-merge": ("""
services:
  a:
    image: x
    volumes: ["./0:/0/", "./1:/0", "a:/0/"]
volumes:
  a: {}
""", (), ()),
    "dockerfile-and-inline": ("""
services:
  a: {build: {context: ., dockerfile: D, dockerfile_inline: "FROM x"}}
""", (), ("services.a.build", "mutually exclusive dockerfile and dockerfile_inline")),
    "inline-alone": ("""
services:
  a: {build: {context: ., dockerfile_inline: "FROM x"}}
""", (), ()),
    "additional-context-of-unknown-service": ("""
services:
  a: {build: {context: ., additional_contexts: {x: "service:nosuch"}}}
""", (), ("additional_contexts.x", "declares unknown service 'nosuch' as additional contexts x")),
    "additional-context-of-image-service": ("""
services:
  a: {build: {context: ., additional_contexts: {x: "service:b"}}}
  b: {image: y}
""", (), ("additional_contexts.x", "declares non-buildable service 'b'")),
    "additional-context-of-built-service": ("""
services:
  a: {build: {context: ., additional_contexts: {x: "service:b"}}}
  b: {build: .}
""", (), ()),
    "platform-outside-build-platforms": ("""
services:
  a: {platform: linux/arm64, build: {context: ., platforms: [linux/amd64]}}
""", (), ("services.a.platform", "service.build.platforms MUST include")),
    "healthcheck-test-word": ("""
services:
  a: {image: x, healthcheck: {test: ["BAD", "x"]}}
""", (), ("services.a.healthcheck.test", 'must start either by "CMD"')),
    "undefined-build-secret": ("""
services:
  a: {build: {context: ., secrets: [s]}}
""", (), ("services.a.build.secrets[0]", "undefined build secret s")),
    "scale-and-replicas-differ": ("""
services:
  a: {image: x, scale: 2, deploy: {replicas: 3}}
""", (), ("services.a.scale", "distinct values on 'scale' and 'deploy.replicas'")),
    "scale-and-replicas-agree": ("""
services:
  a: {image: x, scale: 2, deploy: {replicas: 2}}
""", (), ()),
    "negative-scale": ("""
services:
  a: {image: x, scale: -1}
""", (), ("services.a", "scale: must be greater than or equal to 0")),
    "cpus-differ": ("""
services:
  a: {image: x, cpus: 1.5, deploy: {resources: {limits: {cpus: "2"}}}}
""", (), ("services.a.cpus", "'deploy.resources.limits.cpus'")),
    "limits-agree": ("""
services:
  a:
    image: x
    cpus: 1.5
    mem_limit: 64m
    pids_limit: 10
    deploy: {resources: {limits: {cpus: "1.5", memory: 64M, pids: 10}}}
""", (), ()),
    "mem-limit-differs": ("""
services:
  a: {image: x, mem_limit: 64m, deploy: {resources: {limits: {memory: 128m}}}}
""", (), ("services.a.mem_limit", "'deploy.resources.limits.memory'")),
    "mem-reservation-differs": ("""
services:
  a: {image: x, mem_reservation: 64m, deploy: {resources: {reservations: {memory: 128m}}}}
""", (), ("services.a.mem_reservation", "'deploy.resources.reservations.memory'")),
    "pids-differ": ("""
services:
  a: {image: x, pids_limit: 10, deploy: {resources: {limits: {pids: 20}}}}
""", (), ("services.a.pids_limit", "'deploy.resources.limits.pids'")),
    "container-name-with-replicas": ("""
services:
  a: {image: x, container_name: fixed, scale: 2}
""", (), ("services.a.container_name", "can't set container_name and scale")),
    "watch-sync-without-target": ("""
services:
  a: {image: x, develop: {watch: [{path: ., action: sync}]}}
""", (), ("services.a.develop.watch[0]", "target is required for non-rebuild actions")),
    "volume-spec-default-with-colons": ("""
services:
  a:
    image: x
    volumes: ["./x:/time/${T:-12:30:45}:ro"]
""", (), ("services.a.volumes[0]", "too many colons")),
}


def oracle_config(directory: Path, *args: str) -> tuple[int, Any]:
    result = subprocess.run([str(ORACLE), "-p", "rules", "config", "--format", "json", *args],
                            cwd=directory, env=ENV, capture_output=True, text=True, timeout=30)
    return result.returncode, json.loads(result.stdout) if result.returncode == 0 else \
        result.stderr


def our_config(directory: Path, *args: str) -> tuple[int, Any]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["-p", "rules", "config", "--format", "json", *args], environ=ENV,
                    cwd=str(directory), stdout=out, stderr=err)
    return code, json.loads(out.getvalue()) if code == 0 else err.getvalue()


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_matches_docker_compose(name: str, tmp_path: Path) -> None:
    text, args, expected = CASES[name]
    (tmp_path / "compose.yaml").write_text(text)
    theirs = oracle_config(tmp_path, *args)
    ours = our_config(tmp_path, *args)
    assert (ours[0] == 0) == (theirs[0] == 0), (ours, theirs)
    if theirs[0] == 0:
        assert not expected
        if "environment" not in text:  # --no-interpolate prints it undecoded
            assert ours[1] == theirs[1]
    else:
        assert expected, f"docker compose refused it: {theirs[1]}"
        assert ours[1].count("\n") == 1 and "Traceback" not in ours[1]
        for fragment in expected:
            assert fragment in ours[1]


HOOKS = """
services:
  a:
    image: x
    environment: [PATH]
    post_start:
      - {command: echo hi, user: "1000", privileged: true, working_dir: /tmp,
         environment: [PATH, X=1]}
      - {command: [sh, -c, "exit 0"]}
    pre_stop:
      - {command: [sh, -c, "exit 0"], environment: {HOME: null, Y: 2}}
"""


def test_hooks_match_docker_compose(tmp_path: Path) -> None:
    """A hook's environment is a map, its bare keys left null (compose-go resolves
    the service's environment from ours, never a hook's)."""
    (tmp_path / "compose.yaml").write_text(HOOKS)
    theirs = oracle_config(tmp_path)
    assert theirs[0] == 0, theirs[1]
    assert our_config(tmp_path) == theirs
    assert theirs[1]["services"]["a"]["post_start"][0]["environment"] == \
        {"PATH": None, "X": "1"}


# name: {file: text}; the project is compose.yaml
PROJECTS: dict[str, dict[str, str]] = {
    "include-with-project-directory-builds-there": {
        "compose.yaml": "include:\n  - path: sub/compose.yaml\n    project_directory: sub/other\n"
                        "services:\n  main: {image: x}\n",
        "sub/compose.yaml": "services:\n  inc:\n    build: {dockerfile: Dockerfile}\n"
                            "    volumes: ['./data:/data']\n  inc2:\n    build: .\n",
        "sub/other/.keep": "",
    },
    "include-without-project-directory": {
        "compose.yaml": "include: [sub/compose.yaml]\nservices:\n  main: {image: x}\n",
        "sub/compose.yaml": "services:\n  inc:\n    build: {dockerfile: Dockerfile}\n",
    },
    "extends-from-elsewhere-builds-the-project": {
        "compose.yaml": "services:\n  main:\n    extends: {file: sub/base.yaml, service: b}\n",
        "sub/base.yaml": "services:\n  b:\n    build: {dockerfile: Dockerfile}\n"
                         "    env_file: [./b.env]\n",
        "sub/b.env": "B=1\n",
    },
    "paths-kept-as-written": {
        "compose.yaml": "include: [sub/inc.yaml]\nservices:\n  main:\n    build: .\n"
                        "    volumes: ['./d:/d', '~/h:/h', '/abs:/abs']\n"
                        "    env_file: [./e.env]\n    secrets: [s]\n"
                        "  ext:\n    extends: {file: sub/base.yaml, service: b}\n"
                        "secrets:\n  s: {file: ./s.txt}\n",
        "sub/base.yaml": "services:\n  b:\n    build: ./ctx\n    volumes: ['./bd:/bd:ro']\n",
        "sub/inc.yaml": "services:\n  inc:\n    build: {dockerfile: D}\n"
                        "    volumes: [{type: bind, source: ./id, target: /id}]\n",
        "e.env": "A=1\n",
        "s.txt": "",
    },
}
RESOLUTIONS = {"resolved": (), "kept": ("--no-path-resolution",)}


@pytest.mark.parametrize("resolution", sorted(RESOLUTIONS))
@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_project_matches_docker_compose(name: str, resolution: str, tmp_path: Path) -> None:
    for file, text in PROJECTS[name].items():
        (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / file).write_text(text)
    theirs = oracle_config(tmp_path, *RESOLUTIONS[resolution])
    assert theirs[0] == 0, theirs[1]
    assert our_config(tmp_path, *RESOLUTIONS[resolution]) == theirs
