"""The CLI imports only the module of the verb it runs: every verb must live in the
module named for it."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from common.argv import requested_verb
from compose.cli.main import build_parser, command_modules, module_name


def _verbs(parser: object) -> set[str]:
    actions = [a for a in parser._actions if a.dest == "verb"]  # type: ignore[attr-defined]
    return set(actions[0].choices)


def test_every_registered_verb_is_in_its_own_module() -> None:
    everything = _verbs(build_parser())
    assert {"up", "down", "ps", "logs", "config", "import", "image", "unpause"} <= everything
    for verb in everything - {"version"}:
        (module,) = command_modules(verb)
        assert module.__name__.rsplit(".", 1)[1] == module_name(verb)
        assert _verbs(build_parser(verb)) == {verb, "version"}


def test_requested_verb_skips_global_options() -> None:
    assert requested_verb(["-f", "a.yaml", "-p", "x", "--verbose", "up", "-d"]) == "up"
    assert requested_verb(["--env-file", "e", "--profile", "p", "config"]) == "config"
    assert requested_verb(["--version"]) is None


def test_a_fork_server_s_parsers_are_parsed_with(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    """Built once in the server (``prebuild_parsers``), used by each child."""
    from compose.cli import main as cli
    from compose.wiring import LocalHost

    monkeypatch.setattr(cli, "_prebuilt", {})
    cli.prebuild_parsers(["ps"])

    def no_more(verb: str | None = None) -> argparse.ArgumentParser:
        raise AssertionError(f"parser for {verb} built again")

    monkeypatch.setattr(cli, "build_parser", no_more)
    err = io.StringIO()
    code = cli.main(["ps", "-q"], host=LocalHost(),
                    environ={"PYCOMPOSE_ROOT": str(tmp_path / "root")},
                    cwd=str(tmp_path), stdout=io.StringIO(), stderr=err)
    assert code == 1 and "no configuration file" in err.getvalue()
