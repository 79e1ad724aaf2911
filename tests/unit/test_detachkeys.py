"""The detach key sequence of ``attach``: parsed as moby/term parses it, found
across the chunks of what the user types, everything else passed on."""

from __future__ import annotations

import pytest

from common.detachkeys import DEFAULT, DetachScanner, parse
from common.errors import UsageError


def test_parse_like_moby_term() -> None:
    assert parse(DEFAULT) == b"\x10\x11"
    assert parse("ctrl-@,ctrl-a,ctrl-z,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_") == \
        bytes([0, 1, 26, 27, 28, 29, 30, 31])
    assert parse("a,DEL,x") == b"a\x7fx"


@pytest.mark.parametrize("spec", ["ctrl-pq", "", "ctrl-P", "a,,b", "ESC"])
def test_bad_keys_are_one_line(spec: str) -> None:
    with pytest.raises(UsageError, match=r"^Invalid detach keys \(.*\) provided$"):
        parse(spec)


def feed_all(scanner: DetachScanner, *chunks: bytes) -> tuple[bytes, bool]:
    out = b""
    for chunk in chunks:
        data, detached = scanner.feed(chunk)
        out += data
        if detached:
            return out, True
    return out, False


@pytest.mark.parametrize(("chunks", "expected"), [
    ((b"hello\n",), (b"hello\n", False)),
    ((b"ab\x10\x11cd",), (b"ab", True)),  # what follows the sequence is dropped
    ((b"ab\x10", b"\x11"),  (b"ab", True)),  # across two reads
    ((b"\x10x\x11",), (b"\x10x\x11", False)),  # broken: passed on as typed
    ((b"\x10\x10\x11",), (b"\x10", True)),  # the breaking byte starts it again
    ((b"\x10",), (b"", False)),  # held back until we know
])
def test_scanner(chunks: tuple[bytes, ...], expected: tuple[bytes, bool]) -> None:
    assert feed_all(DetachScanner(b"\x10\x11"), *chunks) == expected


def test_no_keys_pass_everything() -> None:
    assert DetachScanner(b"").feed(b"\x10\x11") == (b"\x10\x11", False)
