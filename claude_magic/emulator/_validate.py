"""Request validation with the API's rules and words, for ``/v1/messages`` and ``count_tokens``.

:func:`validate` runs the checks in the API's order: the body's shape, unknown or missing
fields, the model (unknown or retired: 404), then what the model allows (``max_tokens``,
sampling parameters, thinking, effort, structured output, prefill) and what the
conversation must hold (tool results that answer the tool calls before them, signed
thinking blocks). Each refusal is a :class:`Refusal` carrying status, type and message.
Messages quoted from the API are used as they are; the few written in its style are
marked "(API style)".
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from . import _script
from ._catalog import CatalogModel, find_model
from ._fields import FieldError, check_fields
from ._request import LEGACY_API_VERSION, SAMPLING_FIELDS, RequestError, check_messages_request

__all__ = ["Refusal", "sign_thinking", "validate"]

PREFILL_UNSUPPORTED = (
    "This model does not support assistant message prefill. The conversation must end with a user message."
)
THINKING_DOCS = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"


@dataclass
class Refusal(Exception):
    """A request the API refuses: the HTTP status, the error type and the message."""

    status: int
    error_type: str
    message: str

    def __str__(self) -> str:
        return self.message


def _bad(message: str) -> Refusal:
    return Refusal(400, "invalid_request_error", message)


def sign_thinking(thinking: str) -> str:
    """The signature the emulator gives a thinking block: opaque, long, and checkable."""
    # surrogatepass: a hostile body may hold lone surrogates, which plain UTF-8 refuses.
    digest = hashlib.sha512(b"claude_magic emulator thinking\0" + thinking.encode("utf-8", "surrogatepass")).digest()
    return base64.b64encode(digest + hashlib.sha512(digest).digest()).decode()


def validate(
    body: Any,
    *,
    headers: Mapping[str, str],
    script: _script.Script,
    count_tokens: bool = False,
    any_model: bool = False,
) -> CatalogModel | None:
    """Raise :class:`Refusal` for what the API refuses; returns the model's catalogue entry.

    A model named only by a script rule (or any model, with ``any_model``, as a replay
    serves) is accepted with no limits.
    """
    legacy = headers.get("anthropic-version") == LEGACY_API_VERSION
    try:
        check_messages_request(body, need_max_tokens=not count_tokens, api_version=headers.get("anthropic-version"))
        check_fields(
            body,
            endpoint="count_tokens" if count_tokens else "messages",
            beta=bool(headers.get("anthropic-beta")),
            # API version 2023-06-01 still has the sampling parameters 2026-10-21 removed.
            also_allowed=frozenset(SAMPLING_FIELDS) if legacy else frozenset(),
        )
    except (RequestError, FieldError) as exc:
        raise _bad(str(exc)) from None
    name: str = body["model"]
    model = find_model(name)
    if model is None or model.lifecycle == "retired":
        if model is None and (any_model or script.names_model(name)):
            _check_conversation(body, None, script)
            return None
        # A retired model answers like one that never existed.
        raise Refusal(404, "not_found_error", f"model: {name}")
    if not count_tokens:
        _check_max_tokens(body, model)
    _check_sampling(body, model)
    _check_thinking(body, model, count_tokens=count_tokens)
    _check_output_config(body, model)
    _check_conversation(body, model, script)
    return model


def _check_max_tokens(body: Mapping[str, Any], model: CatalogModel) -> None:
    if body["max_tokens"] > model.max_tokens:
        raise _bad(
            f"max_tokens: {body['max_tokens']} > {model.max_tokens}, which is the maximum allowed number of "
            f"output tokens for {model.id}"
        )


def _check_sampling(body: Mapping[str, Any], model: CatalogModel) -> None:
    for name in SAMPLING_FIELDS:
        if name in body and not model.temperature:
            raise _bad(f"{name} is deprecated for this model.")


def _check_thinking(body: Mapping[str, Any], model: CatalogModel, *, count_tokens: bool) -> None:
    thinking = body.get("thinking")
    if not isinstance(thinking, Mapping):
        return
    kind = thinking.get("type")
    if kind not in model.thinking_types:
        if kind == "enabled" and "adaptive" in model.thinking_types:
            raise _bad(  # (API style)
                '"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive" and '
                '"output_config.effort" to control thinking behavior.'
            )
        supported = ", ".join(sorted(model.thinking_types))
        raise _bad(f'thinking.type: "{kind}" is not supported by {model.id}; supported types: {supported}')
    choice = body.get("tool_choice")
    if kind in ("enabled", "adaptive") and isinstance(choice, Mapping) and choice.get("type") in ("any", "tool"):
        raise _bad("Thinking may not be enabled when tool_choice forces tool use.")
    if kind == "enabled":
        budget = thinking.get("budget_tokens")
        if not isinstance(budget, int) or isinstance(budget, bool) or budget < 1024:
            raise _bad("thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")
        if not count_tokens and budget >= body["max_tokens"] and body["max_tokens"] > 0:
            raise _bad(
                "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at "
                f"{THINKING_DOCS}#max-tokens-and-context-window-size"
            )


def _check_output_config(body: Mapping[str, Any], model: CatalogModel) -> None:
    config = body.get("output_config")
    if not isinstance(config, Mapping):
        return
    effort = config.get("effort")
    if effort is not None:
        if not model.efforts:
            raise _bad("output_config.effort: This model does not support the effort parameter.")
        if effort not in model.efforts:
            supported = ", ".join(model.efforts)
            raise _bad(  # (API style)
                f'output_config.effort: "{effort}" is not supported by {model.id}; supported values: {supported}'
            )
    if config.get("format") is not None and not model.structured_outputs:
        raise _bad(f"output_config.format: structured outputs are not supported by {model.id}")  # (API style)


def _blocks(message: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content if isinstance(b, Mapping)] if isinstance(content, list) else []


def _ids(blocks: list[Mapping[str, Any]], kind: str, key: str) -> Iterator[tuple[int, str]]:
    for index, block in enumerate(blocks):
        if block.get("type") == kind:
            yield index, str(block.get(key))


def _check_conversation(body: Mapping[str, Any], model: CatalogModel | None, script: _script.Script) -> None:
    messages: list[Mapping[str, Any]] = body["messages"]
    for i, message in enumerate(messages):
        blocks = _blocks(message)
        if message["role"] == "user":
            previous = _blocks(messages[i - 1]) if i and messages[i - 1]["role"] == "assistant" else []
            called = {tool_id for _, tool_id in _ids(previous, "tool_use", "id")}
            for j, tool_id in _ids(blocks, "tool_result", "tool_use_id"):
                if tool_id not in called:
                    raise _bad(
                        f"messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result` blocks: "
                        f"{tool_id}. Each `tool_result` block must have a corresponding `tool_use` block in the "
                        "previous message."
                    )
        elif message["role"] == "assistant":
            _check_signatures(blocks, i, script)
            following = messages[i + 1] if i + 1 < len(messages) else None
            if following is None:
                continue
            answered = {t for _, t in _ids(_blocks(following), "tool_result", "tool_use_id")}
            if following["role"] != "user":
                answered = set()
            missing = [tool_id for _, tool_id in _ids(blocks, "tool_use", "id") if tool_id not in answered]
            if missing:
                raise _bad(
                    f"messages.{i}: `tool_use` ids were found without `tool_result` blocks immediately after: "
                    f"{', '.join(missing)}. Each `tool_use` block must have a corresponding `tool_result` block "
                    "in the next message."
                )
    if messages[-1]["role"] == "assistant":
        _check_prefill(body, messages[-1], model)
    _check_thinking_turn(body)


def _check_signatures(blocks: list[Mapping[str, Any]], i: int, script: _script.Script) -> None:
    """A thinking block sent back must be the one the model wrote: its signature must match."""
    scripted = {
        (block.thinking, block.signature)
        for rule in script.rules
        for block in rule.blocks
        if isinstance(block, _script.ThinkingBlock) and block.signature
    }
    for j, block in enumerate(blocks):
        if block.get("type") != "thinking":
            continue
        thinking, signature = str(block.get("thinking", "")), str(block.get("signature", ""))
        if signature != sign_thinking(thinking) and (thinking, signature) not in scripted:
            raise _bad(f"messages.{i}.content.{j}: Invalid `signature` in `thinking` block")


def _check_thinking_turn(body: Mapping[str, Any]) -> None:
    """With thinking on, the assistant turn being continued must start with its thinking block.

    That turn is a prefill (the conversation ends with it) or the tool call the last user
    message answers with tool results: a tool loop must send the signed thinking back.
    """
    thinking = body.get("thinking")
    if not (isinstance(thinking, Mapping) and thinking.get("type") in ("enabled", "adaptive")):
        return
    messages: list[Mapping[str, Any]] = body["messages"]
    index = len(messages) - 1
    if messages[index]["role"] != "assistant":
        answers_tools = any(b.get("type") == "tool_result" for b in _blocks(messages[index]))
        if not (answers_tools and index and messages[index - 1]["role"] == "assistant"):
            return
        index -= 1
    blocks = _blocks(messages[index])
    if blocks and blocks[0].get("type") not in ("thinking", "redacted_thinking"):
        raise _bad(
            f"messages.{index}.content.0.type: Expected `thinking` or `redacted_thinking`, "
            f"but found `{blocks[0].get('type')}`. When `thinking` is enabled, a final `assistant` message must "
            "start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). "
            "We recommend you include thinking blocks from previous turns. To avoid this requirement, disable "
            f"`thinking`. Please consult our documentation at {THINKING_DOCS}"
        )


def _check_prefill(body: Mapping[str, Any], last: Mapping[str, Any], model: CatalogModel | None) -> None:
    if model is not None and not model.prefill:
        raise _bad(PREFILL_UNSUPPORTED)
    blocks = _blocks(last)
    if blocks and blocks[-1].get("type") == "text":
        text = str(blocks[-1].get("text", ""))
        if text and text != text.rstrip():
            raise _bad("messages: final assistant content cannot end with trailing whitespace")
