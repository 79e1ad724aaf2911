"""common/codecache.py: dataclasses' generated methods compiled once, kept in a
file, and the same classes from the file in the next process."""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from common import codecache

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
import builtins, sys
from pathlib import Path
from common import codecache
compiled = []
real = builtins.compile
builtins.compile = lambda *a, **k: (compiled.append(1), real(*a, **k))[1]
codecache.install_for_dataclasses(Path(sys.argv[1]))
from dataclasses import FrozenInstanceError, dataclass, field

@dataclass(frozen=True, order=True)
class Point:
    x: int
    y: int = 0
    tags: tuple[str, ...] = field(default=())

a, b = Point(1, 2), Point(1, 3, ("t",))
assert a < b and a == Point(1, 2) and hash(a) == hash(Point(1, 2))
assert repr(b) == "Point(x=1, y=3, tags=('t',))"
try:
    a.x = 5
except FrozenInstanceError:
    pass
else:
    raise AssertionError("not frozen")
print(len(compiled))
"""


def _run(cache: Path) -> int:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(SCRIPT), str(cache)],
                            cwd=REPO, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    return int(result.stdout)


def test_the_second_process_compiles_nothing_and_its_classes_behave_the_same(
        tmp_path: Path) -> None:
    cache = tmp_path / "generated"
    assert _run(cache) > 5  # __init__, __repr__, __eq__, the order, __hash__, frozen
    assert [f.name for f in cache.iterdir()] == ["__main__.marshal"]  # the class's module
    assert _run(cache) == 0


def test_a_torn_or_foreign_file_is_compiled_over(tmp_path: Path) -> None:
    cache = tmp_path / "generated"
    shard = cache / "__main__.marshal"
    cache.mkdir()
    shard.write_bytes(b"\x00not marshal")
    assert _run(cache) > 5
    assert _run(cache) == 0
    _, codes = marshal.loads(shard.read_bytes())
    shard.write_bytes(marshal.dumps((sys.hexversion - 1, codes)))  # another interpreter's
    assert _run(cache) > 5


def test_a_module_file_grown_too_large_keeps_only_what_a_process_used(
        tmp_path: Path) -> None:
    cache = tmp_path / "generated"
    assert _run(cache) > 5
    shard = cache / "__main__.marshal"
    _, codes = marshal.loads(shard.read_bytes())
    stale = {f"def __create_fn__():\n return {n}": compile("pass", "<string>", "exec")
             for n in range(codecache.MAX_ENTRIES)}
    shard.write_bytes(marshal.dumps((sys.hexversion, {**stale, **codes})))
    assert _run(cache) == 0  # nothing new: the file is left as it is
    unused = next(iter(codes))
    del codes[unused]  # one method to compile again: the file is rewritten
    shard.write_bytes(marshal.dumps((sys.hexversion, {**stale, **codes})))
    assert _run(cache) == 1
    _, kept = marshal.loads(shard.read_bytes())
    assert set(kept) == {*codes, unused}


DEFERRED = """
import sys
from pathlib import Path
from common import codecache
codecache.install_for_dataclasses(Path(sys.argv[1]))
from dataclasses import dataclass

@dataclass
class Told:
    '''Has its own docstring: inspect is not needed.'''
    x: int

assert "ast" not in sys.modules and type(sys.modules["inspect"]).__name__ == "_StandIn"

@dataclass
class Untold:
    x: int
    y: str = "a"

import inspect
assert Untold.__doc__ == "Untold(x: int, y: str = 'a')", Untold.__doc__
assert inspect.isclass(Untold) and inspect.__file__ and "ast" in sys.modules
assert sys.modules["inspect"] is inspect
"""


def test_inspect_is_imported_only_when_a_class_without_a_docstring_needs_it(
        tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(DEFERRED),
                             str(tmp_path / "generated")],
                            cwd=REPO, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr


ATTRS = """
import builtins, sys
from pathlib import Path
from common import codecache
compiled = []
real = builtins.compile
builtins.compile = lambda *a, **k: (compiled.append(a[1]), real(*a, **k))[1]
codecache.install_for_attrs(Path(sys.argv[1]))
import attrs

@attrs.frozen
class Point:
    x: int
    y: int = 0

@attrs.define(eq=True, hash=True, cache_hash=True)
class Cached:
    name: str

@attrs.frozen
class Empty:  # its hash's tuple is one folded constant
    pass

@attrs.define
class Mutable:
    items: list[int] = attrs.Factory(list)

p = Point(1, 2)
assert p == Point(1, 2) and p != Point(2, 1) and repr(p) == "Point(x=1, y=2)"
try:
    p.x = 3
except attrs.exceptions.FrozenInstanceError:
    pass
else:
    raise AssertionError("not frozen")
def type_hash(name):  # attrs: the hash of the class's generated file name
    return hash(f"<attrs generated hash __main__.{name}>")
assert hash(p) == hash((type_hash("Point"), 1, 2)), "hash"
assert hash(Cached("a")) == hash((type_hash("Cached"), "a"))
assert hash(Empty()) == hash((type_hash("Empty"),))
m = Mutable(); m.items.append(1)
assert Mutable().items == [] and Mutable.__hash__ is None
import linecache
assert "class Point" not in "".join(linecache.getlines("<attrs generated methods __main__.Point>"))
print(sum(name.startswith("<attrs generated") for name in compiled))
"""


def _run_attrs(cache: Path, seed: str) -> int:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(ATTRS), str(cache)],
                            cwd=REPO, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(REPO),
                                 "PYTHONHASHSEED": seed})
    assert result.returncode == 0, result.stderr
    return int(result.stdout)


def test_attrs_classes_compile_once_with_each_start_s_own_hash(tmp_path: Path) -> None:
    """The second process (another hash seed: another number in each ``__hash__``)
    compiles nothing, and its hashes are those attrs itself would make."""
    cache = tmp_path / "generated"
    assert _run_attrs(cache, "1") >= 3
    assert [f.name for f in cache.iterdir()] == ["attrs.marshal"]
    assert _run_attrs(cache, "2") == 0
    assert _run_attrs(cache, "random") == 0
