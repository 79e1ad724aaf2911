"""runtime/oci/procs.py: /proc stat lines and top's table."""

from __future__ import annotations

from compose.cli.views.texttable import text_table as table
from runtime.oci.procs import CLOCK_TICKS, ProcessInfo, parse_stat, top_rows

STAT = ("42 (sh -c (odd) name) S 7 42 42 34816 42 4194560 100 0 0 0 "
        "150 50 0 0 20 0 1 0 5000 1000 100 18446744073709551615")


def test_parse_stat_with_parentheses_in_the_name() -> None:
    assert parse_stat(STAT) == (7, 34816, 200, 5000)


def test_top_rows() -> None:
    info = ProcessInfo(42, 7, 0, 34816, 3 * CLOCK_TICKS, 0, "sleep 30")
    (row,) = top_rows([info], boot_time=1000.0, now=1010.0)
    assert row[:4] == ["root", "42", "7", "30"]
    assert row[5:] == ["pts/0", "00:00:03", "sleep 30"]
    unnamed = top_rows([ProcessInfo(1, 0, 4242, 0, 0, 0, "x")], boot_time=0.0, now=1.0)[0]
    assert unnamed[0] == "4242" and unnamed[5] == "?"  # no passwd entry, no terminal


def test_table_pads_all_but_the_last_column() -> None:
    assert table(("A", "LONGER", "CMD"), [["x", "y", "a b c"]]) == (
        "A   LONGER   CMD\nx   y        a b c")
