"""The plain text tables docker prints (Go's tabwriter: columns padded, three
spaces apart, no trailing blanks)."""

from __future__ import annotations

from collections.abc import Sequence


def text_table(headers: Sequence[str], body: Sequence[Sequence[object]]) -> str:
    rows = [[str(cell) for cell in row] for row in [headers, *body]]
    widths = [max(len(cell) for cell in column) for column in zip(*rows, strict=True)]
    return "\n".join("   ".join(cell.ljust(width) for cell, width in
                                zip(row, widths, strict=True)).rstrip()
                     for row in rows)
