"""Running one tool call the model asked for, safely: every failure becomes an outcome.

Only the callables a ToolBox was built from can run. Whatever goes wrong (unknown name,
bad JSON, wrong arguments, an exception inside the tool) comes back as an ``is_error``
outcome whose content tells the model what to fix, never as an exception in the cell.

Sync tools run on the calling (event loop) thread, not in a worker thread. A notebook's
objects often belong to that thread (sqlite3 connections, matplotlib figures, widgets),
``print`` lands in the running cell, and Ctrl-C interrupts a slow tool at once; a worker
thread could not be stopped and would outlive the cell. Nothing else needs the loop while
a tool runs: the answer's stream has ended. A tool that waits on I/O can be ``async def``.
"""

from __future__ import annotations

import copy
import inspect
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pydantic
import pydantic_core

from ..secrets import redact
from .schema import ToolDefinitionError, ToolSpec, describe_tool

__all__ = ["ToolBox", "ToolOutcome", "resolve_tools", "DISPLAY_LIMIT"]

#: Characters of a tool result shown on screen; the model always gets all of it.
DISPLAY_LIMIT = 300

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


@dataclass(frozen=True)
class ToolOutcome:
    """What one tool call produced: the whole text for the model, a short one for people."""

    tool_use_id: str
    content: str
    is_error: bool
    display: str

    def to_param(self) -> dict[str, Any]:
        """The ``tool_result`` content block that answers the ``tool_use`` block."""
        block: dict[str, Any] = {"type": "tool_result", "tool_use_id": self.tool_use_id}
        # content is optional in the API; an empty string is better left out.
        if self.content:
            block["content"] = self.content
        if self.is_error:
            block["is_error"] = True
        return block


class ToolBox:
    """The tools one request may use: their definitions, and a safe way to call them."""

    def __init__(self, tools: Mapping[str, Callable[..., Any]]) -> None:
        # Definitions are built now, so a tool that cannot be described fails before the
        # request is sent rather than when the model first calls it.
        self._specs: dict[str, ToolSpec] = {
            name: describe_tool(func, name=name) for name, func in tools.items()
        }

    def __len__(self) -> int:
        return len(self._specs)

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __repr__(self) -> str:
        return f"ToolBox({', '.join(self._specs)})"

    @property
    def names(self) -> list[str]:
        return list(self._specs)

    def definitions(self) -> list[dict[str, Any]]:
        """The ``tools`` parameter of the request (copies: callers may add cache_control)."""
        return [copy.deepcopy(spec.definition) for spec in self._specs.values()]

    async def call(self, *, tool_use_id: str, name: str, raw_input: str | dict[str, Any]) -> ToolOutcome:
        """Run tool ``name`` with the model's input (a JSON text or an already parsed dict)."""
        spec = self._specs.get(name)
        if spec is None:
            available = ", ".join(self._specs) or "none"
            return _outcome(tool_use_id, f"unknown tool {name}; available: {available}", error=True)
        try:
            arguments = _parse_input(raw_input)
        except ValueError as exc:
            return _outcome(tool_use_id, f"invalid input for {name}: {exc}", error=True)
        try:
            args, kwargs = spec.bind(arguments)
        except pydantic.ValidationError as exc:
            return _outcome(
                tool_use_id, f"invalid arguments for {name}: {_explain(exc)}", error=True
            )
        try:
            result = spec.func(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
            text = _as_text(result)
        except Exception as exc:
            # The model gets the exception, not the traceback: enough to adjust its call.
            message = str(exc)
            return _outcome(
                tool_use_id, f"{type(exc).__name__}: {message}" if message else type(exc).__name__,
                error=True,
            )
        return _outcome(tool_use_id, text, error=False)


def resolve_tools(spec: str | Iterable[str | Callable[..., Any]], namespace: Mapping[str, Any]) -> ToolBox:
    """A ToolBox from ``"get_weather,convert"`` or a list of callables or names.

    Names are looked up in ``namespace`` (the user's) and the tool takes the name used
    there; a callable given directly takes its ``__name__``.
    """
    items: list[str | Callable[..., Any]] = (
        [part for part in re.split(r"[,\s]+", spec) if part] if isinstance(spec, str) else list(spec)
    )
    if not items:
        raise ToolDefinitionError("no tools named; give names such as get_weather,convert")
    tools: dict[str, Callable[..., Any]] = {}
    for item in items:
        if isinstance(item, str):
            if item not in namespace:
                raise ToolDefinitionError(f"tool {item} is not defined in the notebook")
            name, func = item, namespace[item]
            if not callable(func):
                raise ToolDefinitionError(
                    f"tool {item} is not callable (its type is {type(func).__name__})"
                )
        elif callable(item):
            name, func = getattr(item, "__name__", type(item).__name__), item
        else:
            raise ToolDefinitionError(
                f"tool {item!r} is neither a name nor a callable (its type is {type(item).__name__})"
            )
        if name in tools:
            raise ToolDefinitionError(f"tool {name} is named twice")
        tools[name] = func
    return ToolBox(tools)


def _parse_input(raw_input: str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(raw_input, str):
        # A tool without parameters streams no input_json_delta text at all.
        if not raw_input.strip():
            return {}
        try:
            raw_input = json.loads(raw_input)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON: {exc}") from None
    if not isinstance(raw_input, dict):
        raise ValueError(f"expected a JSON object, got {type(raw_input).__name__}")
    return raw_input


def _explain(exc: pydantic.ValidationError) -> str:
    """One line per problem, naming the argument: 'days: Input should be a valid integer'."""
    problems = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "input"
        if error["type"] == "missing":
            problems.append(f"missing argument {where}")
        elif error["type"] == "extra_forbidden":
            problems.append(f"unexpected argument {where}")
        else:
            got = repr(error.get("input"))
            got = got if len(got) <= 40 else got[:39] + "…"
            problems.append(f"argument {where}: {error['msg']} (got {got})")
    return "; ".join(problems)


def _as_text(value: Any) -> str:
    """A tool's return value as the text the model reads.

    Strings go as they are; anything JSON can say (dicts, lists, numbers, pydantic models,
    dataclasses) goes as JSON; other objects as their repr, without the memory address
    that would change on every run.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list, tuple, set, frozenset, int, float, bool, type(None))) or (
        isinstance(value, pydantic.BaseModel) or _is_dataclass_instance(value)
    ):
        return pydantic_core.to_json(value, fallback=_clean_repr).decode()
    return _clean_repr(value)


def _is_dataclass_instance(value: Any) -> bool:
    return hasattr(type(value), "__dataclass_fields__")


def _clean_repr(value: Any) -> str:
    return _ADDRESS.sub("", repr(value))


def _outcome(tool_use_id: str, content: str, *, error: bool) -> ToolOutcome:
    # A tool's text (its result, its exception, the model's arguments quoted back) may hold
    # the user's key (think `os.environ`): redacted before it is shown or sent to the model.
    content = redact(content)
    return ToolOutcome(
        tool_use_id=tool_use_id, content=content, is_error=error, display=_shorten(content)
    )


def _shorten(text: str) -> str:
    if len(text) <= DISPLAY_LIMIT:
        return text
    return f"{text[:DISPLAY_LIMIT]}… [{len(text) - DISPLAY_LIMIT} more characters]"
