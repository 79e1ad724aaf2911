"""Sizes as Docker reads them (``docker/go-units``): ``1g`` is 1024³ bytes.

The loader reads ``mem_limit`` and ``shm_size`` with it, the runtime the log cap.
"""

from __future__ import annotations

import re

_SIZE = re.compile(r"^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$")
_SIZE_UNITS = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}


def parse_bytes(value: object) -> int:
    """Bytes in a size (``docker/go-units`` RAMInBytes: ``1g`` is 1024³)."""
    if isinstance(value, bool):
        raise ValueError(f"invalid size: '{value}'")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    text = str(value)
    match = _SIZE.match(text)
    if not match:
        if re.fullmatch(r"-\d+", text):
            return int(text)
        raise ValueError(f"invalid size: '{text}'")
    size = float(match.group(1))  # "1.2.3" matches the pattern and fails here, as in Go
    return int(size * _SIZE_UNITS.get((match.group(2) or "").lower(), 1))
