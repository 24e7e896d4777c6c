"""Structured output: a user's type or schema as ``output_config.format``, and the answer checked against it.

``--json NAME`` names a pydantic model, a dataclass, a TypedDict or a JSON-schema dict. Its
schema goes out through the SDK's own ``transform_schema`` (what ``messages.parse`` sends:
closed objects, constraints the API does not enforce moved into descriptions), and the
answer is parsed and validated here against the *original* type, constraints included. So a
value the API let through but the type forbids is caught, and said in one line.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from ..exceptions import UserError

__all__ = ["OutputSchema", "Checked", "StructuredOutputError"]


class StructuredOutputError(UserError):
    """``--json NAME`` names something that is not a type or a schema."""


@dataclass(frozen=True)
class Checked:
    """An answer checked against its schema: the value, or one line saying what failed."""

    value: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _is_typeddict(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, dict) and hasattr(obj, "__annotations__") and hasattr(
        obj, "__total__"
    )


@dataclass(frozen=True)
class OutputSchema:
    """What ``--json NAME`` named, and the schema the request carries."""

    name: str
    target: Any
    kind: str  # "pydantic", "dataclass", "typeddict" or "schema"
    schema: dict[str, Any]

    @classmethod
    def from_object(cls, name: str, target: Any) -> OutputSchema:
        import anthropic
        import pydantic

        try:
            if isinstance(target, type) and issubclass(target, pydantic.BaseModel):
                kind, raw = "pydantic", target.model_json_schema()
            elif isinstance(target, type) and dataclasses.is_dataclass(target):
                kind, raw = "dataclass", pydantic.TypeAdapter(target).json_schema()
            elif _is_typeddict(target):
                kind, raw = "typeddict", pydantic.TypeAdapter(target).json_schema()
            elif isinstance(target, dict):
                kind, raw = "schema", target
            else:
                raise StructuredOutputError(
                    f"--json {name}: {name} is a {type(target).__name__}; give a pydantic model, a dataclass, "
                    "a TypedDict or a JSON-schema dict."
                )
        except pydantic.PydanticUserError as exc:
            # e.g. typing.TypedDict on Python < 3.12: pydantic's own first line says the fix.
            raise StructuredOutputError(f"--json {name}: {str(exc).splitlines()[0]}") from None
        if raw.get("type", "object") != "object":
            raise StructuredOutputError(f"--json {name}: the answer's schema must describe a JSON object.")
        return cls(name=name, target=target, kind=kind, schema=anthropic.transform_schema(dict(raw)))

    def check(self, text: str) -> Checked:
        """Parse and validate the answer: a model instance for pydantic, a dict otherwise."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            return Checked(error=f"--json {self.name}: the answer is not JSON ({exc.msg} at position {exc.pos}).")
        if self.kind == "schema":
            return self._check_schema(data)
        import pydantic

        try:
            if self.kind == "pydantic":
                return Checked(value=self.target.model_validate(data))
            pydantic.TypeAdapter(self.target).validate_python(data)
        except pydantic.ValidationError as exc:
            return Checked(error=f"--json {self.name}: the answer does not validate: {_first_error(exc)}")
        return Checked(value=data)

    def _check_schema(self, data: Any) -> Checked:
        import jsonschema

        try:
            jsonschema.validate(data, self.target)
        except jsonschema.ValidationError as exc:
            where = ".".join(str(p) for p in exc.absolute_path) or "the answer"
            return Checked(error=f"--json {self.name}: the answer does not validate: {where}: {exc.message}")
        except jsonschema.SchemaError as exc:
            return Checked(error=f"--json {self.name}: the schema itself is invalid: {exc.message}")
        return Checked(value=data)


def _first_error(exc: Any) -> str:
    errors = exc.errors()
    first = errors[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "the answer"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first.get('msg', 'invalid')}{more}"
