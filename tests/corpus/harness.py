"""Runs the conformance corpus (``../shared/corpus``) in place and judges each run.

Each case folder has a ``case.yaml`` listing docker compose invocations (``runs``)
and what their source asserts (``expect``), plus ``reference/`` files holding
what Docker Compose v2.40.3 itself printed.  A run is judged against every
expectation that applies to ``config`` and against its reference output.

Normalisation before comparing (and why):
- ``__CASE_DIR__`` and ``__HOME__`` placeholders are replaced by this machine's
  paths (the corpus README asks for it).
- YAML and JSON outputs are compared as parsed data, not text: key order and
  quoting are presentation.
- "raw model" expectations are compared with the merged files before
  canonicalisation (``loader.load_raw``), as the corpus README says.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from common.errors import PycomposeError
from compose import app as cli
from compose.spec.loader import LoadOptions, load_raw

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus"
HOME = "/root"
CONFIG_FLAGS_WITH_VALUE = {"-f", "--file", "-p", "--project-name", "--project-directory",
                           "--env-file", "--profile"}


@dataclass
class Verdict:
    case: str
    run: str
    status: str  # pass | fail | skip
    detail: str = ""


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str


@dataclass
class Run:
    case_dir: Path
    spec: dict[str, Any]
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.spec["name"])

    @property
    def workdir(self) -> Path:
        return self.case_dir / self.spec.get("workdir", ".")

    @property
    def args(self) -> list[str]:
        return [str(a) for a in self.spec.get("args", [])]

    @property
    def environ(self) -> dict[str, str]:
        env = {"PATH": "/usr/bin:/bin", "HOME": HOME}
        env.update({k: str(v) for k, v in (self.spec.get("env") or {}).items()})
        return env

    def verb(self) -> str | None:
        args = self.args
        index = 0
        while index < len(args):
            arg = args[index]
            if arg in CONFIG_FLAGS_WITH_VALUE:
                index += 2
                continue
            if arg.startswith("-"):
                index += 1
                continue
            return arg
        return None

    def global_options(self) -> LoadOptions:
        files, project, directory, env_files = [], None, None, []
        args = self.args
        index = 0
        while index < len(args) and args[index] != self.verb():
            flag = args[index]
            value = args[index + 1] if index + 1 < len(args) else ""
            if flag in {"-f", "--file"}:
                files.append(value)
            elif flag in {"-p", "--project-name"}:
                project = value
            elif flag == "--project-directory":
                directory = value
            elif flag == "--env-file":
                env_files.append(value)
            index += 2 if flag in CONFIG_FLAGS_WITH_VALUE else 1
        return LoadOptions(files=tuple(files), project_name=project,
                           project_directory=directory, env_files=tuple(env_files),
                           interpolate=False, environ=self.environ, cwd=str(self.workdir))


def substitute(text: str, case_dir: Path) -> str:
    return text.replace("__CASE_DIR__", str(case_dir)).replace("__HOME__", HOME)


def invoke(run: Run, args: list[str]) -> Outcome:
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        code = cli.main(args, environ=run.environ, cwd=str(run.workdir), stdout=stdout,
                        stderr=stderr)
    except SystemExit as exc:  # argparse refusing the flags
        code = exc.code if isinstance(exc.code, int) else 2
    return Outcome(code, stdout.getvalue(), stderr.getvalue())


def subset_mismatch(expected: Any, actual: Any, path: str = "",
                    base: Path | None = None) -> str | None:
    """Where ``expected`` is not contained in ``actual``: mappings by key, lists item by
    item with the same length (an item that is a mapping is again a subset: the Go
    tests assert single fields such as ``Ports[0].Target``)."""
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return f"{path or '.'}: expected {expected!r}, got {actual!r}"
        for index, (want, have) in enumerate(zip(expected, actual, strict=True)):
            problem = subset_mismatch(want, have, f"{path}[{index}]", base)
            if problem:
                return problem
        return None
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{path or '.'}: expected a mapping, got {actual!r}"
        for key, value in expected.items():
            if key not in actual:
                if value in (False, 0, "", [], {}, None):
                    continue  # a Go zero value, which docker's output leaves out
                return f"{path}.{key}: missing"
            problem = subset_mismatch(value, actual[key], f"{path}.{key}", base)
            if problem:
                return problem
        return None
    # The Go tests set the project name on the struct (``myProject``) and derive
    # resource names from it; the CLI lower-cases project names.
    if path.endswith(".name") and isinstance(expected, str) and isinstance(actual, str) \
            and expected.lower() == actual.lower():
        return None
    if base is not None and _same_path(expected, actual, base):
        return None
    if expected != actual and not (_number_like(expected, actual)):
        return f"{path or '.'}: expected {expected!r}, got {actual!r}"
    return None


def _same_path(expected: Any, actual: Any, base: Path) -> bool:
    """The Go tests load without resolving paths (``src``); the CLI resolves them
    against the project directory (``/.../src``): the same path."""
    if not (isinstance(expected, str) and isinstance(actual, str)) or not actual.startswith("/"):
        return False
    if expected.startswith("/") or not expected:
        return False
    return os.path.normpath(os.path.join(base, expected)) == actual


def _number_like(expected: Any, actual: Any) -> bool:
    """``published: 8080`` in a test's YAML and ``"8080"`` in compose's output are one value."""
    scalars = (str, int, float)
    return (isinstance(expected, scalars) and isinstance(actual, scalars)
            and not isinstance(expected, bool) and not isinstance(actual, bool)
            and str(expected) == str(actual))


def lookup(data: Any, dotted: str) -> tuple[bool, Any]:
    for part in dotted.split("."):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return False, None
    return True, data


def check_subset(expected_doc: dict[str, Any], actual: dict[str, Any],
                 base: Path | None = None) -> str | None:
    expected = dict(expected_doc)
    absent = expected.pop("absent", []) or []
    null_or_absent = expected.pop("null_or_absent", []) or []
    expected.pop("note", None)
    problem = subset_mismatch(expected, actual, "", base)
    if problem:
        return problem
    for dotted in absent:
        found, _ = lookup(actual, dotted)
        if found:
            return f"{dotted}: should be absent"
    for dotted in null_or_absent:
        found, value = lookup(actual, dotted)
        if found and value is not None:
            return f"{dotted}: should be null or absent, is {value!r}"
    return None


def load_expected(case_dir: Path, name: str) -> Any:
    path = case_dir / name
    text = substitute(path.read_text(), case_dir)
    if path.suffix == ".json":
        return json.loads(text)
    if path.suffix in {".yaml", ".yml"}:
        return yaml.safe_load(text)
    return text


def judge_run(run: Run) -> list[Verdict]:
    """Every verdict for one ``config`` run."""
    verb = run.verb()
    case = run.case_dir.name
    if not run.args:
        return [Verdict(case, run.name, "skip", "data table (unit-level)")]
    if verb != "config":
        return [Verdict(case, run.name, "skip", f"verb {verb} needs containers")]
    outcome = invoke(run, run.args)
    verdicts: list[Verdict] = []
    parsed: Any = None
    if outcome.code == 0:
        try:
            parsed = json.loads(outcome.stdout) if "json" in run.args else \
                yaml.safe_load(outcome.stdout)
        except (ValueError, yaml.YAMLError):
            parsed = None
    if "Traceback" in outcome.stderr:
        return [Verdict(case, run.name, "fail", "traceback: " + outcome.stderr[-300:])]
    for expectation in run.spec.get("expect") or []:
        verdicts.append(_judge(run, expectation, outcome, parsed))
    if run.spec.get("reference"):
        verdicts.append(_judge_reference(run, outcome, parsed))
    return verdicts or [Verdict(case, run.name, "skip", "nothing to compare")]


def _judge(run: Run, expectation: dict[str, Any], outcome: Outcome, parsed: Any) -> Verdict:
    case, kind = run.case_dir.name, str(expectation["type"])
    file = str(expectation["file"])
    label = f"{run.name} [{kind.split(' ')[0]}]"
    if kind.startswith("gold (see expected.json key") or (
            "#" in file and kind.startswith("gold-substring")):
        return _judge_keyed(run, label, expectation, outcome, parsed)
    if kind.startswith("gold-runtime") or kind.startswith("gold ("):
        return Verdict(case, label, "skip", "needs containers or a data table")
    if kind.startswith("gold-error"):
        expected = load_expected(run.case_dir, file).strip()
        if outcome.code == 0:
            return Verdict(case, label, "fail", f"succeeded; expected error {expected!r}")
        message = expected.split(": ", 1)[-1] if kind.endswith("(prefix)") else expected
        ok = _error_matches(expected, outcome.stderr)
        return Verdict(case, label, "pass" if ok else "fail",
                       "" if ok else f"error {outcome.stderr.strip()!r} lacks {message!r}")
    if outcome.code != 0:
        docker_failed = (run.case_dir / "reference" / f"{run.name}.error.txt").exists()
        if docker_failed:
            # Where a source's gold contradicts docker compose, docker compose is right
            # (the issue says so): it refuses this input too.
            return Verdict(case, label, "pass", "rejected, as docker compose rejects it")
        return Verdict(case, label, "fail", f"exit {outcome.code}: {outcome.stderr.strip()}")
    if kind.startswith("gold-no-error"):
        return Verdict(case, label, "pass")
    if "#" in file:
        return Verdict(case, label, "skip", "keyed expectation")
    expected = load_expected(run.case_dir, file)
    if kind.startswith("gold-substring"):
        missing = [s for s in expected if s not in outcome.stdout]
        return Verdict(case, label, "fail" if missing else "pass",
                       f"missing {missing}" if missing else "")
    actual = parsed
    if "raw" in kind or "before normalisation" in kind:
        try:
            raw = load_raw(run.global_options())
        except PycomposeError as exc:
            return Verdict(case, label, "fail", f"raw load failed: {exc}")
        actual = raw.data
    if not isinstance(expected, dict) or not isinstance(actual, dict):
        same = expected == actual
        return Verdict(case, label, "pass" if same else "fail",
                       "" if same else f"expected {expected!r}")
    problem = check_subset(expected, actual, run.workdir)
    if problem is None and kind.startswith("gold-full") and "service" not in kind:
        extra = sorted(set(actual.get("services", {})) - set(expected.get("services", {})))
        if extra and "services" in expected:
            problem = f"unexpected services {extra}"
    return Verdict(case, label, "fail" if problem else "pass", problem or "")


def _judge_keyed(run: Run, label: str, expectation: dict[str, Any], outcome: Outcome,
                 parsed: Any) -> Verdict:
    """``expected.json#key`` or "gold (see expected.json key `key`)": one entry of a
    shared file, holding ``contains`` (stdout substrings), ``error_contains``, or
    dotted paths of the model (``ports[0]`` for list items, ``(absent)`` for none)."""
    case, kind, file = run.case_dir.name, str(expectation["type"]), str(expectation["file"])
    key = file.split("#", 1)[1] if "#" in file else kind.split("`")[1]
    expected = load_expected(run.case_dir, file.split("#", 1)[0])[key]
    if "error_contains" in expected:
        ok = outcome.code != 0 and expected["error_contains"] in outcome.stderr
        return Verdict(case, label, "pass" if ok else "fail", "" if ok else
                       f"exit {outcome.code}, stderr {outcome.stderr.strip()!r} lacks "
                       f"{expected['error_contains']!r}")
    if outcome.code != 0:
        return Verdict(case, label, "fail", f"exit {outcome.code}: {outcome.stderr.strip()}")
    if "contains" in expected:
        wanted = expected["contains"]
        missing = [s for s in ([wanted] if isinstance(wanted, str) else wanted)
                   if s not in outcome.stdout]
        return Verdict(case, label, "fail" if missing else "pass",
                       f"missing {missing}" if missing else "")
    for dotted, value in expected.items():
        if dotted in {"description", "interpolation_env", "note"}:
            continue
        found, actual = lookup(parsed, dotted.replace("[", ".").replace("]", ""))
        if value == "(absent)":
            problem = f"{dotted}: should be absent" if found else None
        elif not found:
            problem = f"{dotted}: missing"
        else:
            problem = subset_mismatch(value, actual, dotted)
        if problem:
            return Verdict(case, label, "fail", problem)
    return Verdict(case, label, "pass")


def _error_matches(expected: str, stderr: str) -> bool:
    tail = expected.split(": ", 1)[-1] if ": " in expected else expected
    return expected in stderr or tail in stderr


def _judge_reference(run: Run, outcome: Outcome, parsed: Any) -> Verdict:
    case = run.case_dir.name
    label = f"{run.name} [reference]"
    reference = run.case_dir / "reference"
    candidates = [reference / f"{run.name}{ext}"
                  for ext in (".json", ".yaml", ".txt", ".error.txt")]
    found = next((p for p in candidates if p.exists()), None)
    if found is None:
        return Verdict(case, label, "skip", "no reference file")
    if found.name.endswith(".error.txt"):
        ok = outcome.code != 0
        return Verdict(case, label, "pass" if ok else "fail",
                       "" if ok else "succeeded where docker compose failed: "
                       + substitute(found.read_text(), run.case_dir).strip()[:200])
    if outcome.code != 0:
        return Verdict(case, label, "fail", f"exit {outcome.code}: {outcome.stderr.strip()}")
    expected = load_expected(run.case_dir, str(found.relative_to(run.case_dir)))
    if found.suffix == ".txt":
        ok = outcome.stdout.strip() == str(expected).strip()
        return Verdict(case, label, "pass" if ok else "fail",
                       "" if ok else f"stdout {outcome.stdout.strip()!r}")
    if parsed == expected:
        return Verdict(case, label, "pass")
    return Verdict(case, label, "fail", first_difference(expected, parsed))


def first_difference(expected: Any, actual: Any, path: str = "") -> str:
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual), key=str):
            if key not in actual:
                return f"{path}.{key}: missing (expected {expected[key]!r})"[:300]
            if key not in expected:
                return f"{path}.{key}: unexpected {actual[key]!r}"[:300]
            if expected[key] != actual[key]:
                return first_difference(expected[key], actual[key], f"{path}.{key}")
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for index, (a, b) in enumerate(zip(expected, actual, strict=True)):
            if a != b:
                return first_difference(a, b, f"{path}[{index}]")
    return f"{path or '.'}: expected {expected!r}, got {actual!r}"[:300]


def cases() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p.parent for p in CORPUS.glob("*/case.yaml"))


def judge_case(case_dir: Path) -> list[Verdict]:
    spec = yaml.safe_load((case_dir / "case.yaml").read_text())
    verdicts = []
    for run_spec in spec.get("runs", []):
        verdicts += judge_run(Run(case_dir, run_spec))
    return verdicts


def main() -> None:
    """``python -m tests.corpus.harness``: the per-run table, for working on the loader."""
    import sys

    only = sys.argv[1:]
    total = {"pass": 0, "fail": 0, "skip": 0}
    for case_dir in cases():
        if only and not any(o in case_dir.name for o in only):
            continue
        for verdict in judge_case(case_dir):
            total[verdict.status] += 1
            if verdict.status != "skip" or only:
                print(f"{verdict.status:4}  {verdict.case}  {verdict.run}  {verdict.detail}")
    print(total)


if __name__ == "__main__":
    main()
