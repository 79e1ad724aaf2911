"""runtime/ocispec/users.py: `user:` resolved against the image's passwd and group files."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.ocispec.users import ProcessUser, UnknownUser, resolve_user

PASSWD = """\
root:x:0:0:root:/root:/bin/sh
# a comment line
daemon:x:1:1:daemon:/usr/sbin:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
alice:x:1000:1000:Alice:/home/alice:/bin/sh
bob:x:1001:100::/home/bob:/bin/sh
broken:x
"""

GROUP = """\
root:x:0:
daemon:x:1:
users:x:100:
www-data:x:33:
alice:x:1000:
wheel:x:10:alice,bob
audio:x:29:alice
staff:x:50:
video:x:44:bob
"""


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (None, ProcessUser(0, 0)),
        ("", ProcessUser(0, 0)),
        ("0", ProcessUser(0, 0)),
        ("root", ProcessUser(0, 0)),
        ("www-data", ProcessUser(33, 33)),
        ("alice", ProcessUser(1000, 1000, (10, 29))),
        ("bob", ProcessUser(1001, 100, (10, 44))),
        # a uid that is in passwd takes its primary group and name from there
        ("1000", ProcessUser(1000, 1000, (10, 29))),
        ("33", ProcessUser(33, 33)),
        # a uid that is not in passwd runs with gid 0 and no groups
        ("4242", ProcessUser(4242, 0)),
        ("4242:77", ProcessUser(4242, 77)),
        # explicit groups by name and by number
        ("www-data:users", ProcessUser(33, 100)),
        ("www-data:100", ProcessUser(33, 100)),
        ("www-data:9999", ProcessUser(33, 9999)),
        ("1000:1000", ProcessUser(1000, 1000)),  # explicit group: no supplementary ones
        ("daemon:root", ProcessUser(1, 0)),
    ],
)
def test_resolve_user(spec: str | None, expected: ProcessUser) -> None:
    assert resolve_user(spec, PASSWD, GROUP) == expected


def test_primary_group_is_not_repeated_as_supplementary() -> None:
    # bob's primary gid 100 is also a group bob is listed in
    group = GROUP + "extra:x:100:bob\n"
    assert resolve_user("bob", PASSWD, group) == ProcessUser(1001, 100, (10, 44))


def test_supplementary_groups_are_sorted_and_unique() -> None:
    group = "z:x:30:carol\na:x:20:carol\nb:x:20:carol\n"
    passwd = "carol:x:5:5::/:/bin/sh\n"
    assert resolve_user("carol", passwd, group) == ProcessUser(5, 5, (20, 30))


def test_missing_files_mean_numeric_only() -> None:
    assert resolve_user(None, "", "") == ProcessUser(0, 0)
    assert resolve_user("1000:1000", "", "") == ProcessUser(1000, 1000)
    with pytest.raises(UnknownUser):
        resolve_user("alice", "", "")


def test_unknown_user_name() -> None:
    with pytest.raises(UnknownUser) as info:
        resolve_user("mallory", PASSWD, GROUP)
    assert str(info.value) == "unable to find user mallory: no matching entries in passwd file"


def test_unknown_group_name() -> None:
    with pytest.raises(UnknownUser) as info:
        resolve_user("alice:nogroup", PASSWD, GROUP)
    assert str(info.value) == (
        "unable to find group nogroup: no matching entries in group file")


def test_unknown_user_is_a_value_error() -> None:
    assert issubclass(UnknownUser, ValueError)


def test_comment_and_short_lines_are_ignored() -> None:
    with pytest.raises(UnknownUser):
        resolve_user("broken", PASSWD, GROUP)
    with pytest.raises(UnknownUser):
        resolve_user("# a comment line", PASSWD, GROUP)


def test_explicit_group_drops_supplementary_groups() -> None:
    assert resolve_user("alice:staff", PASSWD, GROUP) == ProcessUser(1000, 50)


# --- group_add and reading the image's files safely ------------------------------------------


def test_group_ids() -> None:
    from runtime.ocispec.users import group_ids

    assert group_ids(["audio", "4242", "wheel"], GROUP) == (29, 4242, 10)
    with pytest.raises(UnknownUser, match="unable to find group nosuch"):
        group_ids(["nosuch"], GROUP)


def test_read_in_root_keeps_symlinks_inside(tmp_path: Path) -> None:
    from runtime.ocispec.users import read_in_root, resolve_in_root

    host_secret = tmp_path / "secret"
    host_secret.write_text("host file\n")
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "real").mkdir()
    (root / "real" / "passwd").write_text("alice:x:1000:1000::/:/bin/sh\n")
    # an absolute link resolves inside the image, however it is spelled
    (root / "etc" / "passwd").symlink_to("/real/passwd")
    (root / "etc" / "group").symlink_to(str(host_secret))
    (root / "etc" / "shadow").symlink_to("../../../../../../" + str(host_secret))
    (root / "loop").symlink_to("/loop")
    assert read_in_root(str(root), "/etc/passwd") == "alice:x:1000:1000::/:/bin/sh\n"
    assert read_in_root(str(root), "/etc/group") == ""  # would be the host's file
    assert read_in_root(str(root), "/etc/shadow") == ""
    assert read_in_root(str(root), "/missing") == ""
    assert read_in_root(str(root), "/etc") == ""  # a directory
    assert resolve_in_root(str(root), "/../../etc/./passwd") == str(root / "real" / "passwd")
    with pytest.raises(OSError, match="symbolic links"):
        resolve_in_root(str(root), "/loop/x")
