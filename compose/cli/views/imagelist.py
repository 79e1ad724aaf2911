"""``images`` rows with docker's field names and formats (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from common.images import ImageRow
from compose.cli.views.humanize import docker_time, human_duration
from compose.cli.views.texttable import text_table
from compose.cli.views.units import human_size


def created_time(created: str) -> float | None:
    """Seconds since the epoch of an RFC 3339 time (Go writes nanoseconds)."""
    if not created:
        return None
    text = created.replace("Z", "+00:00")
    if "." in text:
        head, _, tail = text.partition(".")
        digits = "".join(c for c in tail if c.isdigit())
        text = f"{head}.{digits[:6]}{tail[len(digits):]}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _since(row: ImageRow, now: float) -> str:
    when = created_time(row.created)
    return "N/A" if when is None else f"{human_duration(max(0.0, now - when))} ago"


def sort_rows(rows: Sequence[ImageRow]) -> list[ImageRow]:
    """Newest first, then by name, as docker lists them."""
    return sorted(rows, key=lambda r: (-(created_time(r.created) or 0.0), r.repository, r.tag))


IMAGE_HEADERS = {"ID": "IMAGE ID", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT",
                 "VirtualSize": "SIZE"}
"""Column titles of ``images --format 'table ...'`` where they are not the field's name."""


def json_row(row: ImageRow, now: float) -> dict[str, Any]:
    when = created_time(row.created)
    size = human_size(row.size, 3)
    return {
        "Containers": "N/A", "CreatedAt": docker_time(when) if when is not None else "",
        "CreatedSince": _since(row, now), "Digest": row.digest,
        "ID": row.image_id.removeprefix("sha256:")[:12], "Repository": row.repository,
        "SharedSize": "N/A", "Size": size, "Tag": row.tag, "UniqueSize": "N/A",
        "VirtualSize": size,
    }


def table(rows: Sequence[ImageRow], now: float, *, digests: bool = False) -> str:
    headers = ["REPOSITORY", "TAG", *(["DIGEST"] if digests else []), "IMAGE ID", "CREATED",
               "SIZE"]
    body = [[r.repository, r.tag, *([r.digest] if digests else []),
             r.image_id.removeprefix("sha256:")[:12], _since(r, now), human_size(r.size, 3)]
            for r in rows]
    return text_table(headers, body)
