"""A deterministic JSON value that validates against a JSON schema (for tool inputs and structured output).

Covers what tool schemas and pydantic models produce: objects with ``required`` fields and
nested ``$ref``/``$defs``, ``enum``/``const``, ``anyOf``/``oneOf``/``allOf``, arrays with
``minItems``, strings with ``format``/``minLength``/``maxLength``, and numbers within
their bounds. The same schema always gives the same value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["instance_of"]

_FORMATS = {
    "date": "2026-01-01",
    "date-time": "2026-01-01T00:00:00Z",
    "time": "00:00:00",
    "email": "ada@example.com",
    "uri": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "127.0.0.1",
    "hostname": "example.com",
}


#: Optional parts (properties not required, a first array item) stop being filled in past
#: this depth, so recursive schemas (a tree of nodes) end instead of growing without bound.
_OPTIONAL_DEPTH = 4
_MAX_DEPTH = 32


def instance_of(schema: Any, *, name: str = "value") -> Any:
    """A value valid for ``schema``; ``name`` (the property's) seeds strings."""
    return _instance(schema, schema if isinstance(schema, Mapping) else {}, name, depth=0)


def _resolve(ref: str, root: Mapping[str, Any]) -> Any:
    node: Any = root
    for part in ref.removeprefix("#/").split("/") if ref.startswith("#/") else []:
        node = node.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(node, Mapping) else {}
    return node


def _instance(schema: Any, root: Mapping[str, Any], name: str, depth: int) -> Any:
    if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
        return None if depth > _MAX_DEPTH else f"{name}"
    if "$ref" in schema:
        return _instance(_resolve(str(schema["$ref"]), root), root, name, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            options = [o for o in schema[key] if not (isinstance(o, Mapping) and o.get("type") == "null")]
            return _instance((options or schema[key])[0], root, name, depth + 1)
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            part = _resolve(part["$ref"], root) if isinstance(part, Mapping) and "$ref" in part else part
            if isinstance(part, Mapping):
                merged.setdefault("properties", {}).update(part.get("properties", {}))
                merged["required"] = [*merged.get("required", []), *part.get("required", [])]
                merged.update({k: v for k, v in part.items() if k not in ("properties", "required")})
        return _instance(merged, root, name, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    if kind == "object":
        properties = schema.get("properties") or {}
        required = set(schema.get("required") or ())
        # Every property near the top, required or not: an answer that fills the form in is useful.
        return {
            key: _instance(sub, root, key, depth + 1)
            for key, sub in properties.items()
            if key in required or depth < _OPTIONAL_DEPTH
        }
    if kind == "array":
        least = int(schema.get("minItems", 0))
        count = least if depth >= _OPTIONAL_DEPTH else max(least, 1)
        count = min(count, int(schema.get("maxItems", count)))
        items = schema.get("items", {})
        return [_instance(items, root, name, depth + 1) for _ in range(count)]
    if kind in ("integer", "number"):
        return _number(schema, integer=kind == "integer")
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _string(schema, name)


def _number(schema: Mapping[str, Any], *, integer: bool) -> int | float:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    value: float = 1
    if low is not None:
        value = low + 1 if "exclusiveMinimum" in schema and "minimum" not in schema else low
    if high is not None and value > high:
        value = high - 1 if "exclusiveMaximum" in schema and "maximum" not in schema else high
    step = schema.get("multipleOf")
    if step:
        value = math.ceil(value / step) * step
    return math.ceil(value) if integer else value


def _string(schema: Mapping[str, Any], name: str) -> str:
    text = _FORMATS.get(str(schema.get("format")), name)
    low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
    if len(text) < low:
        text = (text * (low // max(len(text), 1) + 1))[: max(low, 1)]
    if high is not None:
        text = text[: int(high)]
    return text
