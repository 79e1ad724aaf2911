"""compose/spec/syntax/volumespec.py against the corpus table ``compose-go__volume-short-syntax``
(compose-go's ParseVolume tests), row by row."""

from __future__ import annotations

import json
from typing import Any

import pytest

from compose.spec.syntax.volumespec import VolumeSpecError, parse_volume
from tests.corpus.harness import CORPUS

_TABLE = CORPUS / "compose-go__volume-short-syntax" / "cases.json"


def _rows() -> list[Any]:
    if not _TABLE.is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason="no corpus"), id="no-corpus")]
    cases = json.loads(_TABLE.read_text())["cases"]
    return [pytest.param(case, id=f"{i}-{case['spec']!r}") for i, case in enumerate(cases)]


@pytest.mark.parametrize("case", _rows())
def test_row(case: dict[str, Any]) -> None:
    spec = case["spec"]
    if "error" in case or "error_contains" in case:
        with pytest.raises(VolumeSpecError) as info:
            parse_volume(spec)
        assert case.get("error", case.get("error_contains")) in str(info.value)
        return
    volume = parse_volume(spec)
    if "expected" in case:
        assert volume == case["expected"]
    if case.get("has_source"):
        assert volume.get("source")
