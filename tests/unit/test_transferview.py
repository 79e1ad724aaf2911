"""compose/cli/views/transferview.py: pull progress drawn as docker compose draws it."""

from __future__ import annotations

import io

from rich.console import Console

from common.progress import Transfer
from compose.cli.views.transferview import TransferView

EVENTS = [
    Transfer("web", "Pulling"),
    Transfer("web", "Waiting", "0123456789ab", 0, 2_000_000),
    Transfer("web", "Downloading", "0123456789ab", 1_000_000, 2_000_000),
    Transfer("web", "Already exists", "ba9876543210", done=True),
    Transfer("web", "Download complete", "0123456789ab", 2_000_000, 2_000_000),
    Transfer("web", "Pull complete", "0123456789ab", 2_000_000, 2_000_000, done=True),
    Transfer("web", "Pulled", done=True),
]


def test_plain_output_is_one_line_per_step() -> None:
    out = io.StringIO()
    with TransferView(Console(file=out, force_terminal=False, width=100)) as view:
        for event in EVENTS:
            view(event)
    assert out.getvalue().splitlines() == [
        " web Pulling", "   ba9876543210 Already exists", "   0123456789ab Download complete",
        "   0123456789ab Pull complete", " web Pulled"]


def test_quiet_prints_nothing() -> None:
    out = io.StringIO()
    with TransferView(Console(file=out, force_terminal=True), quiet=True) as view:
        for event in EVENTS:
            view(event)
    assert out.getvalue() == ""


def test_terminal_view_draws_bars_then_the_final_state() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120, color_system=None)
    view = TransferView(console)
    for event in EVENTS[:3]:
        view(event)
    moving = _text(view, console)
    assert "[+] Pulling 0/1" in moving
    assert "⠿ 0123456789ab Downloading [===============>" in moving
    assert "1MB/2MB" in moving
    for event in EVENTS[3:]:
        view(event)
    final = _text(view, console)
    assert "[+] Pulling 1/1" in final
    assert "✔ web Pulled" in final
    assert "✔ ba9876543210 Already exists" in final
    assert "Downloading" not in final


def _text(view: TransferView, console: Console) -> str:
    with console.capture() as capture:
        console.print(view.render())
    return capture.get()
