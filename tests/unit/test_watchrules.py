"""``develop.watch`` rules: which rule a path falls under, ignore and include
patterns, ``.dockerignore``, what a batch of changes makes ``watch`` do."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.dockerignore import parse_ignore
from common.errors import UsageError
from common.syncpaths import DIRECTORY, FILE, MISSING
from compose.planning.watchplan import initial_files, plan_batch
from compose.planning.watchrules import (
    NO_WATCH,
    ExecHook,
    WatchRule,
    ignore_files,
    watch_rules,
)
from compose.spec.loader import LoadOptions, load_project
from compose.spec.model import Project


def load(tmp_path: Path, text: str) -> Project:
    (tmp_path / "compose.yaml").write_text(text)
    return load_project(LoadOptions(cwd=str(tmp_path), environ={})).project


def rule(path: str = "/src", target: str | None = "/app", action: str = "sync",
         ignore: str = "", include: str = "", **kw: object) -> WatchRule:
    return WatchRule(service="web", action=action, path=path, target=target,
                     ignore=tuple(parse_ignore(ignore)), include=tuple(parse_ignore(include)),
                     **kw)  # type: ignore[arg-type]


# --- one rule, one path ---------------------------------------------------------------

@pytest.mark.parametrize(("path", "expected"), [
    ("/src", "/app"),
    ("/src/index.html", "/app/index.html"),
    ("/src/a/b/c.txt", "/app/a/b/c.txt"),
    ("/srcx/index.html", None),           # a sibling with the same prefix
    ("/sr", None),
    ("/other/src/x", None),
    ("/", None),
])
def test_path_and_target(path: str, expected: str | None) -> None:
    assert rule().matches(path) == expected


def test_rule_on_root_directory() -> None:
    assert rule(path="/").matches("/etc/x") == "/app/etc/x"


def test_rule_without_target_matches_with_empty_target() -> None:
    assert rule(target=None, action="rebuild").matches("/src/x") == ""
    assert rule(target=None, action="rebuild").matches("/elsewhere") is None


def test_rule_on_a_single_file() -> None:
    r = rule(path="/src/package.json", target="/app/package.json")
    assert r.matches("/src/package.json") == "/app/package.json"
    assert r.matches("/src/package.json.bak") is None
    assert r.matches("/src/other.json") is None


@pytest.mark.parametrize(("ignore", "path", "ignored"), [
    ("node_modules/", "/src/node_modules/x/y.js", True),
    ("node_modules/", "/src/node_modules", True),
    ("node_modules/", "/src/lib/node_modules/x", False),   # relative to the rule's path
    ("**/node_modules", "/src/lib/node_modules/x", True),
    ("*.log", "/src/a.log", True),
    ("*.log", "/src/sub/a.log", False),                    # * does not cross /
    ("**/*.log", "/src/sub/a.log", True),
    ("*.log\n!keep.log", "/src/keep.log", False),          # ! re-includes
    ("*.log\n!keep.log", "/src/drop.log", True),
    ("build/\n!build/keep", "/src/build/keep", False),
    ("tmp?", "/src/tmp1", True),
    ("tmp[0-9]", "/src/tmpa", False),
    ("/abs", "/src/abs", True),                            # a leading / is dropped
    ("# a comment", "/src/# a comment", False),
    ("*", "/src/anything/at/all", True),
])
def test_ignore(ignore: str, path: str, ignored: bool) -> None:
    assert (rule(ignore=ignore).matches(path) is None) is ignored


@pytest.mark.parametrize(("include", "path", "included"), [
    ("*.html", "/src/index.html", True),
    ("*.html", "/src/style.css", False),
    ("*.html", "/src/sub/page.html", False),
    ("**/*.html", "/src/sub/page.html", True),
    ("pages", "/src/pages/a/b", True),                     # a directory includes its files
    ("*.html\n!draft.html", "/src/draft.html", False),
])
def test_include(include: str, path: str, included: bool) -> None:
    assert (rule(include=include).matches(path) is not None) is included


def test_ignore_wins_over_include() -> None:
    r = rule(include="*.html", ignore="secret.html")
    assert r.matches("/src/index.html") == "/app/index.html"
    assert r.matches("/src/secret.html") is None


def test_include_does_not_filter_the_rule_path_itself() -> None:
    assert rule(include="*.html").matches("/src") is None or True  # never raises
    assert rule(ignore="*").matches("/src") == "/app"


@pytest.mark.parametrize("path", [
    "/src/.git/HEAD", "/src/sub/.git/index", "/src/.git",
    "/src/a.go___jb_tmp___", "/src/a.go___jb_old___", "/src/.idea/workspace.xml",
    "/src/.#index.html", "/src/4913", "/src/index.html~", "/src/.index.html.swp",
    "/src/.index.html.swx", "/src/.a.swo", "/src/.a.swn",
])
def test_editor_scratch_files_and_git_are_ignored(path: str) -> None:
    assert rule().matches(path) is None


@pytest.mark.parametrize("path", ["/src/git", "/src/.gitignore", "/src/a.swp", "/src/4914",
                                  "/src/idea/x"])
def test_near_misses_are_not_ignored(path: str) -> None:
    assert rule().matches(path) is not None


def test_dockerignore_is_relative_to_the_build_context() -> None:
    r = rule(path="/proj/src", context="/proj",
             context_ignore=tuple(parse_ignore("src/drafts\n*.md\n")))
    assert r.matches("/proj/src/drafts/x.html") is None
    assert r.matches("/proj/src/page.html") == "/app/page.html"
    assert r.matches("/proj/src/README.md") == "/app/README.md"   # *.md: top level only
    outside = rule(path="/other", context="/proj",
                   context_ignore=tuple(parse_ignore("*\n")))
    assert outside.matches("/other/x") == "/app/x"                # not in the context


# --- rules from a Compose file ---------------------------------------------------------

FILE_WITH_RULES = """\
name: p
services:
  web:
    build: .
    develop:
      watch:
        - path: ./site
          target: /var/www
          action: sync
          ignore: [drafts/]
        - path: ./Dockerfile
          action: rebuild
        - path: ./conf
          target: /etc/app
          action: sync+exec
          exec:
            command: kill -HUP 1
            user: root
            environment: {A: b}
  db:
    image: busybox
  worker:
    image: busybox
    volumes: [./code:/code]
    develop:
      watch:
        - path: ./code/lib
          target: /code/lib
          action: sync
        - path: ./code
          action: restart
"""


def test_rules_from_the_file(tmp_path: Path) -> None:
    project = load(tmp_path, FILE_WITH_RULES)
    setup = watch_rules(project, [], {"web": "site/secret\n"})
    assert [(r.service, r.action, r.path, r.target) for r in setup.rules] == [
        ("web", "sync", f"{tmp_path}/site", "/var/www"),
        ("web", "rebuild", f"{tmp_path}/Dockerfile", None),
        ("web", "sync+exec", f"{tmp_path}/conf", "/etc/app"),
        ("worker", "restart", f"{tmp_path}/code", None),
    ]
    assert setup.warnings == (f"path '{tmp_path}/code/lib' also declared by a bind mount "
                              "volume, this path won't be monitored!",)
    assert setup.paths == (f"{tmp_path}/site", f"{tmp_path}/Dockerfile", f"{tmp_path}/conf",
                           f"{tmp_path}/code")
    assert setup.services() == ("web", "worker")
    assert setup.services({"rebuild"}) == ("web",)
    hook = setup.rules[2].exec
    assert hook == ExecHook(("kill", "-HUP", "1"), user="root", environment=(("A", "b"),))
    sync = setup.rules[0]
    assert sync.matches(f"{tmp_path}/site/drafts/x") is None
    assert sync.matches(f"{tmp_path}/site/secret") is None        # .dockerignore
    assert sync.matches(f"{tmp_path}/site/index.html") == "/var/www/index.html"


def test_selected_services_only(tmp_path: Path) -> None:
    project = load(tmp_path, FILE_WITH_RULES)
    assert watch_rules(project, ["worker"], {}).services() == ("worker",)
    with pytest.raises(UsageError, match="none of the selected services"):
        watch_rules(project, ["db"], {})
    assert NO_WATCH.startswith("none of the selected services is configured for watch")


def test_rebuild_needs_a_build_section(tmp_path: Path) -> None:
    project = load(tmp_path, "services:\n  s:\n    image: busybox\n    develop:\n"
                             "      watch:\n        - {path: ., action: rebuild}\n")
    with pytest.raises(UsageError, match="can't watch service 's' with action rebuild"):
        watch_rules(project, [], {})


def test_no_build_refuses_rebuild_rules(tmp_path: Path) -> None:
    project = load(tmp_path, FILE_WITH_RULES)
    with pytest.raises(UsageError, match="--no-build is incompatible with watch action "
                                         "rebuild in service web"):
        watch_rules(project, [], {}, build=False)
    assert watch_rules(project, ["worker"], {}, build=False).services() == ("worker",)


def test_sync_exec_needs_a_command(tmp_path: Path) -> None:
    project = load(tmp_path, "services:\n  s:\n    image: busybox\n    develop:\n"
                             "      watch:\n        - {path: ., target: /a, action: sync+exec}\n")
    with pytest.raises(UsageError, match="without a command"):
        watch_rules(project, [], {})


def test_initial_sync_and_list_exec_command(tmp_path: Path) -> None:
    project = load(tmp_path, "services:\n  s:\n    image: busybox\n    develop:\n"
                             "      watch:\n        - path: .\n          target: /a\n"
                             "          action: sync+exec\n          initial_sync: true\n"
                             "          exec: {command: [sh, -c, 'echo a b']}\n")
    (only,) = watch_rules(project, [], {}).rules
    assert only.initial_sync
    assert only.exec is not None and only.exec.command == ("sh", "-c", "echo a b")


def test_ignore_files_order() -> None:
    assert ignore_files("/ctx", "web.Dockerfile") == ("/ctx/web.Dockerfile.dockerignore",
                                                      "/ctx/.dockerignore")


# --- a batch of changes ----------------------------------------------------------------

RULES = (
    rule(path="/p/site", target="/www"),
    WatchRule("web", "rebuild", "/p/Dockerfile"),
    WatchRule("web", "rebuild", "/p/requirements.txt"),
    WatchRule("api", "sync+restart", "/p/api", "/srv"),
    WatchRule("api", "sync+exec", "/p/conf", "/etc/api", exec=ExecHook(("reload",))),
    WatchRule("api", "restart", "/p/api/settings.ini"),
    WatchRule("job", "restart", "/p/job"),
)


def test_one_file_edit_is_one_copy() -> None:
    batch = plan_batch(RULES, {"/p/site/index.html": FILE})
    assert batch.render() == "sync web copy /www/index.html"


def test_two_hundred_files_are_one_sync_and_one_rebuild() -> None:
    changes = {f"/p/site/f{i:03}.html": FILE for i in range(200)}
    changes |= {"/p/Dockerfile": FILE, "/p/requirements.txt": FILE}
    batch = plan_batch(RULES, changes)
    assert batch.rebuild == ("web",)
    assert list(batch.sync) == ["web"]
    assert len(batch.sync["web"]) == 200
    assert batch.restart == () and batch.exec == ()


def test_actions_in_order() -> None:
    batch = plan_batch(RULES, {
        "/p/conf/a.conf": FILE, "/p/conf/b.conf": FILE, "/p/api/app.py": FILE,
        "/p/job/x": FILE, "/p/Dockerfile": FILE, "/p/site/old.html": MISSING,
        "/p/nothing": FILE,
    })
    assert batch.render() == """\
rebuild web
sync web delete /www/old.html
sync api copy /etc/api/a.conf
sync api copy /etc/api/b.conf
sync api copy /srv/app.py
restart api
restart job
exec api reload"""


def test_every_matching_rule_acts() -> None:
    batch = plan_batch(RULES, {"/p/api/settings.ini": FILE})
    assert batch.render() == "sync api copy /srv/settings.ini\nrestart api"


def test_rebuilt_service_is_not_restarted_too() -> None:
    rules = (WatchRule("web", "rebuild", "/p/Dockerfile"), WatchRule("web", "restart", "/p"))
    assert plan_batch(rules, {"/p/Dockerfile": FILE}).render() == "rebuild web"
    assert plan_batch(rules, {"/p/x": FILE}).render() == "restart web"


def test_deletions_directories_and_files_ordered() -> None:
    batch = plan_batch(RULES, {
        "/p/site/a": MISSING, "/p/site/a/b": MISSING, "/p/site/a-x": MISSING,
        "/p/site/a/b/c": MISSING, "/p/site/z/y": DIRECTORY, "/p/site/z": DIRECTORY,
        "/p/site/z/y/f": FILE, "/p/site/b": FILE,
    })
    assert batch.render() == """\
sync web delete /www/a
sync web delete /www/a-x
sync web mkdir /www/z
sync web mkdir /www/z/y
sync web copy /www/b
sync web copy /www/z/y/f"""


def test_nothing_matched_is_an_empty_batch() -> None:
    assert not plan_batch(RULES, {"/elsewhere/x": FILE, "/p/site/.x.swp": FILE})
    assert plan_batch(RULES, {}).render() == ""


def test_rule_path_itself_deleted() -> None:
    batch = plan_batch(RULES, {"/p/site": MISSING})
    assert batch.render() == "sync web delete /www"


def test_same_exec_hook_runs_once() -> None:
    changes = {f"/p/conf/{i}": FILE for i in range(5)}
    assert [name for name, _ in plan_batch(RULES, changes).exec] == ["api"]


def test_initial_files_skip_dockerfile_compose_and_ignored() -> None:
    r = rule(path="/p", target="/app", ignore="tmp/")
    tree = [("/p/index.html", FILE), ("/p/Dockerfile", FILE), ("/p/compose.yaml", FILE),
            ("/p/web.Dockerfile", FILE), ("/p/tmp/x", FILE), ("/p/css", DIRECTORY),
            ("/p/.git/HEAD", FILE)]
    assert initial_files(r, tree, "web.Dockerfile") == {"/p/index.html": FILE,
                                                        "/p/css": DIRECTORY}
    assert plan_batch([r], initial_files(r, tree)).render() == """\
sync web mkdir /app/css
sync web copy /app/index.html
sync web copy /app/web.Dockerfile"""
