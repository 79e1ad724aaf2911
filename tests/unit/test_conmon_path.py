"""conmon's path is looked up once per process, not at each container's create
(a search of PATH was a tenth of a command's own work in an ``up`` of 20)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from runtime.oci import runtime


@pytest.fixture(autouse=True)
def _looked_up_anew() -> Iterator[None]:
    runtime._conmon_path.cache_clear()
    yield
    runtime._conmon_path.cache_clear()  # the real path for the tests after


def test_conmon_is_looked_up_once(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def which(name: str) -> str:
        asked.append(name)
        return f"/usr/bin/{name}"

    monkeypatch.setattr(runtime, "_which", which)
    assert runtime._conmon_path() == runtime._conmon_path() == "/usr/bin/conmon"
    assert asked == ["conmon"]


def test_a_conmon_not_on_the_path_is_left_to_exec(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "_which", lambda name: None)
    assert runtime._conmon_path() == "conmon"
