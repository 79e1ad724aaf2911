"""compose/wiring.py: the image backend is made when first used, so the verbs that
act on containers, and the supervisor, never import its modules."""

from __future__ import annotations

from compose.wiring import OnFirstUse


class Backend:
    made = 0

    def __init__(self) -> None:
        Backend.made += 1

    def name(self) -> str:
        return "images"


def test_a_backend_is_made_at_its_first_use_and_once() -> None:
    Backend.made = 0
    lazy = OnFirstUse(Backend)
    assert Backend.made == 0
    assert lazy.name() == "images" and lazy.name() == "images"
    assert Backend.made == 1
