"""runtime/images/removal.py: rm and prune decided like dockerd."""

from __future__ import annotations

import pytest

from common.errors import ImageError
from runtime.images.removal import Named, plan_prune, plan_rm

A = Named("docker.io/library/a:1", "a:1", "sha256:ma", "sha256:" + "a" * 64)
A2 = Named("docker.io/library/a:2", "a:2", "sha256:ma", "sha256:" + "a" * 64)
B = Named("docker.io/library/b:1", "b:1", "sha256:mb", "sha256:" + "b" * 64)
DANGLING = Named(None, None, "sha256:md", "sha256:" + "d" * 64)
ENTRIES = [A, A2, B, DANGLING]


def test_untag_one_of_two_names_keeps_the_image() -> None:
    removal = plan_rm([("a:1", A, False)], ENTRIES, {})
    assert (removal.untag, removal.forget, removal.lines) == (
        ["docker.io/library/a:1"], [], ["Untagged: a:1"])


def test_last_name_deletes_the_image() -> None:
    removal = plan_rm([("a:1", A, False), ("a:2", A2, False)], ENTRIES, {})
    assert removal.forget == ["sha256:ma"]
    assert removal.lines == ["Untagged: a:1", "Untagged: a:2", f"Deleted: {A.image_id}"]


def test_id_with_several_names_needs_force() -> None:
    with pytest.raises(ImageError, match="referenced in multiple repositories"):
        plan_rm([("aaaa", A, True)], ENTRIES, {})
    removal = plan_rm([("aaaa", A, True)], ENTRIES, {}, force=True)
    assert removal.untag == [A.name, A2.name] and removal.forget == ["sha256:ma"]


def test_image_in_use_is_never_deleted() -> None:
    with pytest.raises(ImageError, match=r'unable to remove repository reference "b:1" '
                                         r"\(must force\) - container web-1"):
        plan_rm([("b:1", B, False)], ENTRIES, {B.image_id: "web-1"})
    forced = plan_rm([("b:1", B, False)], ENTRIES, {B.image_id: "web-1"}, force=True)
    assert (forced.untag, forced.forget, forced.keep_dangling) == ([B.name], [], ["sha256:mb"])
    with pytest.raises(ImageError, match="being used by container web-1"):
        plan_rm([("bbbb", B, True)], ENTRIES, {B.image_id: "web-1"}, force=True)


def test_dangling_image_by_id() -> None:
    removal = plan_rm([("dddd", DANGLING, True)], ENTRIES, {})
    assert (removal.untag, removal.forget) == ([], ["sha256:md"])


def test_prune_dangling_then_all_unused() -> None:
    assert plan_prune(ENTRIES, {}).lines == [f"deleted: {DANGLING.image_id}"]
    assert plan_prune(ENTRIES, {DANGLING.image_id: "x"}).forget == []
    removal = plan_prune(ENTRIES, {B.image_id: "web-1"}, all_images=True)
    assert removal.untag == [A.name, A2.name]
    assert removal.forget == ["sha256:ma", "sha256:md"]
