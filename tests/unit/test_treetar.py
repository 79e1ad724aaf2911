"""A container-writable tree as a tar (export, commit): what goes in, links kept
as links, no depth too deep; and the committed image's config (pure)."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

from common.images import CommitRequest
from runtime.build.commit import commit_config
from runtime.images.treetar import write_tree


def tar_of(root: Path, **kwargs: bool) -> tarfile.TarFile:
    buffer = io.BytesIO()
    digest = write_tree(str(root), buffer, **kwargs)
    assert digest.startswith("sha256:") and len(digest) == 71
    buffer.seek(0)
    return tarfile.open(fileobj=buffer)


def test_files_dirs_links_and_hard_links(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "note").write_text("hello\n")
    os.chmod(tmp_path / "etc" / "note", 0o640)
    os.link(tmp_path / "etc" / "note", tmp_path / "etc" / "again")
    (tmp_path / "escape").symlink_to("/etc/shadow")  # a link, never followed
    os.mkfifo(tmp_path / "pipe")
    with tar_of(tmp_path) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert sorted(members) == ["escape", "etc", "etc/again", "etc/note", "pipe"]
        assert members["escape"].issym() and members["escape"].linkname == "/etc/shadow"
        assert members["etc"].isdir() and members["pipe"].isfifo()
        assert members["etc/again"].isreg() and members["etc/again"].mode == 0o640
        assert members["etc/note"].islnk() and members["etc/note"].linkname == "etc/again"
        handle = tar.extractfile("etc/again")
        assert handle is not None and handle.read() == b"hello\n"


def test_a_deep_tree_is_walked_without_recursion(tmp_path: Path) -> None:
    deep = tmp_path
    for _ in range(300):
        deep = deep / "d"
    deep.mkdir(parents=True)
    (deep / "leaf").write_text("x")
    with tar_of(tmp_path) as tar:
        names = tar.getnames()
    assert len(names) == 301 and names[-1].endswith("/d/leaf")


def test_the_same_tree_gives_the_same_digest(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("1")
    first, second = io.BytesIO(), io.BytesIO()
    assert write_tree(str(tmp_path), first) == write_tree(str(tmp_path), second)
    assert first.getvalue() == second.getvalue()


def test_commit_config_adds_a_layer_history_and_changes() -> None:
    base = {"architecture": "amd64", "os": "linux",
            "config": {"Env": ["PATH=/bin"], "Cmd": ["sh"]},
            "rootfs": {"type": "layers", "diff_ids": ["sha256:aa"]},
            "history": [{"created_by": "bootstrap"}]}
    request = CommitRequest(upper="/u", base="sha256:b", changes=(
        'CMD ["cat", "/note"]', "ENV A=1", "LABEL k=v", "WORKDIR /w", "ENTRYPOINT [\"/e\"]",
        "EXPOSE 80", "USER nobody"), message="why", author="me", created_by="sh -c x")
    config = commit_config(base, "sha256:bb", request, 0.0)
    assert config["rootfs"]["diff_ids"] == ["sha256:aa", "sha256:bb"]
    assert config["author"] == "me" and config["created"] == "1970-01-01T00:00:00.000000Z"
    assert config["history"][-1] == {"created": "1970-01-01T00:00:00.000000Z",
                                     "created_by": "sh -c x", "author": "me",
                                     "comment": "why"}
    runtime = config["config"]
    assert runtime["Cmd"] == ["cat", "/note"] and runtime["Entrypoint"] == ["/e"]
    assert runtime["Env"] == ["PATH=/bin", "A=1"] and runtime["Labels"] == {"k": "v"}
    assert runtime["WorkingDir"] == "/w" and runtime["User"] == "nobody"
    assert runtime["ExposedPorts"] == {"80/tcp": {}}
    assert base["rootfs"]["diff_ids"] == ["sha256:aa"]  # the base is left alone


def test_commit_config_takes_the_container_config_before_the_changes() -> None:
    """docker commit: the image's runtime config is how the container ran (its
    environment, command, user, labels), not its image's; changes come last."""
    base = {"config": {"Env": ["PATH=/bin"], "Cmd": ["sh"], "Volumes": {"/data": {}}},
            "rootfs": {"type": "layers", "diff_ids": []}}
    container = {"Hostname": "abc", "Env": ["PATH=/bin", "GREETING=hi"],
                 "Cmd": ["sleep", "9"], "Entrypoint": None, "User": "1:1",
                 "Labels": {"com.docker.compose.service": "web"}, "Tty": False,
                 "WorkingDir": "", "StopSignal": "SIGINT"}
    request = CommitRequest(upper="/u", base="sha256:b", changes=("LABEL k=v",),
                            container_config=container)
    runtime = commit_config(base, "sha256:bb", request, 0.0)["config"]
    assert runtime == {"Env": ["PATH=/bin", "GREETING=hi"], "Cmd": ["sleep", "9"],
                       "User": "1:1", "StopSignal": "SIGINT", "Volumes": {"/data": {}},
                       "Labels": {"com.docker.compose.service": "web", "k": "v"}}
