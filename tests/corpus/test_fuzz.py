"""Bad input never escapes as a traceback or a hang.

Hypothesis mutates real Compose files from the corpus (deletes keys, swaps
types, adds unknown keys, nests deeply, writes huge strings, breaks the YAML
text) and runs ``pycompose config`` on each: it must either succeed or print
exactly one ``error:`` line and exit non-zero.  Any other exception is a bug
and fails the test with its traceback.  PYCOMPOSE_FUZZ_EXAMPLES sets the count.
"""

from __future__ import annotations

import io
import os
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compose import app as cli
from tests.corpus.harness import CORPUS

EXAMPLES = int(os.environ.get("PYCOMPOSE_FUZZ_EXAMPLES", "1000"))


def _compose_files() -> list[str]:
    texts = []
    for path in sorted(CORPUS.glob("*/**/*.y*ml")) if CORPUS.is_dir() else []:
        if "reference" in path.parts or "expected" in path.name or path.name == "case.yaml":
            continue
        try:
            data = yaml.safe_load(path.read_text())
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        if isinstance(data, dict) and "services" in data:
            texts.append(path.read_text())
    return texts


FILES = _compose_files()
_scalar = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                    st.floats(allow_nan=True), st.text(max_size=20))
_value = st.recursive(_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield (*prefix, index)
            yield from _paths(value, (*prefix, index))


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(FILES))
    kind = draw(st.sampled_from(["delete", "retype", "unknown", "deep", "huge", "text",
                                 "truncate"]))
    if kind == "text":
        position = draw(st.integers(0, len(text)))
        junk = draw(st.sampled_from([":", "- ", "[", "{", "\t", "&a", "*a", "!!", "'", '"',
                                     "\n  x", "${", "$$", "<<: *x", "\x00"]))
        return text[:position] + junk + text[position:]
    if kind == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    data = yaml.safe_load(text)
    paths = list(_paths(data))
    path = draw(st.sampled_from(paths)) if paths else ("services",)
    parent = _parent(data, path)
    if kind == "delete":
        del parent[path[-1]]
    elif kind == "retype":
        parent[path[-1]] = draw(_value)
    elif kind == "unknown":
        target = parent if isinstance(parent, dict) else data
        target[draw(st.text(min_size=1, max_size=10))] = draw(_value)
    elif kind == "deep":  # written as text: PyYAML cannot dump thousands of levels
        parent[path[-1]] = "DEEP_NESTING_HERE"
    elif kind == "huge":
        parent[path[-1]] = "x" * draw(st.integers(10_000, 1_000_000))
    out = yaml.safe_dump(data, sort_keys=False, width=1 << 30)
    if kind == "deep":
        depth = draw(st.integers(50, 3000))
        opener = draw(st.sampled_from(["[", "{a: "]))
        closer = "]" if opener == "[" else "}"
        out = out.replace("DEEP_NESTING_HERE", opener * depth + "x" + closer * depth)
    return out


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    def expired(signum: int, frame: Any) -> None:
        raise TimeoutError(f"pycompose config did not finish in {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.skipif(not FILES, reason="the corpus (../shared/corpus) is not present")
@settings(max_examples=EXAMPLES, deadline=None, database=None,
          # the same inputs every run: a red CI is a regression, never a new draw
          # (run more, differently, locally with a larger PYCOMPOSE_FUZZ_EXAMPLES)
          derandomize=os.environ.get("PYCOMPOSE_FUZZ_RANDOM") != "1",
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.large_base_example])
@given(mutated())
def test_mutated_files_fail_cleanly(text: str) -> None:
    with tempfile.TemporaryDirectory(prefix="fuzz") as tmp:
        (Path(tmp) / "compose.yaml").write_text(text, errors="surrogateescape")
        out, err = io.StringIO(), io.StringIO()
        try:
            with deadline(60):  # a hang, not slowness: the machine may be busy
                code = cli.main(["-p", "fuzz", "config", "-q"],
                                environ={"PATH": "/usr/bin:/bin", "HOME": tmp}, cwd=tmp,
                                stdout=out, stderr=err)
        except TimeoutError:
            # keep the input for whoever investigates: hypothesis shortens its repr
            Path(tempfile.gettempdir(), "pycompose-fuzz-timeout.yaml").write_text(
                text, errors="surrogateescape")
            raise
    errors = [line for line in err.getvalue().splitlines() if line.startswith("error:")]
    if code == 0:
        assert not errors
    else:
        assert code == 1 and len(errors) == 1, err.getvalue()
        assert len(errors[0]) < 2000
