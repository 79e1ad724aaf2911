"""compose/cli/views/imagelist.py and compose/cli/views/units.py: ``images`` as docker prints it."""

from __future__ import annotations

import pytest

from common.images import ImageRow
from compose.cli.views.imagelist import created_time, json_row, sort_rows, table
from compose.cli.views.units import human_size

ID = "sha256:3681024e4ceb1f285b463d6e15093cdf8be6125f432da51162452dc760ca9eaf"


@pytest.mark.parametrize(("size", "precision", "text"), [
    (0, 4, "0B"), (999, 4, "999B"), (1000, 4, "1kB"), (4_261_000, 3, "4.26MB"),
    (1_234_567_890, 4, "1.235GB"), (77_800_000, 3, "77.8MB"),
])
def test_human_size(size: int, precision: int, text: str) -> None:
    assert human_size(size, precision) == text


def test_created_time_reads_go_nanoseconds() -> None:
    assert created_time("2024-01-02T03:04:05.123456789Z") == pytest.approx(1704164645.123456)
    assert created_time("2024-01-02T03:04:05Z") == 1704164645.0
    assert created_time("") is None
    assert created_time("yesterday") is None


def test_table_and_json() -> None:
    now = 1704164645.0 + 3 * 86400
    rows = sort_rows([ImageRow("busybox", "latest", ID, "2024-01-02T03:04:05Z", 1_032_298),
                      ImageRow("<none>", "<none>", ID, "", 5)])
    assert table(rows, now) == (
        "REPOSITORY   TAG      IMAGE ID       CREATED      SIZE\n"
        "busybox      latest   3681024e4ceb   3 days ago   1.03MB\n"
        "<none>       <none>   3681024e4ceb   N/A          5B")
    assert json_row(rows[0], now) == {
        "Containers": "N/A", "CreatedAt": "2024-01-02 03:04:05 +0000 UTC",
        "CreatedSince": "3 days ago", "Digest": "<none>", "ID": "3681024e4ceb",
        "Repository": "busybox", "SharedSize": "N/A", "Size": "1.03MB", "Tag": "latest",
        "UniqueSize": "N/A", "VirtualSize": "1.03MB"}
    assert "DIGEST" in table(rows, now, digests=True).splitlines()[0]
