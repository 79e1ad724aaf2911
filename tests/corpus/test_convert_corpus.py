"""``pycompose convert`` over the conformance corpus (read in place).

For every distinct ``config`` invocation of the corpus: where ``config`` loads
the project, ``convert`` must succeed (build-only services get an image prefix),
every manifest must validate against the Kubernetes schemas and the round trip
must hold; where ``config`` refuses the project, ``convert`` refuses it too, in
one line.  The realistic stacks (``awesome-compose__*``) also have golden
manifests and warnings under ``tests/unit/golden/convert/corpus/``
(``UPDATE_GOLDEN=1`` rewrites them).
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from compose.cli.commands.convert import LocalHost, convert_project
from compose.convert.base import ConvertOptions
from compose.convert.output import stream
from compose.spec.loader import load_project
from tests.convert_checks import round_trip, validate_all
from tests.corpus.harness import Run, cases, invoke

GOLDEN = Path(__file__).resolve().parents[1] / "unit" / "golden" / "convert" / "corpus"
UPDATE = bool(os.environ.get("UPDATE_GOLDEN"))
PREFIX = ["--image-prefix", "registry.example.com/corpus"]


def config_runs() -> list[Run]:
    """One run per distinct (folder, global options) among the corpus' ``config`` runs."""
    found: dict[tuple[str, tuple[str, ...]], Run] = {}
    for case_dir in cases():
        spec = yaml.safe_load((case_dir / "case.yaml").read_text())
        for run_spec in spec.get("runs", []):
            run = Run(case_dir, run_spec)
            if run.verb() != "config":
                continue
            global_args = tuple(run.args[: run.args.index("config")])
            found.setdefault((str(run.workdir), global_args), run)
    return list(found.values())


RUNS = config_runs()


def _global(run: Run) -> list[str]:
    return run.args[: run.args.index("config")]


@pytest.mark.skipif(not RUNS, reason="the corpus (../shared/corpus) is not present")
@pytest.mark.parametrize("run", RUNS, ids=lambda r: f"{r.case_dir.name}::{r.name}")
def test_convert_corpus_run(run: Run) -> None:
    loads = invoke(run, [*_global(run), "config", "-q"])
    converted = invoke(run, [*_global(run), "convert", "--format", "json", *PREFIX])
    if loads.code != 0:
        assert converted.code == 1
        assert converted.stderr.startswith("error: ")
        assert converted.stderr.count("\n") == 1
        return
    assert converted.code == 0, converted.stderr
    manifests = json.loads(converted.stdout)["items"]
    validate_all(manifests)
    warnings = [line.removeprefix("WARN[0000] ") for line in converted.stderr.splitlines()]
    canonical = load_project(replace(run.global_options(), interpolate=True)).canonical
    round_trip(canonical, manifests, warnings)
    if run.case_dir.name.startswith("awesome-compose__"):
        _check_golden(run)


class CaseHost(LocalHost):
    """Files of the case folder only, so goldens do not depend on this machine's
    ``/usr/src`` or ``/var/run/docker.sock``."""

    def __init__(self, case_dir: Path) -> None:
        super().__init__({})
        self.case_dir = case_dir

    def kind(self, path: str) -> str | None:
        inside = Path(path).resolve().is_relative_to(self.case_dir.resolve())
        return super().kind(path) if inside else None


def _check_golden(run: Run) -> None:
    load = replace(run.global_options(), interpolate=True)
    options = ConvertOptions(image_prefix=PREFIX[1])
    conversion, _ = convert_project(load, options, CaseHost(run.case_dir))
    text = stream(conversion.manifests, "yaml") + "# warnings\n" + "".join(
        f"# {w}\n" for w in conversion.warnings)
    text = text.replace(str(run.case_dir), "__CASE_DIR__")
    path = GOLDEN / f"{run.case_dir.name}.yaml"
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if not UPDATE:
            pytest.fail(f"wrote new golden file {path.name}; check it and rerun")
    assert text == path.read_text()
