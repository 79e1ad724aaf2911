"""The corpus's data tables (runs with ``args: []``), row by row, read in place.

The harness judges CLI runs only; these tables pin the units under them:
compose-go's template substitution, tree interpolation, .env parsing, plus the
keyed ``gold (see expected.json key ...)`` runs of ``compose-go__cli-project-options``.
Each row is its own test, named after the row, so a failure says which one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from compose.spec.load.interpolate import (
    InterpolationError,
    MissingRequired,
    first_operator,
    interpolate_tree,
    substitute,
)
from compose.spec.load.projectenv import read_env_files
from compose.spec.syntax.dotenv import DotenvError, parse_dotenv, without_digit_keys
from tests.corpus.harness import CORPUS, Run, judge_run

SKIP = pytest.mark.skip(reason="the corpus (../shared/corpus) is not present")


def _table(case: str, name: str = "cases.json") -> Any:
    return json.loads((CORPUS / case / name).read_text())


def _params(rows: Iterator[tuple[str, Any]]) -> list[Any]:
    if not CORPUS.is_dir():
        return [pytest.param(None, marks=SKIP, id="no-corpus")]
    return [pytest.param(row, id=ident) for ident, row in rows]


def _ignore(_: str) -> None:
    return None


# --- compose-go__template-substitution ---------------------------------------------------


def _templates() -> Iterator[tuple[str, Any]]:
    table = _table("compose-go__template-substitution")
    for index, case in enumerate(table["cases"]):
        yield f"{index}-{case['template']!r}", (table["env"], case)


@pytest.mark.parametrize("row", _params(_templates()))
def test_template_substitution(row: Any) -> None:
    env, case = row
    if "error_contains" in case:
        with pytest.raises(InterpolationError) as info:
            substitute(case["template"], env, _ignore)
        assert case["error_contains"] in str(info.value)
    else:
        assert substitute(case["template"], env, _ignore) == case["expected"]


def _operators() -> Iterator[tuple[str, Any]]:
    table = _table("compose-go__template-substitution")
    for case in table["operator_choice"]["cases"]:
        yield case["inner"], case


@pytest.mark.parametrize("row", _params(_operators()))
def test_operator_choice(row: Any) -> None:
    assert first_operator(row["inner"]) == row["operator"]


# --- compose-go__interpolation-map --------------------------------------------------------


def _trees() -> Iterator[tuple[str, Any]]:
    for index, case in enumerate(_table("compose-go__interpolation-map")["cases"]):
        yield f"{index}-{case['test'].split(' ')[0]}", case


@pytest.mark.parametrize("row", _params(_trees()))
def test_interpolation_map(row: Any) -> None:
    # TestInterpolateWithCast gives its own cast table: *.replicas is an int
    casts = {("*", "replicas"): "int"} if "Cast" in row["test"] else {}
    if "error" in row:
        with pytest.raises(InterpolationError) as info:
            interpolate_tree(row["input"], row["env"], _ignore, casts=casts)
        assert str(info.value) == row["error"]
    else:
        assert interpolate_tree(row["input"], row["env"], _ignore, casts=casts) == row["expected"]


# --- compose-go__dotenv-files --------------------------------------------------------------


def _env_files() -> Iterator[tuple[str, Any]]:
    for index, case in enumerate(_table("compose-go__dotenv-files", "expected.json")["files"]):
        yield f"{index}-{case['file']}", case


@pytest.mark.parametrize("row", _params(_env_files()))
def test_dotenv_file(row: Any) -> None:
    text = (CORPUS / "compose-go__dotenv-files" / row["file"]).read_text(encoding="utf-8")
    if "error_contains" in row:
        with pytest.raises(DotenvError) as info:
            parse_dotenv(text, row["os_env"])
        assert row["error_contains"] in str(info.value)
        return
    values = parse_dotenv(text, row["os_env"])
    if "(Read" in row["test"]:
        values = without_digit_keys(values)
    values = {k: v.replace("\r\n", "\n") for k, v in values.items()}
    if row.get("exact"):
        assert values == row["expected"]
    else:
        assert {k: values.get(k) for k in row["expected"]} == row["expected"]
    assert not set(row.get("absent_keys", [])) & set(values)


def _multiple_files() -> Iterator[tuple[str, Any]]:
    table = _table("compose-go__dotenv-files", "expected.json")["multiple_files"]
    for index, result in enumerate(table["results"]):
        yield f"multiple-files-{index}", (table, result)


@pytest.mark.parametrize("row", _params(_multiple_files()))
def test_dotenv_multiple_files(row: Any, tmp_path: Path) -> None:
    table, result = row
    paths = []
    for name in ("base.env", "override.env"):
        paths.append(tmp_path / name)
        paths[-1].write_text(table[name])
    assert read_env_files(paths, result["os_env"]) == result["expected"]


# --- compose-go__dotenv-line-parsing --------------------------------------------------------


def _lines() -> Iterator[tuple[str, Any]]:
    table = _table("compose-go__dotenv-line-parsing")
    for index, case in enumerate(table["parse_cases"]):
        yield f"parse-{index}-{case['input']!r}", ("parse", case)
    for index, case in enumerate(table["expanding_cases"]):
        yield f"expand-{index}-{case['input']!r}", ("expand", case)
    for text in table["error_inputs"]:
        yield f"error-{text!r}", ("error", text)
    for text in table["unterminated_quote_inputs"]:
        yield f"unterminated-{text!r}", ("unterminated", text)
    expansion = table["variable_expansion"]
    for index, case in enumerate(expansion["cases"]):
        yield f"variable-{index}-{case['input']!r}", ("variable", (expansion, case))


@pytest.mark.parametrize("row", _params(_lines()))
def test_dotenv_line(row: Any) -> None:
    kind, case = row
    if kind == "parse":
        assert parse_dotenv(case["input"])[case["key"]] == case["value"]
    elif kind == "expand":
        values = parse_dotenv(case["input"])
        assert {k: values.get(k) for k in case["expected"]} == case["expected"]
    elif kind in ("error", "unterminated"):
        with pytest.raises(DotenvError) as info:
            parse_dotenv(case)
        assert kind == "error" or "unterminated quoted value" in str(info.value)
    else:
        expansion, item = case
        if "error" in item:
            with pytest.raises(MissingRequired) as missing:
                substitute(item["input"], expansion["env_file_map"], _ignore)
            assert (missing.value.variable, missing.value.reason) == (
                item["error"]["variable"], item["error"]["reason"])
        else:
            assert substitute(item["input"], expansion["env_file_map"], _ignore) == item["result"]


# --- compose-go__cli-project-options: keyed gold expectations -------------------------------


def _keyed_runs() -> Iterator[tuple[str, Any]]:
    import yaml

    case_dir = CORPUS / "compose-go__cli-project-options"
    spec = yaml.safe_load((case_dir / "case.yaml").read_text())
    for run in spec["runs"]:
        yield run["name"], (case_dir, run)


@pytest.mark.parametrize("row", _params(_keyed_runs()))
def test_cli_project_options(row: Any) -> None:
    case_dir, spec = row
    spec = {**spec, "reference": False}  # the reference output is the harness's business
    verdicts = judge_run(Run(case_dir, spec))
    problems = [f"{v.run}: {v.detail}" for v in verdicts if v.status == "fail"]
    assert not problems, "\n".join(problems)
    assert any(v.status == "pass" for v in verdicts)
