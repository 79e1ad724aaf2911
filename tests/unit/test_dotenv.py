"""compose/dotenv.py: the project's .env file."""

from __future__ import annotations

import pytest

from compose.dotenv import DotenvError, parse_dotenv


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
        ("K=a\t#c", "a"),
        ("K=a# c", "a# c"),
        ("K=http://x/#frag", "http://x/#frag"),
        ("K='quoted # not a comment'", "quoted # not a comment"),
        ('K="quoted # not a comment"', "quoted # not a comment"),
        ("K='a' # trailing comment", "a"),
        ('K="a" # trailing comment', "a"),
        ("K=''", ""),
        ('K=""', ""),
        ("K='it''s'", "it"),
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


def test_backslash_does_not_escape_in_single_quotes() -> None:
    assert parse_dotenv("K='a\\'\n") == {"K": "a\\"}


def test_crlf_line_endings() -> None:
    assert parse_dotenv("A=1\r\nB='2'\r\n") == {"A": "1", "B": "2"}


@pytest.mark.parametrize("text", ["BARE\n", "BARE # comment\n", "export BARE\n", "  BARE  \n"])
def test_bare_key_is_skipped(text: str) -> None:
    assert parse_dotenv(text + "OTHER=1\n") == {"OTHER": "1"}


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("=value\n", 1, "unexpected character"),
        ("A=1\n\n-B=2\n", 3, "unexpected character in '-B=2'"),
        ("A=1\n9X=1\n", 2, "unexpected character"),
        ("KEY value\n", 1, "key 'KEY' must be followed by '='"),
        ("# c\nA=1\nKEY: value\n", 3, "key 'KEY' must be followed by '='"),
        ('A=1\nK="never closed\nmore\n', 2, "unterminated quoted value for 'K'"),
        ("K='never closed\n", 1, "unterminated quoted value for 'K'"),
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
