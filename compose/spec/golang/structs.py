"""A small vocabulary for describing docker compose's typed Go model.

``docker compose config`` prints a project after decoding it into Go structs, so
what it prints follows the structs: fields in declaration order, zero values left
out (``omitempty``) except behind pointers, every value coerced to its field's
type.  A ``Struct`` lists its fields with a converter each; converters take the
raw value and a ``Context`` and return the printed value, or ``OMIT``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from common.sizes import parse_bytes
from compose.spec.golang import values as govalues
from compose.spec.golang.gomap import GoMap as GoMap  # part of this vocabulary
from compose.spec.golang.gomap import go_map as go_map
from compose.spec.syntax import shellwords
from compose.spec.syntax.volumespec import resolve_source


@dataclass(frozen=True)
class Context:
    """What a conversion may need besides the value: where relative paths start and
    the environment bare ``KEY`` entries are resolved from."""

    working_dir: str
    environ: Mapping[str, str]
    resolve_paths: bool = True  # False: relative paths are kept as written


class _Omit:
    def __repr__(self) -> str:
        return "OMIT"


OMIT: Any = _Omit()
Conv = Callable[[Any, Context], Any]


class ConversionError(ValueError):
    """A value docker compose would refuse to decode, with the keys leading to it."""

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def convert_at(key: str | int, conv: Conv, value: Any, ctx: Context) -> Any:
    """``conv(value)``, its errors prefixed with ``key``."""
    try:
        return conv(value, ctx)
    except ConversionError as exc:
        raise ConversionError((key, *exc.path), exc.message) from None
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        if isinstance(value, str) and "$" in value:
            return value  # not interpolated (--no-interpolate): printed as written
        raise ConversionError((key,), str(exc)) from None


@dataclass(frozen=True)
class Field:
    key: str
    conv: Conv
    pointer: bool = False  # a Go pointer: only nil is left out, zero values are printed


def field(key: str, conv: Conv, *, pointer: bool = False) -> Field:
    return Field(key, conv, pointer)


def is_zero(value: Any) -> bool:
    if value is None or value is False:
        return True
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value == 0
    if isinstance(value, str | list | dict):
        return len(value) == 0
    return False


class Struct:
    """A Go struct: known keys converted in declaration order, ``x-`` keys kept after
    them (the inline ``Extensions``), anything else dropped as Go drops it."""

    def __init__(self, *fields: Field) -> None:
        self.fields = fields

    def __call__(self, value: Any, ctx: Context) -> Any:
        if value is None:
            return OMIT
        if not isinstance(value, Mapping):
            return value
        result: dict[str, Any] = {}
        for spec in self.fields:
            if spec.key not in value or value[spec.key] is None:
                continue
            converted = convert_at(spec.key, spec.conv, value[spec.key], ctx)
            if converted is OMIT or (not spec.pointer and is_zero(converted)):
                continue
            result[spec.key] = converted
        result.update((k, sort_maps(v)) for k, v in value.items() if str(k).startswith("x-"))
        return result


def sort_maps(value: Any) -> Any:
    """An untyped value (an extension): Go prints its maps with keys sorted."""
    if isinstance(value, Mapping):
        return go_map((str(k), sort_maps(v)) for k, v in value.items())
    if isinstance(value, list):
        return [sort_maps(v) for v in value]
    return value


# --- scalars ------------------------------------------------------------------------


def string(value: Any, ctx: Context) -> Any:
    return govalues.to_str(value)


def integer(value: Any, ctx: Context) -> Any:
    return govalues.to_int(value)


def boolean(value: Any, ctx: Context) -> Any:
    return govalues.to_bool(value)


def float32(value: Any, ctx: Context) -> Any:
    return govalues.to_float(value, 32)


def duration(value: Any, ctx: Context) -> Any:
    return govalues.duration(value)


def duration_value(value: Any, ctx: Context) -> Any:
    """A ``Duration`` that is not behind a pointer: zero is left out."""
    nanoseconds = govalues.parse_duration(value)
    return OMIT if nanoseconds == 0 else govalues.format_duration(nanoseconds)


def size(value: Any, ctx: Context) -> Any:
    """``UnitBytes``: printed as a decimal string; zero is left out."""
    count = parse_bytes(value)
    return OMIT if count == 0 else str(count)


def raw(value: Any, ctx: Context) -> Any:
    return value


def path(value: Any, ctx: Context) -> Any:
    """A host path, made absolute against the project directory (``~`` is home)."""
    if not ctx.resolve_paths:
        return govalues.to_str(value)
    return resolve_source(govalues.to_str(value), ctx.working_dir, ctx.environ)


def file_mode(value: Any, ctx: Context) -> Any:
    """``FileMode``: an int (YAML octal ``0440`` is already 288) or an octal string,
    printed as ``"0440"``."""
    number = value if isinstance(value, int) else int(str(value), 8)
    return f"0{number:o}"


# --- containers ---------------------------------------------------------------------


def list_of(conv: Conv) -> Conv:
    def convert(value: Any, ctx: Context) -> Any:
        items = value if isinstance(value, list) else [value]
        converted = (convert_at(i, conv, item, ctx) for i, item in enumerate(items))
        return [c for c in converted if c is not OMIT]
    return convert


def map_of(conv: Conv, *, null: bool = False) -> Conv:
    """A Go map, keys sorted; ``null`` values are kept when the map holds pointers."""
    def convert(value: Any, ctx: Context) -> Any:
        result: dict[str, Any] = {}
        for key, item in pairs(value):
            if item is None:
                if null:
                    result[key] = None
                continue
            converted = convert_at(key, conv, item, ctx)
            if converted is not OMIT:
                result[key] = converted
        return go_map(result.items())
    return convert


def pairs(value: Any, *, bare: Any = None) -> list[tuple[str, Any]]:
    """A mapping, or a ``KEY=VALUE`` list (a bare ``KEY`` gets ``bare``)."""
    if isinstance(value, Mapping):
        return [(str(k), v) for k, v in value.items()]
    result: list[tuple[str, Any]] = []
    for entry in value if isinstance(value, list) else [value]:
        key, sep, rest = govalues.to_str(entry).partition("=")
        result.append((key, rest if sep else bare))
    return result


strings = list_of(string)


def labels(value: Any, ctx: Context) -> Any:
    """``Labels``/``Mapping``: ``KEY`` alone and ``KEY:`` (null) are empty strings."""
    return go_map((k, "" if v is None else govalues.to_str(v)) for k, v in pairs(value, bare=""))


string_map = labels  # Go's map[string]string: a null value is an empty string


def shell_command(value: Any, ctx: Context) -> Any:
    """``ShellCommand``: a string is split into words (``shellwords``); ``""`` clears
    the image's (``[]``)."""
    if isinstance(value, str):
        return shellwords.split(value)
    return [govalues.to_str(v) for v in value]


def ulimit(value: Any, ctx: Context) -> Any:
    if isinstance(value, Mapping):
        return {k: govalues.to_int(value[k]) for k in ("soft", "hard") if k in value}
    return govalues.to_int(value)


def hosts_list(value: Any, ctx: Context) -> Any:
    """``HostsList``: ``host=ip`` entries (``host:ip`` and mappings accepted), one per
    address, sorted."""
    entries: list[tuple[str, str]] = []
    if isinstance(value, Mapping):
        for host, addresses in value.items():
            for address in addresses if isinstance(addresses, list) else [addresses]:
                entries.append((str(host), govalues.to_str(address)))
    else:
        for entry in value if isinstance(value, list) else [value]:
            text = str(entry)
            host, sep, addresses = text.partition("=")
            if not sep:
                host, _, addresses = text.partition(":")
            entries += [(host, address) for address in addresses.split(",")]
    return sorted(f"{host}={_bare_ip(address)}" for host, address in entries)


def _bare_ip(address: str) -> str:
    return address[1:-1] if address.startswith("[") and address.endswith("]") else address
