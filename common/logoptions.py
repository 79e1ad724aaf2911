"""A service's ``logging.options`` that pycompose acts on (pure): the size cap of a
container's log file and how many files are kept.  Read by the runtime (conmon's
backstop cap) and by the supervisor (rotation), so it lives in the base."""

from __future__ import annotations

from typing import Any

from common.sizes import parse_bytes

DEFAULT_MAX_SIZE = 20 << 20
"""Docker's ``local`` log driver's default cap."""
DEFAULT_MAX_FILES = 5
"""Docker's ``local`` log driver keeps five files."""


def _options(logging: object) -> dict[str, Any]:
    options = logging.get("options") if isinstance(logging, dict) else None
    return options if isinstance(options, dict) else {}


def max_size(logging: object) -> int:
    """``logging.options.max-size`` in bytes, the default when unset or invalid."""
    value = _options(logging).get("max-size")
    if value is None:
        return DEFAULT_MAX_SIZE
    try:
        size = parse_bytes(value)
    except ValueError:
        return DEFAULT_MAX_SIZE
    return size if size > 0 else DEFAULT_MAX_SIZE


def max_files(logging: object) -> int:
    """``logging.options.max-file``: how many files, the current one included."""
    try:
        value = int(_options(logging).get("max-file", DEFAULT_MAX_FILES))
    except (TypeError, ValueError):
        return DEFAULT_MAX_FILES
    return max(1, value)
