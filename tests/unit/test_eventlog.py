"""Container events: docker compose's JSON and text shapes; torn lines skipped."""

from __future__ import annotations

import json
from pathlib import Path

from common.paths import Layout
from common.records import ContainerRecord
from compose.engine.eventlog import append, event, events_path, parse, text_line

RECORD = ContainerRecord(id="c0ffee", name="p-web-1", project="p", service="web", number=1,
                         image="busybox", image_id="i", config_hash="h", created=0.0,
                         command=(), hostname="web", runtime="runc")
NOW = 1_700_000_000.25


def test_event_shape_and_text_line() -> None:
    entry = event(RECORD, "die", NOW, {"exitCode": 3})
    assert entry == {"action": "die", "attributes": {"image": "busybox", "name": "p-web-1",
                                                     "exitCode": "3"},
                     "id": "c0ffee", "service": "web", "time": "2023-11-14T22:13:20.250000Z",
                     "type": "container"}
    assert text_line(entry) == ("2023-11-14 22:13:20.250000 container die c0ffee "
                                "(exitCode=3, image=busybox, name=p-web-1)")


def test_appended_events_read_back_and_a_torn_line_waits(tmp_path: Path) -> None:
    layout = Layout(tmp_path, tmp_path / "run")
    append(layout, RECORD, "create", NOW)
    append(layout, RECORD, "start", NOW + 1)
    data = events_path(layout, "p").read_bytes()
    entries, used = parse(data + b'{"action": "st')
    assert [e["action"] for e in entries] == ["create", "start"]
    assert used == len(data)
    assert parse(b"not json\n" + data)[0] == entries
    assert json.loads(data.splitlines()[1])["time"] == "2023-11-14T22:13:21.250000Z"
