"""The CLI imports only the modules of the verb it runs: the table must know them all."""

from __future__ import annotations

from compose.cli.main import VERB_MODULES, build_parser, requested_verb


def _verbs(parser: object) -> set[str]:
    actions = [a for a in parser._actions if a.dest == "verb"]  # type: ignore[attr-defined]
    return set(actions[0].choices)


def test_every_registered_verb_is_in_the_table() -> None:
    everything = _verbs(build_parser())
    assert everything - {"version"} == set(VERB_MODULES)
    for verb in VERB_MODULES:
        assert verb in _verbs(build_parser(verb))


def test_requested_verb_skips_global_options() -> None:
    assert requested_verb(["-f", "a.yaml", "-p", "x", "--verbose", "up", "-d"]) == "up"
    assert requested_verb(["--env-file", "e", "--profile", "p", "config"]) == "config"
    assert requested_verb(["--version"]) is None
