"""``up --abort-on-container-exit`` / ``-failure`` / ``--exit-code-from``: when to
stop everything and what ``up`` returns."""

from __future__ import annotations

from common.records import ContainerRecord
from compose.engine.converge import UpOptions
from compose.planning.abort import Abort


def record(service: str) -> ContainerRecord:
    return ContainerRecord(id=service, name=f"p-{service}-1", project="p", service=service,
                           number=1, image="busybox", image_id="i", config_hash="h",
                           created=0.0, command=(), hostname=service, runtime="runc")


def test_without_abort_options_exits_change_nothing() -> None:
    abort = Abort(UpOptions())
    assert not abort.exited(record("a"), 3)
    assert abort.exit_code == 0


def test_abort_on_exit_stops_at_the_first_exit_and_returns_its_code() -> None:
    abort = Abort(UpOptions(abort_on_exit=True))
    assert abort.exited(record("test"), 42)
    assert not abort.exited(record("db"), 143)  # stopped by the abort
    assert abort.exit_code == 42


def test_abort_on_failure_ignores_clean_exits() -> None:
    abort = Abort(UpOptions(abort_on_failure=True))
    assert not abort.exited(record("init"), 0)
    assert abort.exit_code == 0
    assert abort.exited(record("app"), 2)
    assert not abort.exited(record("db"), 137)
    assert abort.exit_code == 2


def test_exit_code_from_returns_the_named_service_code_even_when_it_was_stopped() -> None:
    abort = Abort(UpOptions(exit_code_from="a"))
    assert abort.exited(record("b"), 1)  # any exit aborts
    assert abort.exit_code == 0
    assert not abort.exited(record("a"), 143)
    assert abort.exit_code == 143


def test_after_ctrl_c_nothing_aborts() -> None:
    abort = Abort(UpOptions(abort_on_exit=True))
    abort.interrupted = True
    assert not abort.exited(record("a"), 3)
    assert abort.exit_code == 0
