"""Python function -> Anthropic tool definition, and the validator for the model's input.

One pydantic model, built from the signature, serves both jobs: its JSON schema is the
tool's ``input_schema`` and its validation turns the model's ``tool_use`` input back into
arguments. So what the model is told and what the function receives cannot drift apart.
"""

from __future__ import annotations

import functools
import inspect
import re
import typing
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import docstring_parser
import pydantic
from pydantic.json_schema import PydanticJsonSchemaWarning

from ..exceptions import ToolDefinitionError

__all__ = ["ToolDefinitionError", "ToolSpec", "describe_tool", "tool_definition"]

# The Messages API refuses other tool names.
_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")

# Keys whose values are maps of names to schemas, or plain data: "title" inside them is a
# name or a value, not a schema title.
_NAME_MAPS = frozenset({"properties", "$defs", "patternProperties"})
_DATA_KEYS = frozenset({"default", "enum", "const", "examples"})


@dataclass(frozen=True)
class ToolSpec:
    """One tool: its definition for the request and the validator for its input."""

    name: str
    func: Callable[..., Any]
    definition: dict[str, Any]
    _model: type[pydantic.BaseModel]
    # (model field name, parameter) in signature order.
    _params: tuple[tuple[str, inspect.Parameter], ...]

    def bind(self, arguments: Mapping[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Validate the model's input; return ``(args, kwargs)`` for ``func``.

        Raises ``pydantic.ValidationError``. Arguments the model left out are left out of
        the call too, so the function's own defaults apply exactly as written.
        """
        validated = self._model.model_validate(arguments)
        given = validated.model_fields_set
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for field, param in self._params:
            if param.kind is inspect.Parameter.POSITIONAL_ONLY:
                args.append(getattr(validated, field))
            elif field in given:
                kwargs[param.name] = getattr(validated, field)
        return tuple(args), kwargs


def tool_definition(func: Callable[..., Any], *, name: str | None = None) -> dict[str, Any]:
    """The ``{"name", "description", "input_schema"}`` dict for the Messages API ``tools``.

    The schema comes from the type hints, the description from the docstring (its prose
    before any section), and parameter descriptions from an ``Annotated[T, "text"]`` hint
    or from the docstring's Google (``Args:``), NumPy (``Parameters``) or reST
    (``:param x:``) section. A parameter without a type hint accepts any JSON value (its
    schema has no ``type``). ``*args`` and ``**kwargs`` are refused: the model can only
    send named arguments.
    """
    return describe_tool(func, name=name).definition


def describe_tool(func: Callable[..., Any], *, name: str | None = None) -> ToolSpec:
    """Build the ToolSpec of ``func``; raise ToolDefinitionError if it cannot be a tool."""
    label = name or getattr(func, "__name__", None) or type(func).__name__
    if not callable(func):
        raise ToolDefinitionError(f"cannot use {label} as a tool: it is not callable")
    if not _NAME_PATTERN.match(label):
        raise ToolDefinitionError(
            f"cannot use {label!r} as a tool name: use 1 to 64 letters, digits, _ or -"
        )

    def refuse(problem: str) -> ToolDefinitionError:
        return ToolDefinitionError(f"cannot use {label} as a tool: {problem}")

    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError) as exc:
        raise refuse(f"its signature cannot be read ({exc})") from None
    try:
        hints = typing.get_type_hints(_hint_source(func), include_extras=True)
    except Exception as exc:  # NameError for an undefined name, TypeError for bad hints
        raise refuse(f"its type hints cannot be resolved ({type(exc).__name__}: {exc})") from None

    doc = docstring_parser.parse(inspect.getdoc(_unpartial(func)) or "")
    doc_params = {p.arg_name: " ".join((p.description or "").split()) for p in doc.params}

    fields: dict[str, Any] = {}
    params: list[tuple[str, inspect.Parameter]] = []
    descriptions: dict[str, str] = {}
    for position, param in enumerate(signature.parameters.values()):
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            raise refuse(f"*{param.name} is not supported; name every parameter")
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            raise refuse(f"**{param.name} is not supported; name every parameter")
        annotation = hints.get(param.name, Any)
        # Field names are positional so that parameter names such as "json" or
        # "model_config" cannot clash with BaseModel attributes; the alias is the real name.
        field = f"p{position}"
        options: dict[str, Any] = {"alias": param.name}
        if param.default is not inspect.Parameter.empty:
            options["default"] = param.default
        fields[field] = (annotation, pydantic.Field(**options))
        params.append((field, param))
        description = _annotated_description(annotation) or doc_params.get(param.name)
        if description:
            descriptions[param.name] = description

    try:
        model = pydantic.create_model(
            f"{label}_arguments",
            __config__=pydantic.ConfigDict(extra="forbid", protected_namespaces=()),
            **fields,
        )
        with warnings.catch_warnings():
            # A default that JSON cannot express is left out of the schema; that is right.
            warnings.simplefilter("ignore", PydanticJsonSchemaWarning)
            raw_schema = model.model_json_schema(by_alias=True)
    except pydantic.PydanticUserError as exc:
        raise refuse(_first_unsupported(hints, signature) or str(exc).splitlines()[0]) from None

    properties = raw_schema.setdefault("properties", {})
    for param_name, description in descriptions.items():
        properties[param_name].setdefault("description", description)
    input_schema = _without_titles(_inline_refs(raw_schema))
    input_schema.setdefault("required", [])

    definition: dict[str, Any] = {"name": label}
    text = "\n\n".join(part for part in (doc.short_description, doc.long_description) if part)
    if text:
        definition["description"] = text
    definition["input_schema"] = input_schema
    return ToolSpec(
        name=label, func=func, definition=definition, _model=model, _params=tuple(params)
    )


def _unpartial(func: Callable[..., Any]) -> Callable[..., Any]:
    """The function inside ``functools.partial`` layers (a partial's own doc is generic)."""
    while isinstance(func, functools.partial):
        func = func.func
    return func


def _hint_source(func: Callable[..., Any]) -> Any:
    """The object whose annotations describe ``func``'s parameters."""
    func = _unpartial(func)
    if inspect.isclass(func):
        return func.__init__
    if inspect.isroutine(func):
        return func
    return type(func).__call__


def _annotated_description(annotation: Any) -> str | None:
    """The text of ``Annotated[T, "text"]`` (or a PEP 727 ``Doc("text")``), if any."""
    if typing.get_origin(annotation) is not typing.Annotated:
        return None
    for extra in annotation.__metadata__:
        if isinstance(extra, str):
            return extra
        documentation = getattr(extra, "documentation", None)
        if isinstance(documentation, str):
            return documentation
    return None


def _first_unsupported(hints: dict[str, Any], signature: inspect.Signature) -> str | None:
    """Name the parameter whose type has no JSON schema, to say more than pydantic does."""
    for param in signature.parameters.values():
        annotation = hints.get(param.name, Any)
        try:
            pydantic.TypeAdapter(annotation).json_schema()
        except pydantic.PydanticUserError:
            shown = getattr(annotation, "__name__", None) or repr(annotation)
            return f"parameter {param.name}: type {shown} has no JSON schema"
    return None


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """Replace ``$ref``s by the definitions they point to; keep only recursive ones.

    Inlined schemas read better (to the model and to people); a recursive type cannot be
    inlined, so its definition stays under ``$defs`` at the top level.
    """
    defs: dict[str, Any] = schema.get("$defs", {})
    kept: dict[str, Any] = {}
    pending: list[str] = []

    def resolve(node: Any, inside: frozenset[str]) -> Any:
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if not (isinstance(ref, str) and ref.startswith("#/$defs/")):
            return _map_subschemas(node, lambda sub: resolve(sub, inside))
        target = ref[len("#/$defs/") :]
        if target in inside:
            if target not in kept:
                kept[target] = None
                pending.append(target)
            return node
        # Keys beside the $ref (description, default) belong to this use, so they win.
        siblings = _map_subschemas(node, lambda sub: resolve(sub, inside))
        del siblings["$ref"]
        return {**resolve(defs[target], inside | {target}), **siblings}

    result = resolve({k: v for k, v in schema.items() if k != "$defs"}, frozenset())
    while pending:
        target = pending.pop()
        kept[target] = resolve(defs[target], frozenset({target}))
    if kept:
        result["$defs"] = kept
    return result


def _without_titles(node: Any) -> Any:
    """Drop pydantic's generated titles ("City" for ``city``): noise the model pays for."""
    if not isinstance(node, dict):
        return node
    return _map_subschemas({k: v for k, v in node.items() if k != "title"}, _without_titles)


def _map_subschemas(node: dict[str, Any], visit: Callable[[Any], Any]) -> dict[str, Any]:
    """Apply ``visit`` to each subschema of a schema node; names and data values stay."""
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DATA_KEYS:
            result[key] = value
        elif key in _NAME_MAPS and isinstance(value, dict):
            result[key] = {name: visit(sub) for name, sub in value.items()}
        elif isinstance(value, list):
            result[key] = [visit(item) for item in value]
        else:
            result[key] = visit(value)
    return result
