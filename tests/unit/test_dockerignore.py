""".dockerignore: Go filepath.Match semantics, ``**``, ``!`` and parent directories."""

from __future__ import annotations

import pytest

from common.dockerignore import is_excluded, may_contain_included, parse_ignore


def excluded(patterns: str, path: str) -> bool:
    return is_excluded(path, parse_ignore(patterns))


@pytest.mark.parametrize(("patterns", "path", "expected"), [
    ("*.log", "a.log", True),
    ("*.log", "dir/a.log", False),            # * does not cross /
    ("*/*.log", "dir/a.log", True),
    ("**/*.log", "a.log", True),
    ("**/*.log", "x/y/z.log", True),
    ("dir/**", "dir/a/b", True),
    ("dir", "dir/a/b", True),                  # a matched directory takes its contents
    ("/dir", "dir/file", True),                # leading slash dropped
    ("./dir/", "dir/file", True),              # cleaned
    ("a?c", "abc", True),
    ("a?c", "a/c", False),
    ("[ab].txt", "a.txt", True),
    ("[ab].txt", "c.txt", False),
    ("[^ab].txt", "c.txt", True),
    ("[!ab].txt", "a.txt", False),
    ("\\*", "*", True),
    ("\\*", "x", False),
    ("# comment", "# comment", False),
    ("", "x", False),
    ("node_modules", "node_modules", True),
    ("node_modules", "src/node_modules", False),
    ("**/node_modules", "src/node_modules/x", True),
])
def test_patterns(patterns: str, path: str, expected: bool) -> None:
    assert excluded(patterns, path) is expected


def test_exception_reincludes() -> None:
    patterns = "*.md\n!README.md\n"
    assert excluded(patterns, "CHANGES.md")
    assert not excluded(patterns, "README.md")


def test_last_match_wins() -> None:
    assert excluded("!a.txt\n*.txt\n", "a.txt")
    assert not excluded("*.txt\n!a.txt\n", "a.txt")


def test_exclusion_below_excluded_directory() -> None:
    patterns = parse_ignore("docs\n!docs/keep.md\n")
    assert is_excluded("docs/other.md", patterns)
    assert not is_excluded("docs/keep.md", patterns)
    assert may_contain_included("docs", patterns)
    assert not may_contain_included("build", parse_ignore("build\n"))


def test_whitespace_and_empty_exclusion() -> None:
    patterns = parse_ignore("  *.tmp  \n!\n\n")
    assert [p.text for p in patterns] == ["*.tmp"]


def test_dot_pattern_ignored() -> None:
    assert parse_ignore(".\n/\n") == []
