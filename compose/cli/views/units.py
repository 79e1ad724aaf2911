"""Sizes the way docker prints them (go-units ``HumanSize``: ``4.26MB``, decimal)."""

from __future__ import annotations

_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")


def human_size(size: float, precision: int = 4) -> str:
    """go-units HumanSizeWithPrecision; ``docker images`` uses precision 3."""
    index = 0
    while size >= 1000.0 and index < len(_UNITS) - 1:
        size /= 1000.0
        index += 1
    return f"{size:.{precision}g}{_UNITS[index]}"
