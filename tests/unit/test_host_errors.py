"""OSErrors the host causes become one line with what to do; others stay bugs."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from common.errors import HostError, ImageError, host_error, user_error
from common.statefiles import write_atomic


def test_a_full_disk_names_the_file_and_what_to_do() -> None:
    error = host_error(OSError(errno.ENOSPC, "No space left on device"), "cannot write /x")
    assert isinstance(error, HostError)
    assert str(error) == ("cannot write /x: No space left on device; free space on that "
                          "filesystem and run the command again")


def test_without_a_description_the_filename_is_named() -> None:
    error = host_error(OSError(errno.EROFS, "Read-only file system", "/var/lib/pycompose/a"))
    assert str(error).startswith("cannot use /var/lib/pycompose/a: Read-only file system; ")


@pytest.mark.parametrize("exc", [OSError(errno.ENOENT, "No such file"), ValueError("bug"),
                                 FileNotFoundError(errno.ENOENT, "gone")])
def test_other_errors_are_not_the_hosts(exc: Exception) -> None:
    assert host_error(exc) is None
    assert user_error(exc) is None


def test_a_group_of_user_and_host_errors_gives_the_first() -> None:
    group = ExceptionGroup("nursery", [OSError(errno.ENOSPC, "full"), ImageError("x")])
    assert isinstance(user_error(group), HostError)


def test_a_bug_in_a_group_keeps_the_group_a_bug() -> None:
    group = ExceptionGroup("nursery", [OSError(errno.ENOSPC, "full"), KeyError("k")])
    assert user_error(group) is None


def test_write_atomic_on_a_full_disk_keeps_the_old_content(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "record.json"
    write_atomic(target, b"old")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(HostError, match=r"cannot write .*record.json: No space left"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["record.json"]  # no temporary left
