"""compose/cli/views/gotemplate.py: docker's ``--format`` templates over listing rows."""

from __future__ import annotations

import pytest

from common.errors import UsageError
from compose.cli.views.gotemplate import is_template, render

ROWS = [
    {"Name": "p-web-1", "Service": "web", "State": "running", "ExitCode": 0,
     "Labels": {"a": "1"}, "Publishers": [{"URL": "0.0.0.0", "PublishedPort": 8080}],
     "Names": ["p-web-1", "web"]},
    {"Name": "p-db-1", "Service": "db", "State": "exited", "ExitCode": 3,
     "Labels": {}, "Publishers": [], "Names": ["p-db-1"]},
]


def test_table_and_json_are_docker_s_own_layouts() -> None:
    assert not is_template("table") and not is_template("json")
    assert is_template("{{.Name}}") and is_template("table {{.Name}}")


def test_a_field_per_row() -> None:
    assert render("{{.Name}}", ROWS) == "p-web-1\np-db-1"


def test_text_around_fields_and_escaped_tabs() -> None:
    assert render(r"{{.Service}}\t{{.State}} ({{.ExitCode}})", ROWS) == \
        "web\trunning (0)\ndb\texited (3)"


def test_json_of_the_row_and_of_a_field() -> None:
    assert render("{{json .Labels}}", ROWS) == '{"a":"1"}\n{}'
    assert render("{{json .}}", ROWS[1:]).startswith('{"Name":"p-db-1",')


def test_functions() -> None:
    assert render("{{upper .Service}} {{lower .State}}", ROWS[:1]) == "WEB running"
    assert render('{{join .Names ","}}', ROWS) == "p-web-1,web\np-db-1"
    assert render("{{truncate .Name 3}}", ROWS[:1]) == "p-w"


def test_go_prints_maps_and_lists_its_own_way() -> None:
    assert render("{{.Labels}} {{.Names}}", ROWS[:1]) == "map[a:1] [p-web-1 web]"


def test_a_table_template_has_a_header_and_tabwriter_columns() -> None:
    text = render(r"table {{.Name}}\t{{.ExitCode}}\t{{.State}}", ROWS,
                  {"ExitCode": "EXIT CODE"})
    assert text.splitlines() == [
        "NAME      EXIT CODE   STATE",
        "p-web-1   0           running",
        "p-db-1    3           exited",
    ]


def test_unknown_headers_are_the_field_in_capitals_word_by_word() -> None:
    assert render(r"table {{.RunningFor}}", [{"RunningFor": "1 minute ago"}]) == \
        "RUNNING FOR\n1 minute ago"


@pytest.mark.parametrize("fmt", ["{{.Nope}}", "{{.Name", "{{frobnicate .Name}}", "{{}}"])
def test_bad_templates_are_usage_errors(fmt: str) -> None:
    with pytest.raises(UsageError):
        render(fmt, ROWS)
