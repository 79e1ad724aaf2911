"""compose/spec/load/validate.py: the vendored Compose JSON schema, errors at the right line."""

from __future__ import annotations

import pytest

from common.errors import ComposeFileError
from compose.spec.load.parse import parse_yaml
from compose.spec.load.validate import validate


def _error(text: str) -> ComposeFileError:
    with pytest.raises(ComposeFileError) as info:
        validate(parse_yaml(text, "c.yml"))
    return info.value


VALID = """\
name: demo
services:
  web:
    image: nginx:1.25
    command: ["nginx", "-g", "daemon off;"]
    entrypoint: /docker-entrypoint.sh
    environment:
      A: "1"
      B: 2
      C: true
      D:
    labels:
      - com.example=1
    depends_on:
      db:
        condition: service_healthy
        restart: true
    ports:
      - "8080:80"
    stop_grace_period: 1m30s
    stop_signal: SIGQUIT
    user: "1000:1000"
    working_dir: /srv
    hostname: web
    container_name: demo-web
    x-custom: anything
  db:
    image: postgres
    environment:
      - POSTGRES_PASSWORD=secret
      - FROM_ENV
networks:
  back: {}
x-anchors:
  whatever: [1, 2]
"""


def test_valid_file_passes() -> None:
    validate(parse_yaml(VALID, "c.yml"))


@pytest.mark.parametrize(
    "text",
    [
        "services:\n  web:\n    image: busybox\n",
        "services:\n  web:\n    image: busybox\n    depends_on: [db]\n  db:\n    image: x\n",
        "services:\n  web:\n    image: busybox\n    command: echo hi\n",
        "services:\n  web:\n    image: busybox\n    command: null\n",
        "services:\n  web:\n    build: .\n",
        "services: {}\n",
        "version: '3.8'\nservices:\n  web:\n    image: busybox\n",
    ],
)
def test_small_valid_files(text: str) -> None:
    validate(parse_yaml(text, "c.yml"))


def test_unknown_service_key() -> None:
    err = _error("services:\n  web:\n    image: busybox\n    foo: 1\n")
    assert err.message == "additional property 'foo' is not allowed"
    assert (err.location.line, err.location.column) == (4, 5)
    assert err.location.key == "services.web.foo"
    assert str(err) == "c.yml:4:5: services.web.foo: additional property 'foo' is not allowed"


def test_unknown_keys_reports_the_first_in_sorted_order() -> None:
    err = _error("services:\n  web:\n    image: busybox\n    zzz: 1\n    aaa: 2\n")
    assert err.message == "additional property 'aaa' is not allowed"
    assert err.location.line == 5


def test_unknown_top_level_key() -> None:
    err = _error("services:\n  web:\n    image: busybox\nfoo: 1\n")
    assert err.message == "additional property 'foo' is not allowed"
    assert (err.location.line, err.location.column) == (4, 1)
    assert err.location.key == "foo"


def test_extension_keys_are_allowed_everywhere() -> None:
    validate(parse_yaml("x-top: 1\nservices:\n  web:\n    image: a\n    x-mine: {a: 1}\n",
                        "c.yml"))


@pytest.mark.parametrize(
    ("text", "key", "line", "message"),
    [
        ("services:\n  web:\n    image: 12\n", "services.web.image", 3,
         "must be a string, found 12"),
        ("services:\n  web:\n    image: [a]\n", "services.web.image", 3,
         "must be a string, found a list"),
        ("services:\n  web:\n    image: busybox\n    command: {a: 1}\n",
         "services.web.command", 4, "invalid value a mapping"),
        ("services:\n  web:\n    image: busybox\n    ports: {a: 1}\n",
         "services.web.ports", 4, "must be a list, found a mapping"),
        ("services:\n  web:\n    image: busybox\n    stop_grace_period: 10\n",
         "services.web.stop_grace_period", 4, "must be a string, found 10"),
        ("services: []\n", "services", 1, "must be a mapping, found a list"),
        ("services:\n  web: 3\n", "services.web", 2, "must be a mapping, found 3"),
    ],
)
def test_wrong_type_names_key_path(text: str, key: str, line: int, message: str) -> None:
    err = _error(text)
    assert err.location.key == key
    assert err.location.line == line
    assert err.message == message


def test_enum_violation() -> None:
    err = _error(
        "services:\n  web:\n    image: a\n    depends_on:\n      db:\n"
        "        condition: maybe\n  db:\n    image: b\n"
    )
    assert err.location.key == "services.web.depends_on.db.condition"
    assert err.location.line == 6
    assert err.message == (
        "must be one of 'service_started', 'service_healthy', "
        "'service_completed_successfully', found 'maybe'"
    )


def test_long_values_are_shortened_in_messages() -> None:
    err = _error("services:\n  web:\n    image: " + "1" * 60 + "\n")
    assert err.message == "must be a string, found " + "1" * 37 + "..."


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("", "an empty file"),
        ("# nothing\n", "an empty file"),
        ("- a\n- b\n", "list"),
        ("just text\n", "str"),
        ("42\n", "int"),
    ],
)
def test_top_level_must_be_a_mapping(text: str, found: str) -> None:
    err = _error(text)
    assert err.message == f"a Compose file must be a mapping, found {found}"
    assert err.location.file == "c.yml"
    assert err.location.line is None
