"""The CLI imports only the module of the verb it runs: every verb must live in the
module named for it."""

from __future__ import annotations

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
