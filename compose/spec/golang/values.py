"""Scalars as docker compose's Go model holds and prints them.

``docker compose config`` decodes every value into a typed Go field and prints
it back, so a duration ``90s`` comes out ``1m30s``, a size ``1g`` comes out
``"1073741824"`` and a float32 ``0.3`` keeps its shortest float32 spelling.
These helpers reproduce those conversions on plain Python values.
"""

from __future__ import annotations

import math
import re
import struct
from decimal import Decimal

_DURATION_UNITS = {
    "ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000,
    "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000,
}
_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)([a-zµμ]*)")
_TRUE = {"1", "t", "true", "y", "yes", "on"}
_FALSE = {"0", "f", "false", "n", "no", "off"}


def parse_duration(value: object) -> int:
    """Nanoseconds in a Go duration (``time.ParseDuration``); raises ValueError."""
    text = str(value)
    body = text[1:] if text[:1] in {"+", "-"} else text
    if body == "0":
        return 0
    if not body:
        raise ValueError(f'time: invalid duration "{text}"')
    total = Decimal(0)
    position = 0
    while position < len(body):
        match = _DURATION_PART.match(body, position)
        number, unit = (match.group(1), match.group(2)) if match else ("", "")
        if number in {"", "."}:
            raise ValueError(f'time: invalid duration "{text}"')
        if not unit:
            raise ValueError(f'time: missing unit in duration "{text}"')
        if unit not in _DURATION_UNITS:
            raise ValueError(f'time: unknown unit "{unit}" in duration "{text}"')
        total += Decimal(number) * _DURATION_UNITS[unit]
        position = match.end() if match else len(body)
    nanoseconds = int(total)
    return -nanoseconds if text.startswith("-") else nanoseconds


def format_duration(nanoseconds: int) -> str:
    """Go's ``time.Duration.String()``: ``1m30s``, ``1.5s``, ``500ms``, ``0s``."""
    if nanoseconds == 0:
        return "0s"
    sign = "-" if nanoseconds < 0 else ""
    value = abs(nanoseconds)
    if value < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if value >= size:
                return sign + _fraction(value, size) + unit
    seconds = _fraction(value % 60_000_000_000, 1_000_000_000) + "s"
    minutes, hours = value // 60_000_000_000 % 60, value // 3_600_000_000_000
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}"
    if minutes:
        return f"{sign}{minutes}m{seconds}"
    return sign + seconds


def _fraction(value: int, unit: int) -> str:
    whole, rest = divmod(value, unit)
    if not rest:
        return str(whole)
    digits = str(rest).rjust(len(str(unit)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}"


def duration(value: object) -> str:
    """A duration as docker compose prints it."""
    return format_duration(parse_duration(value))



def to_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{value!r} is not a boolean")


def to_int(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    try:
        return int(text, 0) if re.fullmatch(r"[-+]?0[xXoObB]\w+", text) else int(text)
    except ValueError:
        raise ValueError(f"{value!r} is not an integer") from None


def to_float(value: object, bits: int = 64) -> int | float:
    """A Go float32/float64 as JSON/YAML show it: shortest spelling, integral as int."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    number = float(value) if isinstance(value, int | float) else float(str(value).strip())
    if bits == 32 and math.isfinite(number):
        number = float(shortest(number, 32))
    return int(number) if number.is_integer() and abs(number) < 1e21 else number


def shortest(number: float, bits: int = 64) -> str:
    """The shortest decimal that reads back as the same float32/float64."""
    if bits == 64:
        return repr(number)
    target = _f32(number)
    for digits in range(1, 10):
        text = f"{target:.{digits}g}"
        if _f32(float(text)) == target:
            return text
    return repr(target)


def _f32(number: float) -> float:
    result: float = struct.unpack("f", struct.pack("f", number))[0]
    return result


def format_float(number: float, bits: int = 64) -> str:
    """Go's ``strconv.FormatFloat(f, 'g', -1, bits)`` (what ``fmt`` prints for ``%v``)."""
    if math.isinf(number):
        return "+Inf" if number > 0 else "-Inf"
    if math.isnan(number):
        return "NaN"
    if number == 0:
        return "0"
    sign = "-" if number < 0 else ""
    _, digit_tuple, exponent = Decimal(shortest(abs(number), bits)).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    point = len(digits) + int(exponent)
    exp = point - 1
    if exp < -4 or exp >= 6:
        body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{body}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def to_str(value: object) -> str:
    """A scalar as Go's ``fmt.Sprint`` spells it (``true``, ``1.5``, ``1000``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_float(value)
    return str(value)
