"""common/terminal.py: the width text is wrapped to, as shutil tells it, without
shutil; the CLI's help is wrapped to it."""

from __future__ import annotations

import argparse
import shutil

import pytest

from common.terminal import columns
from compose.cli.main import build_parser


@pytest.mark.parametrize("given", [None, "", "0", "wide", "57", "200"])
def test_the_width_is_shutil_s(given: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    if given is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", given)
    monkeypatch.delenv("LINES", raising=False)
    assert columns() == shutil.get_terminal_size().columns


@pytest.mark.parametrize("width", [50, 120])
def test_help_is_wrapped_to_the_width(width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    parser = build_parser()
    (verbs,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for one in (parser, verbs.choices["up"]):
        text = one.format_help()
        assert max(map(len, text.splitlines())) <= width
        one.formatter_class = argparse.HelpFormatter  # argparse's own, asking shutil
        assert text == one.format_help()
