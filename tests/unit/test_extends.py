"""compose/spec/load/extends.py, include.py and assemble.py: files to one model."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from common.errors import ComposeFileError
from compose.spec.load.assemble import Context, assemble, assemble_project
from compose.spec.load.parse import Document, parse_yaml


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def _read(path: str) -> Document:
    return parse_yaml(Path(path).read_text(), path)


def _read_env(path: str, _environ: Mapping[str, str]) -> dict[str, str]:
    return dict(line.split("=", 1) for line in Path(path).read_text().splitlines() if "=" in line)


def _load(directory: Path, *files: str, environ: Mapping[str, str] | None = None,
          interpolate: bool = True) -> dict[str, Any]:
    context = Context(str(directory), environ or {}, interpolate, _read, _read_env,
                      lambda _: None)
    return assemble_project([str(directory / f) for f in files], context).data


def _error(directory: Path, *files: str) -> ComposeFileError:
    with pytest.raises(ComposeFileError) as info:
        _load(directory, *files)
    return info.value


# --- extends ---------------------------------------------------------------------------


def test_extends_in_the_same_file_and_chains(tmp_path: Path) -> None:
    _write(tmp_path / "compose.yaml", """
        services:
          foo:
            image: busybox
            extends: bar
          bar:
            image: alpine
            command: echo
            environment: {A: "1"}
            extends: wee
          wee:
            extends: last
            command: echo
            environment: [B=2]
          last:
            image: python
    """)
    services = _load(tmp_path, "compose.yaml")["services"]
    assert services["foo"] == {"image": "busybox", "command": "echo",
                               "environment": ["B=2", "A=1"]}
    assert services["wee"] == {"image": "python", "command": "echo", "environment": ["B=2"]}
    assert services["last"] == {"image": "python"}


def test_extends_another_file_rebases_its_relative_paths(tmp_path: Path) -> None:
    _write(tmp_path / "compose.yaml", """
        services:
          web:
            extends: {file: lib/base.yaml, service: base}
            hostname: web
    """)
    _write(tmp_path / "lib" / "base.yaml", """
        services:
          base:
            extends: {file: deeper/build.yaml, service: builder}
            env_file: ./extra.env
            volumes: [./data:/data, named:/named, /abs:/abs]
          other:
            image: unused
    """)
    _write(tmp_path / "lib" / "deeper" / "build.yaml", """
        services:
          builder:
            build: .
    """)
    web = _load(tmp_path, "compose.yaml")["services"]["web"]
    lib = tmp_path / "lib"
    assert web == {
        "build": str(lib / "deeper"),
        "env_file": str(lib / "extra.env"),
        "volumes": [f"{lib / 'data'}:/data", "named:/named", "/abs:/abs"],
        "hostname": "web",
    }


def test_extended_file_is_interpolated_with_the_project_environment(tmp_path: Path) -> None:
    _write(tmp_path / "compose.yaml", "services:\n  t:\n    extends: {file: b.yaml, service: b}\n")
    _write(tmp_path / "b.yaml", "services:\n  b:\n    image: ${IMAGE:-none}\n")
    assert _load(tmp_path, "compose.yaml", environ={"IMAGE": "x"})["services"]["t"] == {
        "image": "x"}


def test_reset_in_the_extending_service_drops_the_inherited_value(tmp_path: Path) -> None:
    _write(tmp_path / "compose.yaml", """
        services:
          foo:
            extends: {service: bar}
            volumes: !reset []
            command: !override [b]
          bar:
            image: alpine
            command: [a, x]
            volumes: [".:/src"]
    """)
    assert _load(tmp_path, "compose.yaml")["services"]["foo"] == {
        "image": "alpine", "command": ["b"]}


def test_extends_cycle(tmp_path: Path) -> None:
    _write(tmp_path / "c.yaml", """
        services:
          a: {extends: b}
          b: {extends: c}
          c: {extends: a}
    """)
    err = _error(tmp_path, "c.yaml")
    file = str(tmp_path / "c.yaml")
    assert err.message == (f"Circular reference: a in {file}, extends b in {file}, "
                           f"extends c in {file}, extends a in {file}")
    assert err.location.key == "services.a.extends"


@pytest.mark.parametrize(
    ("extends", "message"),
    [
        ("zz", 'cannot extend service "a" in {file}: service "zz" not found'),
        ("{file: b.yaml, service: zz}",
         'cannot extend service "a" in {file}: service "zz" not found in b.yaml'),
        ("{file: b.yaml}", "extends.a.service is required"),
        ("{file: nope.yaml, service: b}", "open {dir}/nope.yaml: no such file or directory"),
    ],
)
def test_extends_errors(tmp_path: Path, extends: str, message: str) -> None:
    _write(tmp_path / "c.yaml", f"services:\n  a:\n    image: x\n    extends: {extends}\n")
    _write(tmp_path / "b.yaml", "services:\n  b:\n    image: y\n")
    err = _error(tmp_path, "c.yaml")
    assert err.message == message.format(file=tmp_path / "c.yaml", dir=tmp_path)
    assert err.location.line == 4


def test_extends_is_resolved_per_file_before_merging(tmp_path: Path) -> None:
    _write(tmp_path / "a.yaml", "services:\n  t:\n    image: t\n    ports: ['8080:8080']\n")
    _write(tmp_path / "b.yaml", "services:\n  t:\n    extends: {file: a.yaml, service: t}\n")
    assert _load(tmp_path, "a.yaml", "b.yaml")["services"]["t"] == {
        "image": "t", "ports": ["8080:8080"]}


# --- several files, !reset and !override -------------------------------------------------


def test_reset_and_override_between_files(tmp_path: Path) -> None:
    _write(tmp_path / "a.yaml", """
        services:
          foo:
            image: x
            build: {context: ., dockerfile: foo.Dockerfile}
            environment: {FOO: BAR, KEEP: "1"}
            ports: ["80:80"]
        networks:
          gone: {external: true}
          replaced: {name: n, external: true}
    """)
    _write(tmp_path / "b.yaml", """
        services:
          foo:
            build: !reset
            environment:
              FOO: !reset
            ports: !override ["8443:443"]
        networks:
          gone: !reset {}
          replaced: !override {}
    """)
    data = _load(tmp_path, "a.yaml", "b.yaml")
    assert data["services"]["foo"] == {"image": "x", "environment": ["KEEP=1"],
                                       "ports": ["8443:443"]}
    assert data["networks"] == {"replaced": {}}


def test_validation_happens_after_merging(tmp_path: Path) -> None:
    _write(tmp_path / "a.yaml", """
        services:
          test:
            image: x
            depends_on: {foo: {condition: service_healthy}}
            ports: ["80:80", "80:80"]
          foo: {image: y}
    """)
    _write(tmp_path / "b.yaml",
           "services:\n  test:\n    depends_on:\n      foo: {required: false}\n")
    test = _load(tmp_path, "a.yaml", "b.yaml")["services"]["test"]
    assert test["depends_on"] == {"foo": {"condition": "service_healthy", "required": False}}
    assert test["ports"] == ["80:80"]


def test_schema_error_points_into_the_file_defining_the_key(tmp_path: Path) -> None:
    _write(tmp_path / "a.yaml", "services:\n  t:\n    image: x\n")
    _write(tmp_path / "b.yaml", "services:\n  t:\n    bogus: 1\n")
    err = _error(tmp_path, "a.yaml", "b.yaml")
    assert err.location.file == str(tmp_path / "b.yaml")
    assert (err.location.line, err.message) == (3, "additional property 'bogus' is not allowed")


def test_merge_conflict_is_located(tmp_path: Path) -> None:
    _write(tmp_path / "a.yaml", "services:\n  t:\n    image: x\n    ports: ['1:1']\n")
    _write(tmp_path / "b.yaml", "services:\n  t:\n    ports: '2:2'\n")
    err = _error(tmp_path, "a.yaml", "b.yaml")
    assert err.message == "cannot override services.t.ports"
    assert (err.location.file, err.location.line) == (str(tmp_path / "b.yaml"), 3)


def test_empty_files(tmp_path: Path) -> None:
    _write(tmp_path / "a.yaml", "services:\n  t:\n    image: x\n")
    _write(tmp_path / "empty.yaml", "")
    assert _load(tmp_path, "a.yaml", "empty.yaml")["services"] == {"t": {"image": "x"}}
    err = _error(tmp_path, "empty.yaml")
    assert err.message == "empty compose file"


# --- include ---------------------------------------------------------------------------


def test_include_loads_a_project_of_its_own(tmp_path: Path) -> None:
    _write(tmp_path / "compose.yaml", """
        include:
          - path: sub/inc.yaml
            env_file: sub/extra.env
          - other.yaml
        services:
          foo:
            image: busybox
    """)
    _write(tmp_path / "sub" / "inc.yaml", """
        services:
          imported:
            image: nginx
            container_name: ${SOURCE:-imported}
            env_file: ./extra.env
            environment: [SOURCE, UNSET]
            volumes: [./data:/data]
        volumes:
          v: {}
    """)
    _write(tmp_path / "sub" / "extra.env", "SOURCE=extends\n")
    _write(tmp_path / "other.yaml", "services:\n  other:\n    image: o\n")
    data = _load(tmp_path, "compose.yaml")
    sub = tmp_path / "sub"
    assert data["services"]["imported"] == {
        "image": "nginx", "container_name": "extends", "env_file": str(sub / "extra.env"),
        "environment": ["SOURCE=extends", "UNSET"], "volumes": [f"{sub / 'data'}:/data"],
    }
    assert sorted(data["services"]) == ["foo", "imported", "other"]
    assert data["volumes"] == {"v": {}}
    assert "include" not in data


def test_include_project_environment_wins_over_its_env_file(tmp_path: Path) -> None:
    _write(tmp_path / "compose.yaml", "include:\n  - path: inc.yaml\n    env_file: x.env\n")
    _write(tmp_path / "inc.yaml", "services:\n  s:\n    image: ${TAG}\n")
    _write(tmp_path / "x.env", "TAG=from-file\n")
    assert _load(tmp_path, "compose.yaml", environ={"TAG": "env"})["services"]["s"] == {
        "image": "env"}


def test_include_with_project_directory_and_extends(tmp_path: Path) -> None:
    _write(tmp_path / "compose.yml", "include:\n  - project_directory: .\n    path: dir/inc.yaml\n")
    _write(tmp_path / "dir" / "inc.yaml",
           "services:\n  inc:\n    extends: {file: dir/ext.yaml, service: ext}\n")
    _write(tmp_path / "dir" / "ext.yaml", "services:\n  ext:\n    image: alpine\n")
    assert _load(tmp_path, "compose.yml")["services"] == {"inc": {"image": "alpine"}}


def test_identical_redefinition_is_not_a_conflict(tmp_path: Path) -> None:
    _write(tmp_path / "compose.yaml", "include: [inc.yaml]\nservices:\n  b:\n    image: x\n")
    _write(tmp_path / "inc.yaml", "services:\n  b:\n    image: x\n")
    assert _load(tmp_path, "compose.yaml")["services"] == {"b": {"image": "x"}}


def test_include_conflict(tmp_path: Path) -> None:
    _write(tmp_path / "compose.yaml", "include: [inc.yaml]\nservices:\n  b:\n    image: x\n")
    _write(tmp_path / "inc.yaml", "services:\n  b:\n    image: y\n")
    err = _error(tmp_path, "compose.yaml")
    assert err.message == "services.b conflicts with imported resource"
    assert (err.location.line, err.location.key) == (3, "services.b")


def test_include_cycle(tmp_path: Path) -> None:
    _write(tmp_path / "a.yaml", "include: [b.yaml]\nservices:\n  a:\n    image: x\n")
    _write(tmp_path / "b.yaml", "include: [a.yaml]\nservices:\n  b:\n    image: x\n")
    err = _error(tmp_path, "a.yaml")
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    assert err.message == f"include cycle detected: {a} -> {b} -> {a}"
    assert err.location.file == str(b)


@pytest.mark.parametrize(
    ("include", "message"),
    [
        ("inc.yaml", "`include` must be a list, got inc.yaml"),
        ("[nope.yaml]", "open {dir}/nope.yaml: no such file or directory"),
        ("[{path: inc.yaml, env_file: no.env}]", "stat {dir}/no.env: no such file or directory"),
    ],
)
def test_include_errors(tmp_path: Path, include: str, message: str) -> None:
    _write(tmp_path / "compose.yaml", f"include: {include}\nservices:\n  a:\n    image: x\n")
    _write(tmp_path / "inc.yaml", "services:\n  b:\n    image: x\n")
    assert _error(tmp_path, "compose.yaml").message == message.format(dir=tmp_path)


def test_included_documents_locate_errors(tmp_path: Path) -> None:
    _write(tmp_path / "compose.yaml", "include: [inc.yaml]\n")
    _write(tmp_path / "inc.yaml", "services:\n  b:\n    image: x\n")
    context = Context(str(tmp_path), {}, True, _read, _read_env, lambda _: None)
    documents = assemble([str(tmp_path / "compose.yaml")], context).documents
    assert [d.file for d in documents] == [str(tmp_path / "inc.yaml"),
                                           str(tmp_path / "compose.yaml")]


def test_documents_of_one_file_merge_like_files(tmp_path: Path) -> None:
    _write(tmp_path / "c.yaml", """
        services:
          t: {image: a, ports: ['1:1']}
        ---
        services:
          t: {image: b, ports: !reset []}
    """)
    assert _load(tmp_path, "c.yaml")["services"] == {"t": {"image": "b"}}
