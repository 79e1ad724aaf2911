"""The dashboard's screen, drawn from snapshots: text in, text out."""

from __future__ import annotations

import io

from rich.console import Console

from compose.cli.views.dashview import Screen, render, uptime
from compose.engine.snapshot import ContainerView, ProbeView, Snapshot

MIB = 1024 * 1024


def text(screen: Screen) -> str:
    console = Console(record=True, width=130, color_system=None, file=io.StringIO())
    console.print(render(screen))
    return "\n".join(line.rstrip() for line in console.export_text().splitlines())


WEB = ContainerView(id="w", name="p-web-1", service="web", number=1, state="running",
                    started_at=1000.0, health="unhealthy", failing_streak=3,
                    last_probe=ProbeView(1, "wget: can't connect\n", 1290.0),
                    cpu_ns=2_000_000_000, system_cpu_ns=40_000_000_000,
                    memory=3 * MIB, memory_limit=64 * MIB, pids=2,
                    ports=("0.0.0.0:8080->80/tcp",))
CRASH = ContainerView(id="c", name="p-crash-1", service="crash", number=1,
                      state="restarting", exit_code=1, restarts=4, backoff=1.6,
                      restart_at=1301.0)


def snapshot(*views: ContainerView, time: float = 1300.0) -> Snapshot:
    return Snapshot("p", time, 7, views)


def test_each_container_is_a_row_with_what_the_supervisor_knows() -> None:
    before = snapshot(WEB, CRASH, time=1299.0)
    now = snapshot(WEB.__class__(**{**WEB.__dict__, "cpu_ns": 2_500_000_000,
                                    "system_cpu_ns": 42_000_000_000}), CRASH)
    screen = Screen("p", now, before, selected=0, logs=("serving on :80", "GET /"),
                    message="restarted web", cpus=2)
    assert text(screen).splitlines() == [
        "pycompose dashboard: p",
        "SERVICE  CONTAINER  STATE       HEALTH     RESTARTS  BACK-OFF        UPTIME  "
        "CPU %   MEM / LIMIT   PORTS",
        "web      p-web-1    running     unhealthy  0         -               5m00s   "
        "50.00%  3MiB / 64MiB  0.0.0.0:8080->80/tcp",
        "crash    p-crash-1  restarting  -          4         1.6s (in 1.0s)  -       "
        "-       -             -",
        "",
        "last probe: failed, exit 1, 3 failing in a row: wget: can't connect",
        "── logs of p-web-1 ──",
        "serving on :80",
        "GET /",
        "",
        "↑/↓ select  r restart  s stop  l follow logs  e shell  q quit",
        "restarted web",
    ]


def test_the_selected_row_chooses_the_probe_and_the_logs_shown() -> None:
    shown = text(Screen("p", snapshot(WEB, CRASH), selected=1, logs=("boom",)))
    assert "last probe" not in shown  # crash has no health check
    assert "── logs of p-crash-1 ──\nboom" in shown
    assert "CPU %" in shown and "50.00%" not in shown  # one snapshot: no CPU yet


def test_a_container_without_a_memory_limit_and_one_stopped_by_the_user() -> None:
    free = ContainerView(id="f", name="p-free-1", service="free", number=1, state="running",
                         started_at=1299.5, memory=MIB)
    stopped = ContainerView(id="s", name="p-s-1", service="s", number=1, state="exited",
                            exit_code=137, stopped_by_user=True)
    shown = text(Screen("p", snapshot(free, stopped)))
    assert "1MiB / no limit" in shown
    assert "exited (137), stopped" in shown
    assert " 0s " in shown


def test_without_a_supervisor_or_containers_it_says_so() -> None:
    assert "no supervisor runs for this project" in text(Screen("p", None))
    assert "the project has no containers" in text(Screen("p", snapshot()))


def test_uptime_is_short() -> None:
    assert [uptime(s) for s in (0, 42, 187, 7500, 3 * 86400 + 4 * 3600 + 5)] == \
        ["0s", "42s", "3m07s", "2h05m", "3d04h"]


def test_a_snapshot_survives_json() -> None:
    original = snapshot(WEB, CRASH)
    assert Snapshot.from_json(original.to_json()) == original
