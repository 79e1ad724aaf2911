"""compose/spec/load/parse.py: YAML 1.2 core schema, positions, merge keys, errors."""

from __future__ import annotations

import pytest

from common.errors import ComposeFileError, Location
from compose.spec.load.parse import MAX_DEPTH, Document, format_path, parse_yaml

COMPOSE = """\
services:
  web:
    image: nginx
    ports:
      - "80:80"
      - 443:443
  db:
    image: postgres
"""


def _value(text: str) -> object:
    return parse_yaml(f"v: {text}\n", "c.yml").data["v"]


# --- positions -----------------------------------------------------------------------


def test_positions_record_line_and_column_of_every_key_and_item() -> None:
    doc = parse_yaml(COMPOSE, "c.yml")
    assert doc.file == "c.yml"
    assert doc.positions[("services",)] == (1, 1)
    assert doc.positions[("services", "web")] == (2, 3)
    assert doc.positions[("services", "web", "image")] == (3, 5)
    assert doc.positions[("services", "web", "ports")] == (4, 5)
    assert doc.positions[("services", "web", "ports", 0)] == (5, 9)
    assert doc.positions[("services", "web", "ports", 1)] == (6, 9)
    assert doc.positions[("services", "db")] == (7, 3)
    assert doc.positions[("services", "db", "image")] == (8, 5)


def test_data_is_plain_python() -> None:
    doc = parse_yaml(COMPOSE, "c.yml")
    assert doc.data == {
        "services": {
            "web": {"image": "nginx", "ports": ["80:80", "443:443"]},
            "db": {"image": "postgres"},
        }
    }
    assert type(doc.data) is dict
    assert type(doc.data["services"]["web"]["ports"]) is list


def test_key_order_is_file_order() -> None:
    doc = parse_yaml("services:\n  zeta: {}\n  alpha: {}\n  mid: {}\n", "c.yml")
    assert list(doc.data["services"]) == ["zeta", "alpha", "mid"]


def test_flow_style_positions() -> None:
    doc = parse_yaml("a: {b: [x, y]}\n", "c.yml")
    assert doc.data == {"a": {"b": ["x", "y"]}}
    assert doc.positions[("a", "b")] == (1, 5)
    assert doc.positions[("a", "b", 1)] == (1, 12)


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n"])
def test_empty_file_is_none(text: str) -> None:
    doc = parse_yaml(text, "c.yml")
    assert doc.data is None
    assert doc.positions == {}


def test_top_level_list_is_kept() -> None:
    assert parse_yaml("- a\n- b\n", "c.yml").data == ["a", "b"]


# --- YAML 1.2 core schema --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # YAML 1.1 booleans are strings in 1.2
        ("on", "on"),
        ("off", "off"),
        ("yes", "yes"),
        ("no", "no"),
        ("Yes", "Yes"),
        ("y", "y"),
        # sexagesimal and dates are strings
        ("80:80", "80:80"),
        ("1:30", "1:30"),
        ("2001-12-14", "2001-12-14"),
        ("2001-12-14T21:59:43.10-05:00", "2001-12-14T21:59:43.10-05:00"),
        # core booleans
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("false", False),
        ("FALSE", False),
        # nulls
        ("", None),
        ("~", None),
        ("null", None),
        ("Null", None),
        ("NULL", None),
        # integers
        ("0", 0),
        ("42", 42),
        ("-7", -7),
        ("+7", 7),
        ("0755", 0o755),
        ("0o17", 0o17),
        ("0x1F", 31),
        ("0b101", 5),
        # floats
        ("1.5", 1.5),
        ("-0.25", -0.25),
        ("1e3", 1000.0),
        (".5", 0.5),
        # strings that only look special
        ("'true'", "true"),
        ('"42"', "42"),
        ("'09'", "09"),
        ("1_000", "1_000"),
        ("0x", "0x"),
        ("nil", "nil"),
        ("none", "none"),
    ],
)
def test_core_schema_scalars(text: str, expected: object) -> None:
    value = _value(text)
    assert value == expected
    assert type(value) is type(expected)


def test_infinity_and_nan() -> None:
    assert _value(".inf") == float("inf")
    assert _value("-.inf") == float("-inf")
    nan = _value(".nan")
    assert isinstance(nan, float)
    assert nan != nan


@pytest.mark.parametrize("text", ["09", "08", "0799"])
def test_leading_zero_non_octal_does_not_crash(text: str) -> None:
    try:
        value = parse_yaml(f"v: {text}\n", "c.yml").data["v"]
    except ComposeFileError:
        return  # a clean, located error is acceptable too
    assert value in (int(text), float(text), text)


def test_scalar_keys_become_their_text() -> None:
    doc = parse_yaml("1: a\ntrue: b\nfalse: c\n", "c.yml")
    assert doc.data == {"1": "a", "true": "b", "false": "c"}
    assert doc.positions[("1",)] == (1, 1)


@pytest.mark.parametrize("key", ["FALSE", "True", "1.10", "0755", "0x1F", "~", "NULL"])
def test_scalar_keys_keep_their_text(key: str) -> None:
    assert parse_yaml(f"{key}: v\n", "c.yml").data == {key: "v"}


def test_non_scalar_key_is_an_error() -> None:
    with pytest.raises(ComposeFileError) as info:
        parse_yaml("? [a, b]\n: value\n", "c.yml")
    assert "a mapping key must be a scalar" in str(info.value)
    assert info.value.location.line == 1


def test_yaml_1_1_tags_can_still_be_explicit() -> None:
    assert _value("!!str 42") == "42"
    assert _value("!!int '7'") == 7


# --- anchors and merge keys --------------------------------------------------------


def test_anchor_and_alias_are_resolved() -> None:
    text = "x-env: &env\n  A: '1'\nservices:\n  web:\n    environment: *env\n"
    doc = parse_yaml(text, "c.yml")
    assert doc.data["services"]["web"]["environment"] == {"A": "1"}
    # the alias is located where it is used
    assert doc.positions[("services", "web", "environment")] == (5, 5)


def test_merge_key_pulls_in_the_anchor() -> None:
    text = (
        "x-base: &base\n"
        "  image: busybox\n"
        "  command: [sleep, '1']\n"
        "services:\n"
        "  web:\n"
        "    <<: *base\n"
        "    hostname: web\n"
    )
    doc = parse_yaml(text, "c.yml")
    assert doc.data["services"]["web"] == {
        "image": "busybox",
        "command": ["sleep", "1"],
        "hostname": "web",
    }
    assert "<<" not in doc.data["services"]["web"]
    assert doc.positions[("services", "web", "hostname")] == (7, 5)


def test_merge_key_with_a_list_of_anchors() -> None:
    text = "a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: [*a, *b]\n  z: 3\n"
    assert parse_yaml(text, "c.yml").data["c"] == {"x": 1, "y": 2, "z": 3}


def test_merge_key_can_be_overridden() -> None:
    text = (
        "x-base: &base\n"
        "  image: busybox\n"
        "services:\n"
        "  web:\n"
        "    <<: *base\n"
        "    image: nginx\n"
    )
    assert parse_yaml(text, "c.yml").data["services"]["web"] == {"image": "nginx"}


# --- errors ----------------------------------------------------------------------------


def test_duplicate_key_names_both_lines() -> None:
    text = "services:\n  web:\n    image: a\n    command: x\n    image: b\n"
    with pytest.raises(ComposeFileError) as info:
        parse_yaml(text, "c.yml")
    err = info.value
    assert err.location == Location("c.yml", 5, 5, "services.web.image")
    # docker compose's wording: `line 5: mapping key "image" already defined at line 3`
    assert err.message == 'line 5: mapping key "image" already defined at line 3'
    assert str(err) == (
        'c.yml:5:5: services.web.image: line 5: mapping key "image" already defined at line 3'
    )


def test_duplicate_top_level_key() -> None:
    with pytest.raises(ComposeFileError) as info:
        parse_yaml("services: {}\nname: a\nservices: {}\n", "c.yml")
    assert info.value.location.line == 3
    assert "already defined at line 1" in info.value.message


def test_duplicate_scalar_keys_after_conversion() -> None:
    # `1` and `"1"` are the same key once keys are text
    with pytest.raises(ComposeFileError, match="already defined"):
        parse_yaml("1: a\n'1': b\n", "c.yml")


def test_same_key_in_different_mappings_is_fine() -> None:
    doc = parse_yaml("a: {image: x}\nb: {image: y}\n", "c.yml")
    assert doc.data == {"a": {"image": "x"}, "b": {"image": "y"}}


@pytest.mark.parametrize(
    ("text", "line", "column", "problem"),
    [
        ("a: [1\n", 2, 1, "expected ',' or ']'"),
        ("a: b: c\n", 1, 5, "mapping values are not allowed"),
        ("a:\n  - x\n y: 1\n", 3, 2, ""),
        ("a: 'unterminated\n", 2, 1, "found unexpected end of stream"),
        ("a: *missing\n", 1, 4, "found undefined alias"),
    ],
)
def test_syntax_error_has_file_line_column(text: str, line: int, column: int,
                                          problem: str) -> None:
    with pytest.raises(ComposeFileError) as info:
        parse_yaml(text, "dir/c.yml")
    err = info.value
    assert err.location.file == "dir/c.yml"
    assert (err.location.line, err.location.column) == (line, column)
    assert err.message.startswith("YAML syntax error: ")
    assert problem in err.message
    assert str(err).startswith(f"dir/c.yml:{line}:{column}: YAML syntax error")


def test_documents_after_the_first_are_kept_in_order() -> None:
    # docker compose loads `---` documents like successive -f files
    doc = parse_yaml("a: 1\n---\nb: !reset\n---\nc: [x]\n", "c.yml")
    assert doc.data == {"a": 1}
    assert [(d.data, d.resets) for d in doc.following] == [({}, {("b",)}), ({"c": ["x"]}, set())]
    assert doc.following[1].positions[("c", 0)] == (5, 5)
    assert doc.following[0].following == ()


def test_nesting_just_inside_the_limit_parses() -> None:
    depth = MAX_DEPTH - 1
    doc = parse_yaml("[" * depth + "]" * depth, "c.yml")
    node = doc.data
    for _ in range(depth - 1):
        assert isinstance(node, list)
        assert len(node) == 1
        node = node[0]
    assert node == []


@pytest.mark.parametrize("opener", ["[", "{a: "])
def test_too_deep_nesting_is_a_clean_error(opener: str) -> None:
    depth = MAX_DEPTH + 50
    closer = "]" if opener == "[" else "}"
    text = "x: " + opener * depth + ("1" if opener != "[" else "") + closer * depth
    with pytest.raises(ComposeFileError) as info:
        parse_yaml(text, "c.yml")
    assert info.value.message == "nesting is too deep"
    assert info.value.location.file == "c.yml"
    assert info.value.location.line == 1


def test_very_deep_nesting_is_a_clean_error() -> None:
    with pytest.raises(ComposeFileError, match="nesting is too deep"):
        parse_yaml("x: " + "[" * 1000 + "]" * 1000, "c.yml")


# --- Document.locate, Document.error, format_path ---------------------------------------


def test_locate_exact_path() -> None:
    doc = parse_yaml(COMPOSE, "c.yml")
    assert doc.locate(("services", "web", "ports", 1)) == Location(
        "c.yml", 6, 9, "services.web.ports[1]")


def test_locate_falls_back_to_nearest_ancestor() -> None:
    doc = parse_yaml(COMPOSE, "c.yml")
    loc = doc.locate(("services", "web", "ports", 7, "target"))
    assert (loc.line, loc.column) == (4, 5)  # the `ports` key
    assert loc.key == "services.web.ports[7].target"  # but names what was asked
    loc = doc.locate(("services", "db", "environment"))
    assert (loc.line, loc.column) == (7, 3)


def test_locate_unknown_top_level_has_no_line() -> None:
    doc = parse_yaml(COMPOSE, "c.yml")
    assert doc.locate(("volumes",)) == Location("c.yml", None, None, "volumes")
    assert doc.locate(()) == Location("c.yml", None, None, "")
    assert str(doc.locate(("volumes",))) == "c.yml: volumes"


def test_locate_on_a_document_without_positions() -> None:
    doc = Document("x.yml", {"a": 1})
    assert doc.locate(("a",)) == Location("x.yml", None, None, "a")


def test_error_builds_a_located_compose_file_error() -> None:
    doc = parse_yaml(COMPOSE, "c.yml")
    err = doc.error(("services", "db", "image"), "bad image")
    assert isinstance(err, ComposeFileError)
    assert err.message == "bad image"
    assert str(err) == "c.yml:8:5: services.db.image: bad image"


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ((), ""),
        (("services",), "services"),
        (("services", "web", "ports", 0), "services.web.ports[0]"),
        (("a", 0, 1, "b"), "a[0][1].b"),
        ((0, "a"), "[0].a"),
        (("x-foo", "a.b"), "x-foo.a.b"),
    ],
)
def test_format_path(path: tuple[str | int, ...], text: str) -> None:
    assert format_path(path) == text


@pytest.mark.parametrize(
    ("location", "text"),
    [
        (Location("f"), "f"),
        (Location("f", 3), "f:3"),
        (Location("f", 3, 4), "f:3:4"),
        (Location("f", 3, 4, "a.b"), "f:3:4: a.b"),
        (Location("f", None, 4, "a"), "f: a"),
    ],
)
def test_location_str(location: Location, text: str) -> None:
    assert str(location) == text


# --- !reset and !override ---------------------------------------------------------------


def test_reset_key_is_left_out_and_its_path_kept() -> None:
    doc = parse_yaml("services:\n  web:\n    image: x\n    build: !reset\n"
                     "    environment:\n      FOO: !reset\n      BAR: b\n", "c.yml")
    assert doc.data == {"services": {"web": {"image": "x", "environment": {"BAR": "b"}}}}
    assert doc.resets == {("services", "web", "build"),
                          ("services", "web", "environment", "FOO")}
    assert doc.positions[("services", "web", "build")] == (4, 5)


def test_reset_removes_a_key_merged_in_by_an_anchor() -> None:
    doc = parse_yaml("x: &x {a: 1, b: 2}\ny:\n  <<: *x\n  a: !reset\n", "c.yml")
    assert doc.data["y"] == {"b": 2}
    assert doc.resets == {("y", "a")}


def test_reset_items_are_left_out_of_a_sequence() -> None:
    assert parse_yaml("v: [a, !reset b, c]\n", "c.yml").data == {"v": ["a", "c"]}


@pytest.mark.parametrize(
    ("text", "value"),
    [("!override [a, b]", ["a", "b"]), ("!override {a: 1}", {"a": 1}),
     ("!override 42", 42), ("!override '42'", "42"), ("!override true", True),
     ("!override", None)],
)
def test_override_keeps_the_value_and_its_path(text: str, value: object) -> None:
    doc = parse_yaml(f"services:\n  web:\n    v: {text}\n", "c.yml")
    assert doc.data["services"]["web"]["v"] == value
    assert doc.resets == {("services", "web", "v")}


def test_tags_in_an_anchor_apply_where_it_is_merged() -> None:
    text = ("services:\n  x: &x\n    configs: !override [a]\n  y:\n    <<: *x\n")
    doc = parse_yaml(text, "c.yml")
    assert doc.data["services"]["y"] == {"configs": ["a"]}
    assert doc.resets == {("services", "x", "configs"), ("services", "y", "configs")}


def test_a_key_twice_is_an_error_even_with_reset() -> None:
    with pytest.raises(ComposeFileError) as info:
        parse_yaml("foo:\n  command: a\n  command: !reset b\n", "c.yml")
    assert info.value.message == 'line 3: mapping key "command" already defined at line 2'


def test_other_tags_are_still_unknown() -> None:
    with pytest.raises(ComposeFileError, match="could not determine a constructor"):
        parse_yaml("v: !nope x\n", "c.yml")


# --- alias cycles ----------------------------------------------------------------------


def test_an_anchor_merged_into_itself_is_a_cycle() -> None:
    text = "name: test\nx-healthcheck: &healthcheck\n  egress-service:\n    <<: *healthcheck\n"
    with pytest.raises(ComposeFileError) as info:
        parse_yaml(text, "c.yml")
    assert info.value.message == (
        "cycle detected: node at path x-healthcheck.egress-service.egress-service "
        "references node at path x-healthcheck.egress-service")


def test_aliases_used_twice_are_not_cycles() -> None:
    text = ("x-a: &a {image: alpine}\n"
            "x-b: &b\n  <<: *a\n  image: busybox\n"
            "services:\n  one: *b\n  two: *b\n  three:\n    <<: *b\n")
    services = parse_yaml(text, "c.yml").data["services"]
    assert services == {"one": {"image": "busybox"}, "two": {"image": "busybox"},
                        "three": {"image": "busybox"}}


def _laughs(levels: int, width: int = 10) -> str:
    lines = [f"x-a0: &a0 [{', '.join(['lol'] * width)}]"]
    lines += [f"x-a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + f"\nservices:\n  s:\n    image: x\n    x-b: *a{levels - 1}\n"


def test_an_alias_bomb_is_refused_fast_and_small() -> None:
    """A billion laughs (10^10 strings from 400 bytes): go-yaml's excessive aliasing
    rule stops it after about a thousand nodes (docker compose v2.40.3 itself spins
    on it for minutes)."""
    import time
    import tracemalloc

    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(ComposeFileError, match="document contains excessive aliasing"):
        parse_yaml(_laughs(10), "compose.yaml")
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 1 and peak < 20 << 20, (elapsed, peak)


def test_aliases_a_real_file_uses_are_fine() -> None:
    """Anchors reused widely (a shared block merged into 300 services, a list aliased
    in each) stay under the ratio."""
    services = "".join(f"  s{i}:\n    <<: *base\n    image: img{i}\n    x-l: *list\n"
                       for i in range(300))
    text = ("x-base: &base\n  restart: always\n  environment: {A: '1', B: '2', C: '3'}\n"
            "  labels: {a: b}\nx-list: &list [a, b, c, d]\nservices:\n" + services)
    data = parse_yaml(text, "compose.yaml").data
    assert data["services"]["s299"]["environment"] == {"A": "1", "B": "2", "C": "3"}
    assert data["services"]["s0"]["x-l"] == ["a", "b", "c", "d"]


def test_a_small_expansion_is_allowed() -> None:
    assert len(str(parse_yaml(_laughs(3), "compose.yaml").data)) > 1000
