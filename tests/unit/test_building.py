"""A project's ``build:`` sections as build requests, and what ``up`` builds."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import BuildError
from compose.cli.commands.build import build_args, selected
from compose.engine.building import BuildOptions, build_request, buildable, to_build
from compose.spec.loader import LoadOptions, load_project
from compose.spec.model import Project
from runtime.build.cache import BuildCache, CacheRecord


def load(tmp_path: Path, text: str) -> Project:
    (tmp_path / "compose.yaml").write_text(text)
    (tmp_path / "s.txt").write_text("secret")
    return load_project(LoadOptions(cwd=str(tmp_path), environ={"FROM_ENV": "e"})).project


def test_short_form(tmp_path: Path) -> None:
    project = load(tmp_path, "name: p\nservices:\n  web:\n    build: .\n")
    request = build_request(project, project.services["web"], BuildOptions())
    assert request.context == tmp_path
    assert request.dockerfile == "Dockerfile"
    assert request.tags == ("p-web",)
    assert request.network == "default"
    assert not request.no_cache


def test_long_form(tmp_path: Path) -> None:
    project = load(tmp_path, """\
name: p
services:
  web:
    image: me/web:1
    build:
      context: sub
      dockerfile: Other
      args: [A=1, FROM_ENV, MISSING]
      target: final
      labels: {x: y}
      tags: ["me/web:extra", "me/web:1"]
      no_cache: true
      pull: true
      network: none
      extra_hosts: ["db=10.0.0.2", "old:10.0.0.3"]
      shm_size: 64m
      secrets: [tok]
      platforms: [linux/amd64]
secrets:
  tok:
    file: ./s.txt
""")
    request = build_request(project, project.services["web"], BuildOptions(args={"A": "cli"}))
    assert request.context == tmp_path / "sub"
    assert request.dockerfile == "Other"
    assert dict(request.args) == {"A": "cli", "FROM_ENV": "e"}
    assert request.target == "final"
    assert dict(request.labels) == {"x": "y"}
    assert request.tags == ("me/web:1", "me/web:extra")
    assert request.no_cache and request.pull
    assert request.network == "none"
    assert request.extra_hosts == (("db", "10.0.0.2"), ("old", "10.0.0.3"))
    assert request.shm_size == 64 * 1024 * 1024
    assert dict(request.secrets) == {"tok": str(tmp_path / "s.txt")}
    assert request.platforms == ("linux/amd64",)


def test_dockerfile_inline(tmp_path: Path) -> None:
    project = load(tmp_path, "services:\n  a:\n    build:\n      context: .\n"
                             "      dockerfile_inline: 'FROM busybox'\n")
    request = build_request(project, project.services["a"], BuildOptions())
    assert request.dockerfile_inline == "FROM busybox"


def test_undefined_secret(tmp_path: Path) -> None:
    project = load(tmp_path, "services:\n  a:\n    build:\n      context: .\n"
                             "      secrets: [nope]\nsecrets:\n  nope:\n    environment: X\n")
    with pytest.raises(BuildError, match="secret 'nope'"):
        build_request(project, project.services["a"], BuildOptions())


def test_remote_context_refused(tmp_path: Path) -> None:
    project = load(tmp_path, "services:\n  a:\n    build: https://example.com/repo.git\n")
    with pytest.raises(BuildError, match="remote contexts"):
        build_request(project, project.services["a"], BuildOptions())


def test_bad_network(tmp_path: Path) -> None:
    project = load(tmp_path, "services:\n  a:\n    build:\n      context: .\n"
                             "      network: mynet\n")
    with pytest.raises(BuildError, match="only none, host and default"):
        build_request(project, project.services["a"], BuildOptions())


COMPOSE = """\
services:
  built:
    build: .
  policy:
    build: .
    image: policy:1
    pull_policy: build
  pulled:
    image: busybox
"""


def test_to_build(tmp_path: Path) -> None:
    project = load(tmp_path, COMPOSE)
    assert buildable(project) == ["built", "policy"]
    present = {"built": True, "policy": True}
    assert to_build(project, present, build=None) == ["policy"]
    assert to_build(project, {"built": False, "policy": True}, build=None) == [
        "built", "policy"]
    assert to_build(project, present, build=True) == ["built", "policy"]
    assert to_build(project, {}, build=False) == []


def test_selected_services(tmp_path: Path) -> None:
    project = load(tmp_path, COMPOSE)
    assert selected(project, [], False) == ["built", "policy"]
    assert selected(project, ["pulled", "built"], False) == ["built"]


def test_build_args() -> None:
    assert build_args(["A=1", "B=", "C", "D"], {"C": "env"}) == {"A": "1", "B": "", "C": "env"}


def test_cache_roundtrip(tmp_path: Path) -> None:
    cache = BuildCache(tmp_path / "cache")
    key = "a" * 64
    assert cache.get(key) is None
    record = CacheRecord({"digest": "sha256:" + "b" * 64}, "sha256:" + "c" * 64, "now")
    cache.put(key, record)
    assert cache.get(key) == record
    with pytest.raises(ValueError):
        cache.get("../x")


def test_unsupported_build_keys_warned(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  a:\n    build:\n      context: .\n      cache_from: [x]\n"
        "      ssh: [default]\n      target: t\n")
    loaded = load_project(LoadOptions(cwd=str(tmp_path), environ={}))
    build_warnings = [w for w in loaded.warnings if ".build." in w]
    assert sorted(build_warnings) == [
        "services.a.build.cache_from is not supported yet and is ignored",
        "services.a.build.ssh is not supported yet and is ignored"]
