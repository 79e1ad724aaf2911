"""compose/spec/load/interpolate.py: ${VAR} substitution and its application to a Document."""

from __future__ import annotations

import pytest

from common.errors import ComposeFileError
from compose.spec.load.interpolate import (
    InterpolationError,
    InvalidTemplate,
    interpolate,
    interpolate_tree,
    substitute,
)
from compose.spec.load.parse import parse_yaml

ENV = {"SET": "value", "EMPTY": "", "NUM": "42", "A_B": "ab", "A": "a"}


def _sub(text: str, env: dict[str, str] | None = None) -> tuple[str, list[str]]:
    warnings: list[str] = []
    result = substitute(text, ENV if env is None else env, warnings.append)
    return result, warnings


def _warning(name: str) -> str:
    return f'The "{name}" variable is not set. Defaulting to a blank string.'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain text", "plain text"),
        ("", ""),
        ("$SET", "value"),
        ("${SET}", "value"),
        ("pre-${SET}-post", "pre-value-post"),
        ("$SET/$NUM", "value/42"),
        ("$SET$NUM", "value42"),
        # $NAME takes the longest name
        ("$A_B", "ab"),
        ("${A}_B", "a_B"),
        ("$A.B", "a.B"),
        # set and empty
        ("[$EMPTY]", "[]"),
        ("[${EMPTY}]", "[]"),
        # :- and -
        ("${UNSET:-default}", "default"),
        ("${UNSET-default}", "default"),
        ("${EMPTY:-default}", "default"),
        ("${EMPTY-default}", ""),
        ("${SET:-default}", "value"),
        ("${SET-default}", "value"),
        ("${UNSET:-}", ""),
        ("${UNSET:-with spaces and : colons}", "with spaces and : colons"),
        ("${UNSET:-a-b}", "a-b"),
        # :+ and +
        ("${SET:+replaced}", "replaced"),
        ("${SET+replaced}", "replaced"),
        ("${EMPTY:+replaced}", ""),
        ("${EMPTY+replaced}", "replaced"),
        ("${UNSET:+replaced}", ""),
        ("${UNSET+replaced}", ""),
        # ? and :? when the variable is there
        ("${SET:?missing}", "value"),
        ("${SET?missing}", "value"),
        ("${EMPTY?missing}", ""),
        # nesting in the argument
        ("${UNSET:-${SET}}", "value"),
        ("${UNSET:-$SET}", "value"),
        ("${UNSET:-${ALSO_UNSET:-x}}", "x"),
        ("${UNSET:-${NUM:-x}}", "42"),
        ("${SET:-${UNSET:-x}}", "value"),
        ("${UNSET:-a${NUM}b}", "a42b"),
        ("${SET:+<${NUM}>}", "<42>"),
        # escapes and lone dollars
        ("$$", "$"),
        ("$$SET", "$SET"),
        ("$${SET}", "${SET}"),
        ("$$$SET", "$value"),
        ("cost: 5$", "cost: 5$"),
        ("$ x", "$ x"),
        ("$1", "$1"),
        ("$-x", "$-x"),
        ("a$.b", "a$.b"),
        ("${UNSET:-$$}", "$"),
        # a stray closing brace outside a braced expression is just text
        ("}", "}"),
        ("${SET}}", "value}"),
    ],
)
def test_substitute(text: str, expected: str) -> None:
    result, warnings = _sub(text)
    assert result == expected
    assert warnings == []


def test_unset_and_empty_differ_only_without_colon() -> None:
    env = {"E": ""}
    assert _sub("${E-d}", env)[0] == ""
    assert _sub("${E:-d}", env)[0] == "d"
    assert _sub("${U-d}", env)[0] == "d"
    assert _sub("${U:-d}", env)[0] == "d"


@pytest.mark.parametrize("text", ["$UNSET", "${UNSET}", "x${UNSET}y"])
def test_unset_variable_warns_and_becomes_empty(text: str) -> None:
    result, warnings = _sub(text)
    assert result == text.replace("$UNSET", "").replace("${UNSET}", "")
    assert warnings == [_warning("UNSET")]


def test_substitute_warns_for_each_occurrence() -> None:
    # substitute itself does not deduplicate; interpolate() does
    result, warnings = _sub("$U $U ${V}")
    assert result == "  "
    assert warnings == [_warning("U"), _warning("U"), _warning("V")]


def test_unused_default_is_still_substituted_and_warns() -> None:
    # compose-go substitutes the argument before looking at the variable
    assert _sub("${SET:-$UNSET}") == ("value", [_warning("UNSET")])
    assert _sub("${UNSET:+$ALSO}") == ("", [_warning("ALSO")])


def test_used_default_warns_about_its_own_unset_variables() -> None:
    assert _sub("${UNSET:-$ALSO}") == ("", [_warning("ALSO")])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${UNSET:?you must set it}",
         "required variable UNSET is missing a value: you must set it"),
        ("${UNSET?you must set it}",
         "required variable UNSET is missing a value: you must set it"),
        ("${EMPTY:?not empty please}",
         "required variable EMPTY is missing a value: not empty please"),
        ("${UNSET:?}", "required variable UNSET is missing a value"),
        ("${UNSET?need $NUM}", "required variable UNSET is missing a value: need 42"),
    ],
)
def test_required_variable_raises_with_message(text: str, message: str) -> None:
    with pytest.raises(InterpolationError) as info:
        _sub(text)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${SET", 'Invalid template: "${SET"'),
        ("${UNSET:-default", 'Invalid template: "${UNSET:-default"'),
        ("${UNSET:-${SET}", 'Invalid template: "${SET"'),  # the nested template is named
        ("${}", 'Invalid template: "${}"'),
        ("${1abc}", 'Invalid template: "${1abc}"'),
        ("${SET!x}", 'Invalid template: "${SET!x}"'),
        ("${SET:x}", 'Invalid template: "${SET:x}"'),
        ("${ SET}", 'Invalid template: "${ SET}"'),
        ("${", 'Invalid template: "${"'),
        ("${UNSET:-x\ny}", 'Invalid template: "${UNSET:-x\\ny}"'),  # `.` stops at a newline
    ],
)
def test_malformed_expressions_raise(text: str, message: str) -> None:
    with pytest.raises(InvalidTemplate) as info:
        _sub(text)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a braced expression runs to the last `}` and is cut at its first balanced one
        ("${UNSET:-{x} y}", "{x} y"),
        ("${UNSET:-{}x}y}", "{}x}y"),
        ("${UNSET-a}b}", "ab}"),
        ("${UNSET-a:-b}", "a:-b"),  # the first operator after the name wins
        ("${SET:-a} and ${NUM}", "value and 42"),
    ],
)
def test_compose_go_brace_quirks(text: str, expected: str) -> None:
    assert _sub(text) == (expected, [])


def test_interpolation_error_is_a_value_error() -> None:
    assert issubclass(InterpolationError, ValueError)


def test_unused_required_default_is_evaluated() -> None:
    with pytest.raises(InterpolationError, match="required variable UNSET"):
        _sub("${SET:-${UNSET:?need it}}")


# --- interpolate() on a Document -------------------------------------------------------

DOC = """\
services:
  $SVC:
    image: ${IMAGE:-busybox}
    command: ["echo", "$GREETING", "${UNSET_ONE}"]
    environment:
      A: $UNSET_ONE
      B: "$$HOME"
      N: 3
      T: true
    labels:
      - x=$UNSET_TWO
"""


def test_interpolate_document_values_not_keys() -> None:
    warnings: list[str] = []
    doc = parse_yaml(DOC, "c.yml")
    out = interpolate(doc, {"GREETING": "hi", "SVC": "nope"}, warnings.append)
    assert out.data == {
        "services": {
            "$SVC": {
                "image": "busybox",
                "command": ["echo", "hi", ""],
                "environment": {"A": "", "B": "$HOME", "N": 3, "T": True},
                "labels": ["x="],
            }
        }
    }
    assert out.file == "c.yml"
    assert out.positions == doc.positions
    # each unset variable is reported once, in order of appearance
    assert warnings == [_warning("UNSET_ONE"), _warning("UNSET_TWO")]


def test_interpolate_leaves_the_input_untouched() -> None:
    doc = parse_yaml("a: $X\n", "c.yml")
    out = interpolate(doc, {"X": "1"}, lambda _: None)
    assert out.data == {"a": "1"}
    assert doc.data == {"a": "$X"}


def test_interpolate_handles_empty_document() -> None:
    out = interpolate(parse_yaml("", "c.yml"), {}, lambda _: None)
    assert out.data is None


def test_interpolate_error_carries_file_and_line_of_the_value() -> None:
    text = (
        "services:\n"
        "  web:\n"
        "    image: busybox\n"
        "    environment:\n"
        "      - OK=1\n"
        "      - PASSWORD=${PASSWORD:?set PASSWORD in .env}\n"
    )
    with pytest.raises(ComposeFileError) as info:
        interpolate(parse_yaml(text, "app/compose.yaml"), {}, lambda _: None)
    err = info.value
    assert (err.location.file, err.location.line, err.location.column) == (
        "app/compose.yaml", 6, 9)
    assert err.location.key == "services.web.environment[1]"
    assert err.message == ("error while interpolating services.web.environment.[]: "
                           "required variable PASSWORD is missing a value: set PASSWORD in .env")


def test_interpolate_syntax_error_carries_the_key_line() -> None:
    text = "services:\n  web:\n    image: ${IMAGE\n"
    with pytest.raises(ComposeFileError) as info:
        interpolate(parse_yaml(text, "c.yml"), {}, lambda _: None)
    assert str(info.value).startswith("c.yml:3:5: services.web.image: invalid interpolation")


# --- casts at typed paths ----------------------------------------------------------------


def test_strings_at_typed_paths_are_cast() -> None:
    data = {"services": {"web": {
        "cpus": "${CPU}", "scale": "2", "privileged": "TRUE", "init": "yes",
        "healthcheck": {"retries": "$NUM"}, "ports": [{"target": "80", "published": "8080"}],
        "ulimits": {"nproc": "10", "nofile": {"soft": "1", "hard": "2"}},
        "mem_limit": "1g", "labels": {"cpus": "1.5"}}},
        "networks": {"n": {"external": "false"}}}
    warnings: list[str] = []
    out = interpolate_tree(data, {"CPU": "0.5", "NUM": "3"}, warnings.append)
    web = out["services"]["web"]
    assert (web["cpus"], web["scale"], web["privileged"], web["init"]) == (0.5, 2, True, True)
    assert web["healthcheck"]["retries"] == 3
    assert web["ports"] == [{"target": 80, "published": "8080"}]  # published stays a string
    assert web["ulimits"] == {"nproc": 10, "nofile": {"soft": 1, "hard": 2}}
    assert (web["mem_limit"], web["labels"]) == ("1g", {"cpus": "1.5"})
    assert out["networks"]["n"]["external"] is False
    assert warnings == ['"yes" for boolean is not supported by YAML 1.2, please use `true`']


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("cpus", "abc", 'strconv.ParseFloat: parsing "abc": invalid syntax'),
        ("cpu_count", "1.5", 'strconv.ParseInt: parsing "1.5": invalid syntax'),
        ("scale", "x", 'strconv.Atoi: parsing "x": invalid syntax'),
        ("tty", "maybe", "invalid boolean: maybe"),
    ],
)
def test_failed_cast_is_an_error(key: str, value: str, message: str) -> None:
    with pytest.raises(InterpolationError) as info:
        interpolate_tree({"services": {"s": {key: value}}}, {}, lambda _: None)
    assert str(info.value) == (f"error while interpolating services.s.{key}: "
                               f"failed to cast to expected type: {message}")


def test_error_paths_name_list_items_as_compose_go_does() -> None:
    with pytest.raises(InterpolationError) as info:
        interpolate_tree({"services": {"s": {"command": ["a", "${"]}}}, {}, lambda _: None)
    assert str(info.value) == ("invalid interpolation format for services.s.command.[].\n"
                               "You may need to escape any $ with another $.\n${")
