"""runstate.claim_exit: one ``die`` per exit, and whoever claims second waits for
the first claimer's ``die`` to be written (the command that stopped a container
writes its ``stop`` after a failed claim: Docker's order is die, then stop)."""

from __future__ import annotations

import threading
from pathlib import Path

from compose.engine.runstate import claim_exit


def test_one_claim_per_run(tmp_path: Path) -> None:
    said: list[str] = []
    assert claim_exit(tmp_path, 1.5, lambda: said.append("first"))
    assert not claim_exit(tmp_path, 1.5, lambda: said.append("again"))
    assert claim_exit(tmp_path, 2.5, lambda: said.append("next run"))
    assert said == ["first", "next run"]


def test_a_gone_container_claims_nothing(tmp_path: Path) -> None:
    assert not claim_exit(tmp_path / "gone", 1.0, lambda: None)


def test_the_second_claimer_returns_after_the_first_announced(tmp_path: Path) -> None:
    events: list[str] = []
    inside, release = threading.Event(), threading.Event()

    def slow_announcement() -> None:
        inside.set()
        release.wait(5)
        events.append("die")

    first = threading.Thread(target=claim_exit, args=(tmp_path, 1.0, slow_announcement))
    first.start()
    assert inside.wait(5)

    def second() -> None:
        if not claim_exit(tmp_path, 1.0, lambda: events.append("die again")):
            events.append("stop")

    other = threading.Thread(target=second)
    other.start()
    other.join(0.2)
    assert other.is_alive()  # waits on the claim while the first one announces
    release.set()
    first.join(5)
    other.join(5)
    assert events == ["die", "stop"]
