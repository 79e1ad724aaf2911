"""compose/spec/syntax/dotenv.py: the project's .env file."""

from __future__ import annotations

import pytest

from compose.spec.syntax.dotenv import DotenvError, parse_dotenv


def test_full_example() -> None:
    text = (
        "# a comment\n"
        "\n"
        "   \n"
        "PLAIN=value\n"
        "export EXPORTED=yes\n"
        "SINGLE='literal $HOME \\n \\t'\n"
        'DOUBLE="a\\nb\\tc \\"q\\" back\\\\slash"\n'
        "  # indented comment\n"
        "INLINE=value # comment here\n"
        "HASH=a#b\n"
        "EMPTY=\n"
        "SPACED =  padded  \n"
        "DOTS.AND-DASHES=ok\n"
    )
    assert parse_dotenv(text) == {
        "PLAIN": "value",
        "EXPORTED": "yes",
        "SINGLE": "literal $HOME \\n \\t",
        "DOUBLE": 'a\nb\tc "q" back\\slash',
        "INLINE": "value",
        "HASH": "a#b",
        "EMPTY": "",
        "SPACED": "padded",
        "DOTS.AND-DASHES": "ok",
    }


def test_empty_text() -> None:
    assert parse_dotenv("") == {}
    assert parse_dotenv("# only\n\n") == {}


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("K=v", "v"),
        ("K = v", "v"),
        ("K=  v  ", "v"),
        ("K=a b c", "a b c"),
        ("K=a=b=c", "a=b=c"),
        ("K=a #c", "a"),
        ("K=a\t#c", "a\t#c"),  # only " #" starts a comment (compose-go)
        ("K=a# c", "a# c"),
        ("K=http://x/#frag", "http://x/#frag"),
        ("K='quoted # not a comment'", "quoted # not a comment"),
        ('K="quoted # not a comment"', "quoted # not a comment"),
        ("K='a' # trailing comment", "a"),
        ('K="a" # trailing comment', "a"),
        ("K=''", ""),
        ('K=""', ""),
        ("K=\"it's\"", "it's"),
        ("K='say \"hi\"'", 'say "hi"'),
        ('K="tab\\there"', "tab\there"),
        ('K="cr\\r"', "cr\r"),
        ('K="unknown \\q escape"', "unknown \\q escape"),
        ("K=\\n", "\\n"),
        ("export K=v", "v"),
        ("export   K=v", "v"),
        ("  export K=v", "v"),
    ],
)
def test_values(line: str, value: str) -> None:
    assert parse_dotenv(line + "\n") == {"K": value}


def test_export_alone_is_a_key() -> None:
    assert parse_dotenv("export=1\n") == {"export": "1"}


def test_later_definition_wins() -> None:
    assert parse_dotenv("A=1\nA=2\n") == {"A": "2"}


def test_multiline_double_quoted_value() -> None:
    text = 'CERT="-----BEGIN-----\nline two\n-----END-----"\nNEXT=after\n'
    assert parse_dotenv(text) == {
        "CERT": "-----BEGIN-----\nline two\n-----END-----",
        "NEXT": "after",
    }


def test_multiline_single_quoted_value() -> None:
    assert parse_dotenv("K='one\ntwo'\n") == {"K": "one\ntwo"}


def test_escaped_quote_does_not_close_a_double_quoted_value() -> None:
    assert parse_dotenv('K="a\\"\nb"\n') == {"K": 'a"\nb'}


def test_backslash_escapes_the_quote_in_single_quotes() -> None:
    # compose-go: \' does not close a single-quoted value, and keeps no backslash
    assert parse_dotenv("K='it\\'s'\n") == {"K": "it's"}
    with pytest.raises(DotenvError, match="unterminated quoted value"):
        parse_dotenv("K='a\\'\n")


def test_crlf_line_endings() -> None:
    assert parse_dotenv("A=1\r\nB='2'\r\n") == {"A": "1", "B": "2"}


@pytest.mark.parametrize("text", ["BARE\n", "export BARE\n", "  BARE\n"])
def test_bare_key_is_skipped(text: str) -> None:
    assert parse_dotenv(text + "OTHER=1\n") == {"OTHER": "1"}


def test_bare_key_takes_the_environment_value() -> None:
    assert parse_dotenv("BARE\nOTHER=1\n", {"BARE": "env"}) == {"BARE": "env", "OTHER": "1"}


def test_yaml_style_and_odd_keys_are_accepted() -> None:
    # compose-go accepts `KEY: value`, keys with `-`, `[]` or a leading digit, and `=v`
    text = "A: 1\n-B=2\n9X=3\nC[0]=4\n=5\n"
    assert parse_dotenv(text) == {"A": "1", "-B": "2", "9X": "3", "C[0]": "4", "": "5"}


def test_values_expand_variables_environment_first() -> None:
    text = "A=1\nB=${A}\nC='${A}'\nD=\"\\$A\"\n"
    assert parse_dotenv(text) == {"A": "1", "B": "1", "C": "${A}", "D": "$A"}
    assert parse_dotenv(text, {"A": "env"})["B"] == "env"


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("A=1\n\n$B=2\n", 3, 'line 3: unexpected character "$" in variable name "$B=2"'),
        ("BARE # comment\n", 1, 'unexpected character "#" in variable name "BARE # comment"'),
        ("KEY value\n", 1, "line 1: key cannot contain a space"),
        ("# c\nA=1\nK Y: value\n", 3, "line 3: key cannot contain a space"),
        ('A=1\nK="never closed\nmore\n', 4, 'line 4: unterminated quoted value "never closed'),
        ("K='never closed\n", 2, "line 2: unterminated quoted value 'never closed"),
        ("A=${UNSET:?needed}\n", 1, "required variable UNSET is missing a value: needed"),
    ],
)
def test_malformed_line_raises_with_line_number(text: str, line: int, fragment: str) -> None:
    with pytest.raises(DotenvError) as info:
        parse_dotenv(text)
    assert info.value.line == line
    assert fragment in str(info.value)


def test_dotenv_error_is_a_value_error() -> None:
    err = DotenvError(7, "boom")
    assert isinstance(err, ValueError)
    assert err.line == 7
    assert str(err) == "boom"
