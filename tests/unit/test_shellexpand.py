"""Docker's word expansion for Dockerfile arguments."""

from __future__ import annotations

import pytest

from common.errors import BuildError
from runtime.build.shellexpand import expand_word, expand_words, key_values, split_keeping_quotes

ENV = {"A": "a", "EMPTY": "", "PATHV": "/usr/local/bin:/bin", "FILE": "archive.tar.gz"}


@pytest.mark.parametrize(("text", "expected"), [
    ("$A", "a"),
    ("${A}", "a"),
    ("x${A}y", "xay"),
    ("$A$A", "aa"),
    ("$UNSET", ""),
    ("${UNSET}", ""),
    ("${A:-d}", "a"),
    ("${EMPTY:-d}", "d"),
    ("${UNSET:-d}", "d"),
    ("${EMPTY-d}", ""),
    ("${UNSET-d}", "d"),
    ("${A:+alt}", "alt"),
    ("${EMPTY:+alt}", ""),
    ("${EMPTY+alt}", "alt"),
    ("${UNSET+alt}", ""),
    ("${UNSET:-$A}", "a"),
    ("${UNSET:-${A:+nested}}", "nested"),
    ("${FILE#*.}", "tar.gz"),
    ("${FILE##*.}", "gz"),
    ("${FILE%.*}", "archive.tar"),
    ("${FILE%%.*}", "archive"),
    ("$", "$"),
    ("a$", "a$"),
    ("\\$A", "$A"),
    ("'$A'", "$A"),
    ('"$A"', "a"),
    ('"\\$A"', "$A"),
    ('"a\\b"', "a\\b"),
    ('"a\\"b"', 'a"b'),
    ("a\\ b", "a b"),
    ("'a b'", "a b"),
    ('"a  b"', "a  b"),
    ("plain", "plain"),
    ("", ""),
])
def test_expand_word(text: str, expected: str) -> None:
    assert expand_word(text, ENV) == expected


def test_backtick_escape() -> None:
    assert expand_word("`$A", ENV, "`") == "$A"
    assert expand_word("c:\\dir", ENV, "`") == "c:\\dir"


def test_required_variable() -> None:
    with pytest.raises(BuildError, match="UNSET: needed"):
        expand_word("${UNSET:?needed}", ENV)
    with pytest.raises(BuildError, match="EMPTY"):
        expand_word("${EMPTY:?}", ENV)
    assert expand_word("${EMPTY?x}", ENV) == ""


def test_bad_substitution() -> None:
    with pytest.raises(BuildError, match="bad substitution"):
        expand_word("${}", ENV)
    with pytest.raises(BuildError, match="unsupported modifier"):
        expand_word("${A^x}", ENV)
    with pytest.raises(BuildError, match="missing"):
        expand_word("${A:-x", ENV)


def test_unterminated_quotes() -> None:
    with pytest.raises(BuildError, match="matching '"):
        expand_word("'abc", ENV)
    with pytest.raises(BuildError, match='matching "'):
        expand_word('"abc', ENV)


def test_expand_words_splits_unquoted_spaces() -> None:
    assert expand_words('a "b c" $A   d\\ e', ENV) == ["a", "b c", "a", "d e"]
    assert expand_words("  ", ENV) == []
    assert expand_words('""', ENV) == [""]


def test_variable_with_spaces_is_not_split() -> None:
    assert expand_words("$X y", {"X": "1 2"}) == ["1 2", "y"]


def test_split_keeping_quotes() -> None:
    assert split_keeping_quotes('a="b c" d=e f=\\ g') == ['a="b c"', "d=e", "f=\\ g"]
    with pytest.raises(BuildError):
        split_keeping_quotes('a="b')


def test_key_values() -> None:
    assert key_values('A=1 B="two words" C=$A', ENV, "\\", "ENV") == [
        ("A", "1"), ("B", "two words"), ("C", "a")]


def test_key_values_legacy_form() -> None:
    assert key_values("NAME some value $A", ENV, "\\", "ENV") == [("NAME", "some value a")]


def test_key_values_errors() -> None:
    with pytest.raises(BuildError, match="at least one"):
        key_values("", ENV, "\\", "ENV")
    with pytest.raises(BuildError, match="=value"):
        key_values("ONLY", ENV, "\\", "ENV")
    with pytest.raises(BuildError, match="not key=value"):
        key_values("A=1 =2", ENV, "\\", "ENV")
