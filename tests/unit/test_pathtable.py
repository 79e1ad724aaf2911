from __future__ import annotations

from compose.spec.load.pathtable import PathTable


def test_first_matching_pattern_in_table_order_wins() -> None:
    table = PathTable({
        ("services", "*", "ports"): "ports",
        ("services", "web", "*"): "web-anything",
        ("services", "*", "*"): "any",
    })
    assert table.lookup(("services", "db", "ports")) == "ports"
    assert table.lookup(("services", "web", "ports")) == "ports"
    assert table.lookup(("services", "web", "image")) == "web-anything"
    assert table.lookup(("services", "db", "image")) == "any"
    assert table.lookup(("services", "db")) is None
    assert table.lookup(()) is None


def test_indices_match_as_text() -> None:
    table = PathTable({("services", "*", "volumes", "*"): "item"})
    assert table.lookup(("services", "a", "volumes", 0)) == "item"
    assert table.lookup(("services", "a", "ports", 0)) is None
