"""COPY/ADD sources: pattern matching, destinations, .dockerignore, content keys,
and the layer diff of an upper directory."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from common.dockerignore import parse_ignore
from common.errors import BuildError
from runtime.build.context import (
    content_key,
    is_archive,
    match_sources,
    parse_chmod,
    plan_copy,
    read_ignore,
    write_tar,
)
from runtime.build.layerdiff import changes, write_layer


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    for name, text in {"a.txt": "a", "b.txt": "b", "src/main.c": "int main;",
                       "src/lib/x.h": "x", "docs/readme.md": "r"}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def names(plan_entries: object) -> list[str]:
    return [e.name for e in plan_entries]  # type: ignore[attr-defined]


def test_match_literal_and_glob(ctx: Path) -> None:
    assert match_sources(str(ctx), "a.txt", []) == ["a.txt"]
    assert match_sources(str(ctx), "*.txt", []) == ["a.txt", "b.txt"]
    assert match_sources(str(ctx), "src/*/x.h", []) == ["src/lib/x.h"]
    assert match_sources(str(ctx), "nope", []) == []
    assert match_sources(str(ctx), ".", []) == [""]
    assert match_sources(str(ctx), "../a.txt", []) == ["a.txt"]  # cannot leave the context


def test_match_skips_ignored(ctx: Path) -> None:
    assert match_sources(str(ctx), "*.txt", parse_ignore("b.txt")) == ["a.txt"]


def test_file_to_file(ctx: Path) -> None:
    plan = plan_copy(str(ctx), ["a.txt"], "/etc/conf", "/", [], "COPY")
    assert plan.dest_dir == "/etc"
    assert names(plan.entries) == ["conf"]


def test_file_to_directory(ctx: Path) -> None:
    plan = plan_copy(str(ctx), ["a.txt"], "/opt/", "/", [], "COPY")
    assert (plan.dest_dir, names(plan.entries)) == ("/opt", ["a.txt"])


def test_relative_dest_uses_workdir(ctx: Path) -> None:
    plan = plan_copy(str(ctx), ["a.txt"], "./", "/app", [], "COPY")
    assert (plan.dest_dir, names(plan.entries)) == ("/app", ["a.txt"])
    plan = plan_copy(str(ctx), ["a.txt"], "x.txt", "/app", [], "COPY")
    assert (plan.dest_dir, names(plan.entries)) == ("/app", ["x.txt"])


def test_several_sources_make_a_directory(ctx: Path) -> None:
    plan = plan_copy(str(ctx), ["a.txt", "b.txt"], "/d", "/", [], "COPY")
    assert (plan.dest_dir, names(plan.entries)) == ("/d", ["a.txt", "b.txt"])
    plan = plan_copy(str(ctx), ["*.txt"], "/d", "/", [], "COPY")
    assert (plan.dest_dir, names(plan.entries)) == ("/d", ["a.txt", "b.txt"])


def test_directory_copies_contents(ctx: Path) -> None:
    plan = plan_copy(str(ctx), ["src"], "/app", "/", [], "COPY")
    assert plan.dest_dir == "/app"
    assert names(plan.entries) == ["lib", "lib/x.h", "main.c"]


def test_context_root_with_dockerignore(ctx: Path) -> None:
    ignore = parse_ignore("docs\nsrc/lib\n*.txt\n!b.txt\n")
    plan = plan_copy(str(ctx), ["."], "/app", "/", ignore, "COPY")
    assert names(plan.entries) == ["b.txt", "src", "src/main.c"]


def test_reincluded_file_below_excluded_directory(ctx: Path) -> None:
    ignore = parse_ignore("docs\n!docs/readme.md\n")
    plan = plan_copy(str(ctx), ["."], "/app", "/", ignore, "COPY")
    assert "docs/readme.md" in names(plan.entries)


def test_missing_source(ctx: Path) -> None:
    with pytest.raises(BuildError, match="'missing' not found"):
        plan_copy(str(ctx), ["missing"], "/x", "/", [], "COPY")
    with pytest.raises(BuildError, match="excluded"):
        plan_copy(str(ctx), ["a.txt"], "/x", "/", parse_ignore("a.txt"), "COPY")


def test_content_key_follows_content(ctx: Path) -> None:
    plan = plan_copy(str(ctx), ["src"], "/app", "/", [], "COPY")
    first = content_key(plan, "", "")
    assert content_key(plan, "", "") == first
    assert content_key(plan, "1000", "") != first
    assert content_key(plan, "", "755") != first
    (ctx / "src" / "main.c").write_text("changed")
    assert content_key(plan, "", "") != first


def test_content_key_ignores_excluded_changes(ctx: Path) -> None:
    ignore = parse_ignore("docs")
    plan = plan_copy(str(ctx), ["."], "/app", "/", ignore, "COPY")
    first = content_key(plan, "", "")
    (ctx / "docs" / "readme.md").write_text("changed")
    plan = plan_copy(str(ctx), ["."], "/app", "/", ignore, "COPY")
    assert content_key(plan, "", "") == first


def test_write_tar_owner_and_mode(ctx: Path) -> None:
    plan = plan_copy(str(ctx), ["src"], "/app", "/", [], "COPY")
    buffer = io.BytesIO()
    write_tar(plan, buffer, 1000, 1001, 0o640)
    buffer.seek(0)
    with tarfile.open(fileobj=buffer) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert set(members) == {"lib", "lib/x.h", "main.c"}
    assert {(m.uid, m.gid) for m in members.values()} == {(1000, 1001)}
    assert members["main.c"].mode == 0o640


def test_parse_chmod() -> None:
    assert parse_chmod("") is None
    assert parse_chmod("755") == 0o755
    with pytest.raises(BuildError, match="octal"):
        parse_chmod("u+x")
    with pytest.raises(BuildError, match="invalid"):
        parse_chmod("77777")


def test_is_archive(tmp_path: Path) -> None:
    plain = tmp_path / "x.tar"
    with tarfile.open(plain, "w") as tar:
        info = tarfile.TarInfo("f")
        tar.addfile(info, io.BytesIO(b""))
    gz = tmp_path / "x.tgz"
    with tarfile.open(gz, "w:gz") as tar:
        tar.addfile(tarfile.TarInfo("f"), io.BytesIO(b""))
    text = tmp_path / "t.txt"
    text.write_text("hello")
    assert is_archive(str(plain)) and is_archive(str(gz))
    assert not is_archive(str(text))


def test_read_ignore_prefers_dockerfile_specific(tmp_path: Path) -> None:
    (tmp_path / ".dockerignore").write_text("a")
    assert read_ignore(tmp_path, tmp_path / "Dockerfile") == "a"
    (tmp_path / "Dockerfile.dockerignore").write_text("b")
    assert read_ignore(tmp_path, tmp_path / "Dockerfile") == "b"
    assert read_ignore(tmp_path / "none", None) == ""


@pytest.mark.skipif(os.geteuid() != 0, reason="whiteouts are device nodes: needs root")
def test_layer_diff_whiteouts_and_opaque(tmp_path: Path) -> None:
    upper = tmp_path / "upper"
    (upper / "etc").mkdir(parents=True)
    (upper / "etc" / "new").write_text("n")
    os.mknod(upper / "etc" / "gone", 0o600 | 0o020000, os.makedev(0, 0))
    (upper / "opaque").mkdir()
    os.setxattr(upper / "opaque", "trusted.overlay.opaque", b"y")
    os.setxattr(upper / "opaque", "trusted.overlay.impure", b"y")
    os.symlink("/target", upper / "link")
    os.link(upper / "etc" / "new", upper / "hard")
    assert [(c.path, c.kind) for c in changes(upper)] == [
        ("etc", "dir"), ("etc/.wh.gone", "whiteout"), ("etc/new", "file"),
        ("hard", "file"), ("link", "symlink"), ("opaque", "dir"),
        ("opaque/.wh..wh..opq", "opaque")]
    buffer = io.BytesIO()
    diff_id = write_layer(upper, buffer)
    buffer.seek(0)
    with tarfile.open(fileobj=buffer, mode="r:gz") as tar:
        members = {m.name: m for m in tar.getmembers()}
        raw = io.BytesIO()
    assert members["etc/.wh.gone"].isreg() and members["etc/.wh.gone"].size == 0
    assert members["hard"].islnk() and members["hard"].linkname == "etc/new"
    assert members["link"].issym() and members["link"].linkname == "/target"
    assert "opaque/.wh..wh..opq" in members
    assert not any("trusted.overlay" in k for m in members.values() for k in m.pax_headers)
    assert os.listxattr(upper / "opaque") == ["trusted.overlay.opaque"]  # bookkeeping gone
    buffer.seek(0)
    import gzip
    import hashlib

    raw.write(gzip.decompress(buffer.read()))
    assert diff_id == "sha256:" + hashlib.sha256(raw.getvalue()).hexdigest()


@pytest.fixture
def hostile_ctx(tmp_path: Path) -> Path:
    """A context (or a stage's root) whose links point at the host's /etc, and a
    file beside it, outside."""
    root = tmp_path / "hostile"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "own").write_text("mine\n")
    (root / "link").symlink_to("/etc")
    (root / "rel").symlink_to("../../../../../../../../etc")
    (root / "evil").symlink_to("/")
    (root / "shadow").symlink_to("/etc/passwd")
    (tmp_path / "outside.txt").write_text("outside\n")
    return root


@pytest.mark.parametrize("source", ["../outside.txt", "link/passwd", "rel/passwd",
                                    "evil/etc/passwd", "link/pass*", "evil/etc/*",
                                    "link/"])
def test_sources_never_leave_the_context(hostile_ctx: Path, source: str) -> None:
    assert Path("/etc/passwd").exists()
    try:
        plan = plan_copy(str(hostile_ctx), [source], "/dst/", "/", [], "COPY")
    except BuildError as exc:
        assert "not found in the build context" in str(exc) and "\n" not in str(exc)
        return
    for entry in plan.entries:  # a link resolved inside: the context's own /etc only
        real = os.path.realpath(entry.source)
        assert os.path.islink(entry.source) or real.startswith(str(hostile_ctx) + "/")


def test_links_resolve_inside_the_context(hostile_ctx: Path) -> None:
    plan = plan_copy(str(hostile_ctx), ["link/own"], "/x", "/", [], "COPY")
    assert [e.source for e in plan.entries] == [str(hostile_ctx / "etc" / "own")]
    globbed = plan_copy(str(hostile_ctx), ["evil/etc/o*"], "/d/", "/", [], "COPY")
    assert [e.source for e in globbed.entries] == [str(hostile_ctx / "etc" / "own")]


def test_a_link_to_a_host_file_is_copied_as_a_link(hostile_ctx: Path) -> None:
    plan = plan_copy(str(hostile_ctx), ["shadow"], "/x", "/", [], "COPY")
    output = io.BytesIO()
    write_tar(plan, output, 0, 0, None)
    with tarfile.open(fileobj=io.BytesIO(output.getvalue())) as tar:
        members = tar.getmembers()
    assert [(m.name, m.issym(), m.linkname, m.size) for m in members] == [
        ("x", True, "/etc/passwd", 0)]
