"""compose/spec/syntax/shellwords.py: command strings split as docker compose splits them (checked
against docker compose v2.40.3)."""

from __future__ import annotations

import pytest

from compose.spec.syntax.shellwords import ShellwordsError, split


@pytest.mark.parametrize(("line", "words"), [
    ("bundle exec thin -p 3000", ["bundle", "exec", "thin", "-p", "3000"]),
    ("  spaced   out  ", ["spaced", "out"]),
    ("sh -c 'echo \"a b\"' \\\"x\\\"", ["sh", "-c", 'echo "a b"', '"x"']),
    ("echo '' \"\"", ["echo", "", ""]),
    ('echo "a\\nb" \'c\\d\' e\\ f', ["echo", "anb", "c\\d", "e f"]),  # not POSIX
    ("echo `x y` $(date +%s)", ["echo", "`x y`", "$(date +%s)"]),
    ("echo a # b", ["echo", "a", "#", "b"]),
    ("echo a;b c", ["echo", "a"]),  # the rest of the line is dropped
    ("a|b", ["a"]),
    ("run 2>err", ["run"]),
    ("", []),
])
def test_split(line: str, words: list[str]) -> None:
    assert split(line) == words


@pytest.mark.parametrize("line", ["echo 'open", 'echo "open', "echo (x)", "trailing\\"])
def test_invalid(line: str) -> None:
    with pytest.raises(ShellwordsError, match="invalid command line string"):
        split(line)
