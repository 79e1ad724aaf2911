"""``pycompose convert`` over every sample: golden manifests and warnings, every
manifest valid against the Kubernetes schemas, and the round trip.

Regenerate the goldens with ``UPDATE_GOLDEN=1 pytest tests/unit``.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import yaml

from compose import app as cli
from compose.cli.commands.convert import convert_project
from compose.convert.base import ConvertOptions
from compose.convert.output import stream
from compose.spec.loader import LoadOptions, load_project
from tests.convert_checks import round_trip, validate_all

REPO = Path(__file__).resolve().parents[2]
SAMPLES = sorted(p.parent.name for p in (REPO / "samples").glob("*/compose.yaml"))
GOLDEN = Path(__file__).parent / "golden" / "convert"
UPDATE = bool(os.environ.get("UPDATE_GOLDEN"))


def _check_golden(path: Path, text: str) -> None:
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if not UPDATE:
            pytest.fail(f"wrote new golden file {path}; check it and rerun")
    assert text == path.read_text()


@pytest.mark.parametrize("sample", SAMPLES)
def test_sample_golden_valid_and_complete(sample: str) -> None:
    load = LoadOptions(cwd=str(REPO / "samples" / sample), environ={})
    conversion, _ = convert_project(load, ConvertOptions())
    _check_golden(GOLDEN / sample / "manifests.yaml", stream(conversion.manifests, "yaml"))
    warnings = "".join(f"{w}\n" for w in conversion.warnings)
    _check_golden(GOLDEN / sample / "warnings.txt",
                  warnings.replace(str(REPO / "samples" / sample), "__SAMPLE_DIR__"))
    validate_all(conversion.manifests)
    round_trip(load_project(load).canonical, conversion.manifests, conversion.warnings)


def test_cli_writes_one_file_per_object_in_apply_order(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["convert", "-o", str(tmp_path / "k8s"), "--namespace", "demo"],
                    environ={}, cwd=str(REPO / "samples" / "selfheal"), stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    names = sorted(p.name for p in (tmp_path / "k8s").iterdir())
    assert names[0] == "00-namespace-demo.yaml"
    assert names[-1].startswith("10-deployment-")
    documents = [yaml.safe_load((tmp_path / "k8s" / n).read_text()) for n in names]
    validate_all(documents)
    assert all(d["metadata"].get("namespace") == "demo" for d in documents[1:])
    binding = next(d for d in documents if d["kind"] == "RoleBinding")
    assert binding["subjects"][0]["namespace"] == "demo"


def test_cli_json_is_a_list() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["convert", "--format", "json"], environ={},
                    cwd=str(REPO / "samples" / "networks"), stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    document = yaml.safe_load(out.getvalue())
    assert document["kind"] == "List"
    validate_all(document["items"])


def test_cli_scale_and_service_type() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["convert", "--scale", "web=3", "--service-type", "nodeport"], environ={},
                    cwd=str(REPO / "samples" / "networks"), stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    documents = list(yaml.safe_load_all(out.getvalue()))
    web = next(d for d in documents if d["kind"] == "Deployment"
               and d["metadata"]["name"] == "web")
    assert web["spec"]["replicas"] == 3
    published = next(d for d in documents if d["metadata"]["name"] == "web-published")
    assert published["spec"]["type"] == "NodePort"
    assert "8080 is outside the NodePort range" in err.getvalue()


def test_cli_unknown_scaled_service_is_one_line() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["convert", "--scale", "nope=2"], environ={},
                    cwd=str(REPO / "samples" / "hello"), stdout=out, stderr=err)
    assert code == 1
    assert err.getvalue() == "error: --scale: no such service: nope\n"


def test_converting_again_removes_only_its_own_stale_files(tmp_path: Path) -> None:
    out = tmp_path / "k8s"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "07-service-other.yaml").write_text("metadata: {labels: {x: y}}\n")
    (out / "07-service-gone.yaml").write_text(
        "metadata: {labels: {app.kubernetes.io/managed-by: pycompose, "
        "app.kubernetes.io/part-of: hello}}\n")
    (out / "07-service-theirs.yaml").write_text(
        "metadata: {labels: {app.kubernetes.io/managed-by: pycompose, "
        "app.kubernetes.io/part-of: another}}\n")
    code = cli.main(["convert", "-o", str(out)], environ={},
                    cwd=str(REPO / "samples" / "hello"), stdout=io.StringIO(),
                    stderr=io.StringIO())
    assert code == 0
    names = {p.name for p in out.iterdir()}
    assert "07-service-gone.yaml" not in names
    assert {"notes.txt", "07-service-other.yaml", "07-service-theirs.yaml",
            "07-service-web.yaml"} <= names


def test_named_services_bring_their_dependencies() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["convert", "migrate"], environ={},
                    cwd=str(REPO / "samples" / "selfheal"), stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    workloads = sorted(d["metadata"]["name"] for d in yaml.safe_load_all(out.getvalue())
                       if d["kind"] in ("Deployment", "Job"))
    assert workloads == ["db", "migrate"]
    code = cli.main(["convert", "nope"], environ={}, cwd=str(REPO / "samples" / "selfheal"),
                    stdout=io.StringIO(), stderr=(err := io.StringIO()))
    assert (code, err.getvalue()) == (1, "error: no such service: nope\n")
