"""Scripts: the declarative rules that tell the emulator how to answer, and their validation.

A script is an ordered list of rules; the first rule whose conditions all hold answers a
request, and a request no rule matches gets the default answer. Files are TOML (``.toml``)
or JSON (``.json``) holding ``rules = [...]``; the same structure can be built from Python
with ``Script(rules=[Rule(...)])``. A script with a mistake is refused as a whole with one
:class:`ScriptError` naming the rule (numbered from 0, like blocks) and the field.

Conditions (on the last user message: its text, text blocks and tool_result content):
  ``match`` (substring) or ``regex``; ``tools``/``tool_result`` (true/false); ``model``
  (a rule naming a model also makes the emulator accept that model name).
Answer:
  ``blocks``: ``{type="text", text}``, ``{type="thinking", thinking, signature?}``,
  ``{type="tool_use", name, input, id?}``; none means the default answer. ``usage``
  overrides ``input_tokens``/``cache_creation_input_tokens``/``cache_read_input_tokens``.
  ``delta_chars`` (fixed-size text deltas), ``json_chunk`` (tool JSON fragment size, 8).
Pacing:
  ``ttft`` (seconds before the first delta), ``tokens_per_second`` (absent: no delay).
Rate limits (a table beside ``rules``, not in a rule):
  ``[rate_limits]`` with ``requests_per_minute``, ``input_tokens_per_minute``,
  ``output_tokens_per_minute``; every reply carries ``anthropic-ratelimit-*`` headers that
  count down, and a request past a limit gets the API's 429 with ``retry-after``.
Faults, for the first ``times`` matching attempts (every attempt if absent):
  ``status`` (400 401 403 404 413 429 500 529) with ``retry_after``/``retry_after_ms`` and
  ``message``; ``error_after`` (n deltas, then an overloaded_error event); ``drop_after``
  (n deltas, then the connection closes); ``stall_after`` with ``stall_s`` (pause; absent:
  until the client leaves); ``echo_key`` (error messages include the key received).

Example (TOML)::

    [[rules]]
    name = "weather"
    match = "weather"
    tools = true
    [[rules.blocks]]
    type = "tool_use"
    name = "get_weather"
    input = { city = "Paris" }
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ._answer import last_user_has_tool_result, last_user_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

__all__ = [
    "FAULT_STATUSES",
    "RateLimits",
    "Rule",
    "Script",
    "ScriptError",
    "TextBlock",
    "ThinkingBlock",
    "ToolUseBlock",
    "UsageOverride",
    "example_scripts",
]

#: Status codes a rule may answer with, and the API's error type for each.
FAULT_STATUSES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}

_BLOCK_TYPES = ("text", "thinking", "tool_use")


class ScriptError(ValueError):
    """A script that cannot be used; the message names the rule and the field."""


class _RuleError(ScriptError):
    """A rule's own error, re-labelled with its index when the rule sits in a script."""

    def __init__(self, label: str, detail: str) -> None:
        super().__init__(f"rule ({label}): {detail}")
        self.detail = detail


class _Strict(BaseModel):
    # Extra fields are forbidden so a typo ("regx") is refused instead of silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


class TextBlock(_Strict):
    """Answer text, streamed as ``text_delta`` pieces."""

    type: Literal["text"] = "text"
    text: str


class ThinkingBlock(_Strict):
    """Extended thinking, streamed as ``thinking_delta`` pieces then one ``signature_delta``."""

    type: Literal["thinking"] = "thinking"
    thinking: str
    signature: str | None = None


class ToolUseBlock(_Strict):
    """A tool call whose input JSON streams as ``input_json_delta`` fragments."""

    type: Literal["tool_use"] = "tool_use"
    name: str = Field(min_length=1)
    input: dict[str, Any] = Field(default_factory=dict)
    id: str | None = None
    #: Stream this text as the input JSON instead of ``input``: lets a script send input that
    #: does not parse, as a model occasionally does, to exercise a client's error handling.
    raw_input: str | None = None


Block = Annotated[TextBlock | ThinkingBlock | ToolUseBlock, Field(discriminator="type")]


class UsageOverride(_Strict):
    """Usage numbers a rule imposes instead of the emulator's estimates."""

    input_tokens: int | None = Field(default=None, ge=0)
    cache_creation_input_tokens: int | None = Field(default=None, ge=0)
    cache_read_input_tokens: int | None = Field(default=None, ge=0)


class Rule(_Strict):
    """One rule: conditions on the request, then the answer (blocks, pacing, faults)."""

    name: str | None = None
    # Conditions; an absent condition matches everything.
    match: str | None = None
    regex: str | None = None
    tools: bool | None = None
    tool_result: bool | None = None
    #: The request ends with an assistant turn to continue from (a prefill).
    prefill: bool | None = None
    model: str | None = None
    # The answer; no blocks means the emulator's default answer.
    blocks: list[Block] = Field(default_factory=list)
    usage: UsageOverride | None = None
    delta_chars: int | None = Field(default=None, gt=0)
    json_chunk: int = Field(default=8, gt=0)
    ttft: float | None = Field(default=None, ge=0)
    tokens_per_second: float | None = Field(default=None, gt=0)
    # Faults, applied to the first `times` matching attempts (every attempt if absent).
    status: int | None = None
    times: int | None = Field(default=None, ge=1)
    retry_after: float | None = Field(default=None, ge=0)
    retry_after_ms: int | None = Field(default=None, ge=0)
    message: str | None = None
    error_after: int | None = Field(default=None, ge=0)
    drop_after: int | None = Field(default=None, ge=0)
    stall_after: int | None = Field(default=None, ge=0)
    stall_s: float | None = Field(default=None, ge=0)
    echo_key: bool = False

    def __init__(self, **data: Any) -> None:
        # Direct construction from Python reports like a loaded script does.
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _RuleError(_name_of(data), _describe(exc)) from None

    @field_validator("regex")
    @classmethod
    def _regex_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from None
        return value

    @field_validator("status")
    @classmethod
    def _status_known(cls, value: int | None) -> int | None:
        if value is not None and value not in FAULT_STATUSES:
            allowed = ", ".join(str(code) for code in FAULT_STATUSES)
            raise ValueError(f"unsupported status {value} (expected one of {allowed})")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        if self.match is not None and self.regex is not None:
            raise ValueError("give `match` or `regex`, not both")
        if self.error_after is not None and self.drop_after is not None:
            raise ValueError("give `error_after` or `drop_after`, not both")
        if self.stall_s is not None and self.stall_after is None:
            raise ValueError("`stall_s` needs `stall_after`")
        if (self.retry_after is not None or self.retry_after_ms is not None) and self.status is None:
            raise ValueError("`retry_after`/`retry_after_ms` need `status`")
        if self.times is not None and not self.has_fault:
            raise ValueError("`times` needs a fault (status, error_after, drop_after or stall_after)")
        return self

    def matches(self, body: Mapping[str, Any]) -> bool:
        """Whether this rule answers ``body`` (a checked Messages request)."""
        messages = body.get("messages")
        text = last_user_text(messages)
        if self.match is not None and self.match not in text:
            return False
        if self.regex is not None and re.search(self.regex, text) is None:
            return False
        if self.tools is not None and self.tools != bool(body.get("tools")):
            return False
        if self.tool_result is not None and self.tool_result != last_user_has_tool_result(messages):
            return False
        if self.prefill is not None:
            ends_with_assistant = bool(messages) and isinstance(messages[-1], Mapping) and (
                messages[-1].get("role") == "assistant"
            )
            if self.prefill != ends_with_assistant:
                return False
        return self.model is None or self.model == body.get("model")

    @property
    def has_fault(self) -> bool:
        """Whether this rule injects a fault on its first `times` attempts."""
        faults = (self.status, self.error_after, self.drop_after, self.stall_after)
        return any(fault is not None for fault in faults)

    @property
    def label(self) -> str:
        """How messages name this rule: ``'weather'`` or ``<unnamed>``."""
        return repr(self.name) if self.name else "<unnamed>"


class RateLimits(_Strict):
    """Per-minute limits ``/v1/messages`` counts down against (absent: a large organization's)."""

    requests_per_minute: int = Field(default=4_000, gt=0)
    input_tokens_per_minute: int = Field(default=2_000_000, gt=0)
    output_tokens_per_minute: int = Field(default=400_000, gt=0)


class Script(_Strict):
    """An ordered list of rules; the first rule that matches a request answers it."""

    rules: list[Rule] = Field(default_factory=list)
    #: ``[rate_limits]`` in a file: limits the emulator enforces with real 429s.
    rate_limits: RateLimits = Field(default_factory=RateLimits)

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise ScriptError(_describe(exc, rules=data.get("rules"))) from None

    def first_match(self, body: Mapping[str, Any]) -> Rule | None:
        """The rule that answers ``body``: the first that matches, in order."""
        return next((rule for rule in self.rules if rule.matches(body)), None)

    def names_model(self, model: str) -> bool:
        """Whether a rule is written for ``model`` (so the emulator accepts that name)."""
        return any(rule.model == model for rule in self.rules)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Script:
        """Build a script from plain data (what a TOML or JSON file holds)."""
        if not isinstance(data, Mapping):
            raise ScriptError(f"a script is a table with `rules`, not {type(data).__name__}")
        return cls(**dict(data))

    @classmethod
    def load(cls, path: str | Path) -> Script:
        """Read a ``.toml`` or ``.json`` script file."""
        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ScriptError(f"cannot read script {str(path)!r}: {exc.strerror}") from None
        try:
            if path.suffix == ".toml":
                data = tomllib.loads(raw.decode("utf-8"))
            elif path.suffix == ".json":
                data = json.loads(raw)
            else:
                raise ScriptError(f"script {path.name!r}: use a .toml or .json file")
        except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ScriptError(f"script {path.name!r} is not valid {path.suffix[1:].upper()}: {exc}") from None
        try:
            return cls.from_dict(data)
        except ScriptError as exc:
            raise ScriptError(f"{path.name}: {exc}") from None

    @classmethod
    def example(cls, name: str) -> Script:
        """Load one of the scripts shipped with claude_magic (see :func:`example_scripts`)."""
        if name not in example_scripts():
            known = ", ".join(example_scripts())
            raise ScriptError(f"no example script {name!r} (shipped: {known})")
        with resources.as_file(resources.files(__package__) / "scripts" / f"{name}.toml") as path:
            return cls.load(path)


def example_scripts() -> list[str]:
    """Names of the example scripts shipped in ``claude_magic/emulator/scripts/``."""
    folder = resources.files(__package__) / "scripts"
    return sorted(entry.name[: -len(".toml")] for entry in folder.iterdir() if entry.name.endswith(".toml"))


def _describe(exc: ValidationError, *, rules: Any = None) -> str:
    """Turn pydantic's report into one line: ``rule 2 ('weather'): blocks.0.type: ...``."""
    errors = exc.errors()
    first = errors[0]
    loc = list(first["loc"])
    prefix = ""
    if loc[:1] == ["rules"] and len(loc) >= 2 and isinstance(loc[1], int):
        index = loc[1]
        entry = rules[index] if isinstance(rules, list) and index < len(rules) else None
        prefix = f"rule {index} ({_name_of(entry)}): "
        loc = loc[2:]
    inner = first.get("ctx", {}).get("error")
    if isinstance(inner, _RuleError):
        # Pydantic runs Rule.__init__ for nested rules; its message already names the field.
        return prefix + inner.detail
    # A discriminated union puts the tag in the path (blocks.0.tool_use.name): drop it.
    loc = [part for i, part in enumerate(loc) if not (part in _BLOCK_TYPES and i and isinstance(loc[i - 1], int))]
    if first["type"] in ("union_tag_invalid", "union_tag_not_found"):
        loc.append("type")
    field = ".".join(str(part) for part in loc)
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{prefix}{field + ': ' if field else ''}{_message(first)}{more}"


def _name_of(entry: Any) -> str:
    if isinstance(entry, Rule):
        return entry.label
    if isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
        return repr(entry["name"])
    return "<unnamed>"


def _message(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind == "union_tag_invalid":
        tag = error.get("ctx", {}).get("tag")
        return f"unknown block type {tag!r} (expected {', '.join(_BLOCK_TYPES)})"
    if kind == "union_tag_not_found":
        return f"block needs a `type` ({', '.join(_BLOCK_TYPES)})"
    if kind == "extra_forbidden":
        return "unknown field"
    message = str(error["msg"])
    # pydantic prefixes messages raised from validators with "Value error, ".
    return message.removeprefix("Value error, ")
