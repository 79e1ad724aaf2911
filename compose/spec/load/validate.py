"""Loader phase 3: validate a parsed file against the official Compose JSON schema.

The schema is vendored (``compose/schema/compose-spec.json``, source in SOURCE.md).
Only the first error is reported, pointing at the offending key's line, so the
user fixes one thing at a time as with docker compose.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    import jsonschema
    from jsonschema.exceptions import ValidationError

from compose.spec.load.parse import Document, KeyPath

SCHEMA = Path(__file__).resolve().parents[1] / "schema" / "compose-spec.json"
"""The official schema, as vendored (package data beside the modules)."""

_TYPE_NAMES = {
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "a boolean",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}


@cache
def _validator() -> jsonschema.Draft7Validator:
    import jsonschema  # on first use: it is a noticeable part of start-up time

    schema = json.loads(SCHEMA.read_text())
    return jsonschema.Draft7Validator(inline_refs(schema))


@cache
def _fast_validator() -> Any:
    """jsonschema-rs, formats not checked (as ``jsonschema``'s validator above):
    it only says whether a document is valid; the reasons come from ``_validator``."""
    import jsonschema_rs

    return jsonschema_rs.Draft7Validator(json.loads(SCHEMA.read_text()), validate_formats=False)


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with each non-recursive ``$ref`` to a definition replaced by the
    definition itself: the validator then resolves no references on the hot path
    (a quarter of the time on large files).  Recursive ones stay references."""
    definitions = schema.get("definitions", {})

    def inline(node: Any, stack: tuple[str, ...]) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/definitions/") and len(node) == 1:
                name = ref.rsplit("/", 1)[1]
                if name not in stack and name in definitions:
                    return inline(definitions[name], (*stack, name))
                return node
            return {key: inline(value, stack) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(value, stack) for value in node]
        return node

    return {key: value if key == "definitions" else inline(value, ())
            for key, value in schema.items()}


def validate(document: Document) -> None:
    """Raise ComposeFileError for the most relevant schema violation, if any."""
    if not isinstance(document.data, dict):
        found = "an empty file" if document.data is None else type(document.data).__name__
        raise document.error((), f"a Compose file must be a mapping, found {found}")
    if _fast_validator().is_valid(document.data):
        return
    from jsonschema.exceptions import best_match

    error = best_match(_validator().iter_errors(document.data))
    if error is None:
        return
    path, message = _explain(error)
    raise document.error(path, message)


def _explain(error: ValidationError) -> tuple[KeyPath, str]:
    path: KeyPath = tuple(error.absolute_path)
    schema: Any = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        extra = sorted(
            str(key) for key in error.instance
            if key not in schema.get("properties", {})
            and not any(re.search(p, str(key)) for p in schema.get("patternProperties", {}))
        )
        if extra:
            return (*path, extra[0]), f"additional property {extra[0]!r} is not allowed"
    if error.validator == "type":
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else list(cast(list[str], expected))
        wanted = " or ".join(_TYPE_NAMES.get(n, n) for n in names)
        return path, f"must be {wanted}, found {_describe(error.instance)}"
    if error.validator == "enum":
        allowed = ", ".join(repr(v) for v in cast(list[Any], error.validator_value))
        return path, f"must be one of {allowed}, found {error.instance!r}"
    if error.validator == "required":
        return path, error.message.replace("is a required property", "is required")
    if error.validator in {"oneOf", "anyOf"}:
        return path, f"invalid value {_describe(error.instance)}"
    return path, error.message


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
