"""runtime/oci/logs.py: LogReader over conmon's k8s-file log format."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from common.status import LogLine
from runtime.oci.logrotate import rotate
from runtime.oci.logs import LogReader

T1 = "2026-11-23T11:02:32.474798848+00:00"
T2 = "2026-11-23T11:02:33.000000001+00:00"
T3 = "2026-11-23T11:02:34.100000000+00:00"
T4 = "2026-11-23T11:02:35.250000000+00:00"
T5 = "2026-11-23T11:02:36.999999999+00:00"


def entry(time: str, stream: str, tag: str, text: str) -> str:
    return f"{time} {stream} {tag} {text}\n"


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "ctr.log"
    path.write_bytes(b"")
    return path


def append(path: Path, text: str | bytes) -> None:
    with open(path, "ab") as handle:
        handle.write(text.encode() if isinstance(text, str) else text)


def test_full_lines(log: Path) -> None:
    append(log, entry(T1, "stdout", "F", "hello world")
           + entry(T2, "stderr", "F", "oops: something failed")
           + entry(T3, "stdout", "F", ""))
    reader = LogReader(log)
    assert reader.read() == [
        LogLine(T1, "stdout", "hello world"),
        LogLine(T2, "stderr", "oops: something failed"),
        LogLine(T3, "stdout", ""),
    ]
    assert reader.offset == log.stat().st_size
    assert reader.read() == []


def test_text_keeps_its_spaces(log: Path) -> None:
    append(log, entry(T1, "stdout", "F", "  a  b   c "))
    assert LogReader(log).read() == [LogLine(T1, "stdout", "  a  b   c ")]


def test_entry_without_text(log: Path) -> None:
    append(log, f"{T1} stdout F\n")
    assert LogReader(log).read() == [LogLine(T1, "stdout", "")]


def test_partials_are_joined_per_stream_while_the_other_interleaves(log: Path) -> None:
    append(log, entry(T1, "stdout", "P", "par")
           + entry(T2, "stderr", "P", "err-")
           + entry(T3, "stdout", "P", "ti")
           + entry(T4, "stderr", "F", "done")
           + entry(T5, "stdout", "F", "al"))
    assert LogReader(log).read() == [
        LogLine(T2, "stderr", "err-done"),
        LogLine(T1, "stdout", "partial"),  # the time of its first part
    ]


def test_partial_completed_on_a_later_read(log: Path) -> None:
    reader = LogReader(log)
    append(log, entry(T1, "stdout", "P", "first half, "))
    assert reader.read() == []
    append(log, entry(T2, "stdout", "F", "second half"))
    assert reader.read() == [LogLine(T1, "stdout", "first half, second half")]


def test_unfinished_trailing_entry_is_read_next_time(log: Path) -> None:
    reader = LogReader(log)
    append(log, entry(T1, "stdout", "F", "complete") + f"{T2} stdout F half-wr")
    assert reader.read() == [LogLine(T1, "stdout", "complete")]
    assert reader.offset == len(entry(T1, "stdout", "F", "complete").encode())
    assert reader.read() == []
    append(log, "itten\n")
    assert reader.read() == [LogLine(T2, "stdout", "half-written")]
    assert reader.offset == log.stat().st_size


def test_entry_split_inside_a_multibyte_character(log: Path) -> None:
    reader = LogReader(log)
    data = entry(T1, "stdout", "F", "naïve ✓").encode()
    cut = data.index("✓".encode()) + 1
    append(log, data[:cut])
    assert reader.read() == []
    append(log, data[cut:])
    assert reader.read() == [LogLine(T1, "stdout", "naïve ✓")]


def test_flush_returns_unfinished_partials(log: Path) -> None:
    reader = LogReader(log)
    append(log, entry(T1, "stdout", "P", "no end")
           + entry(T2, "stderr", "P", "err ")
           + entry(T3, "stderr", "P", "part"))
    assert reader.read() == []
    assert sorted(reader.flush(), key=lambda line: line.stream) == [
        LogLine(T2, "stderr", "err part"),
        LogLine(T1, "stdout", "no end"),
    ]
    assert reader.flush() == []
    # a later full entry starts afresh
    append(log, entry(T4, "stdout", "F", "next"))
    assert reader.read() == [LogLine(T4, "stdout", "next")]


def test_flush_with_nothing_pending(log: Path) -> None:
    assert LogReader(log).flush() == []


def test_offset_resumption(log: Path) -> None:
    append(log, entry(T1, "stdout", "F", "one") + entry(T2, "stdout", "F", "two"))
    first = LogReader(log)
    assert [line.text for line in first.read()] == ["one", "two"]
    append(log, entry(T3, "stdout", "F", "three"))
    resumed = LogReader(log, offset=first.offset)
    assert resumed.read() == [LogLine(T3, "stdout", "three")]
    skip_one = LogReader(log, offset=len(entry(T1, "stdout", "F", "one").encode()))
    assert [line.text for line in skip_one.read()] == ["two", "three"]


def test_lines_that_are_not_entries_are_skipped(log: Path) -> None:
    append(log, "garbage\n" + "\n" + "two words\n" + entry(T1, "stdout", "F", "ok"))
    assert LogReader(log).read() == [LogLine(T1, "stdout", "ok")]


def test_missing_file_reads_nothing(tmp_path: Path) -> None:
    reader = LogReader(tmp_path / "absent.log")
    assert reader.read() == []
    assert reader.offset == 0


def test_invalid_utf8_is_replaced(log: Path) -> None:
    append(log, f"{T1} stdout F bad ".encode() + b"\xff\xfe" + b" end\n")
    assert LogReader(log).read() == [LogLine(T1, "stdout", "bad \ufffd\ufffd end")]


@pytest.mark.parametrize("separator", ["\r", "\x0c", "\u2028"])
def test_only_newline_ends_an_entry(log: Path, separator: str) -> None:
    append(log, entry(T1, "stdout", "F", f"progress 10%{separator}progress 50%"))
    assert LogReader(log).read() == [
        LogLine(T1, "stdout", f"progress 10%{separator}progress 50%")]


def test_a_log_started_anew_is_read_from_its_start(tmp_path: Path) -> None:
    log = tmp_path / "ctr.log"
    log.write_text("2024-01-01T00:00:00Z stdout F one\n2024-01-01T00:00:01Z stdout F two\n")
    reader = LogReader(log)
    assert [line.text for line in reader.read()] == ["one", "two"]
    fresh = tmp_path / "ctr.log.tmp"  # conmon past its size cap: a new file renamed over
    fresh.write_text("2024-01-01T00:00:02Z stdout F three\n")
    fresh.rename(log)
    assert [line.text for line in reader.read()] == ["three"]
    with open(log, "r+") as handle:  # or the same file cut short
        handle.truncate(0)
    log.write_text("2024-01-01T00:00:03Z stdout F four\n")
    assert [line.text for line in reader.read()] == ["four"]


def test_a_file_replaced_by_a_new_one_is_read_to_its_end_first(log: Path) -> None:
    """conmon's rotation: a new file renamed over the log.  What the old file got
    after the last read comes first, then the new file from its start, once each."""
    reader = LogReader(log)
    append(log, entry(T1, "stdout", "F", "one"))
    assert reader.read() == [LogLine(T1, "stdout", "one")]
    append(log, entry(T2, "stdout", "F", "two"))  # written just before the rotation
    fresh = log.with_name("fresh")
    fresh.write_text(entry(T3, "stdout", "F", "three"))
    os.replace(fresh, log)
    assert reader.read() == [LogLine(T2, "stdout", "two"), LogLine(T3, "stdout", "three")]
    append(log, entry(T4, "stdout", "F", "four"))
    assert reader.read() == [LogLine(T4, "stdout", "four")]
    reader.close()


def test_rotations_between_two_reads_read_every_kept_file_once(log: Path) -> None:
    """Two rotations before the reader looks again: the file written in between is
    now ``.1``; it is read after the old file and before the current one, not
    skipped."""
    reader = LogReader(log)
    append(log, entry(T1, "stdout", "F", "one"))
    assert reader.read() == [LogLine(T1, "stdout", "one")]
    append(log, entry(T2, "stdout", "F", "two"))
    for time, text in ((T3, "three"), (T4, "four")):
        rotate(log, 5)
        log.write_text(entry(time, "stdout", "F", text))  # conmon starts anew
    assert [line.text for line in reader.read()] == ["two", "three", "four"]
    reader.close()


def test_a_file_moved_away_is_read_on_while_no_new_one_is_there(log: Path) -> None:
    """Between the rotation and conmon starting the new file, the log's path names
    nothing; the reader keeps reading the old file under its new name."""
    reader = LogReader(log)
    append(log, entry(T1, "stdout", "F", "one"))
    assert reader.read() == [LogLine(T1, "stdout", "one")]
    rotate(log, 5)
    append(log.with_name("ctr.log.1"), entry(T2, "stdout", "F", "two"))
    assert [line.text for line in reader.read()] == ["two"]
    log.write_text(entry(T3, "stdout", "F", "three"))
    assert [line.text for line in reader.read()] == ["three"]
    reader.close()


def test_lines_added_beside_conmon_read_as_its_own(log: Path) -> None:
    """A hook's output (runtime/oci/hookrun.py) is written as conmon writes: stamped
    entries appended whole, read back like the container's, times parseable."""
    from datetime import datetime

    from runtime.oci.logs import append, entries

    stamped = entries("stdout", ["x"], 1_700_000_000.5).decode()
    assert stamped.endswith(" stdout F x\n")
    assert datetime.fromisoformat(stamped.split()[0]).timestamp() == 1_700_000_000.5
    log.write_text(entry(T1, "stdout", "F", "from the container"))
    append(log, "stderr", ["from a hook", ""])
    append(log, "stdout", [])
    lines = LogReader(log).read()
    assert [(line.stream, line.text) for line in lines] == [
        ("stdout", "from the container"), ("stderr", "from a hook"), ("stderr", "")]
