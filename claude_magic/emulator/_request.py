"""Request checks: refuse a malformed Messages body with a message that names the field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["RequestError", "check_messages_request"]


class RequestError(ValueError):
    """A request the API would refuse with 400 ``invalid_request_error``."""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_blocks(blocks: list[Any], where: str) -> None:
    if not blocks:
        raise RequestError(f"{where}: all messages must have non-empty content")
    for i, block in enumerate(blocks):
        if not isinstance(block, Mapping) or not isinstance(block.get("type"), str):
            raise RequestError(f"{where}.{i}.type: Field required")
        if block["type"] == "text" and not (isinstance(block.get("text"), str) and block["text"]):
            raise RequestError(f"{where}.{i}.text: text content blocks must be non-empty")


#: API version 2026-10-21 (sent by SDK 2.x) refuses sampling parameters, even at defaults;
#: the previous version, 2023-06-01, still accepts them.
LEGACY_API_VERSION = "2023-06-01"
SAMPLING_FIELDS = ("temperature", "top_p", "top_k")


def check_messages_request(body: Any, *, need_max_tokens: bool = True, api_version: str | None = None) -> None:
    """Raise :class:`RequestError` for what the API refuses; extra fields are allowed."""
    if not isinstance(body, Mapping):
        raise RequestError("request body must be a JSON object")
    if api_version != LEGACY_API_VERSION:
        for name in SAMPLING_FIELDS:
            if name in body:
                raise RequestError(f"{name}: Extra inputs are not permitted")
    if "model" not in body:
        raise RequestError("model: Field required")
    if not isinstance(body["model"], str) or not body["model"]:
        raise RequestError("model: Input should be a non-empty string")
    if need_max_tokens:
        if "max_tokens" not in body:
            raise RequestError("max_tokens: Field required")
        # 0 is allowed: it warms the prompt cache without generating anything.
        if not _is_int(body["max_tokens"]) or body["max_tokens"] < 0:
            raise RequestError("max_tokens: Input should be greater than or equal to 0")
    if "messages" not in body:
        raise RequestError("messages: Field required")
    messages = body["messages"]
    if not isinstance(messages, list):
        raise RequestError("messages: Input should be a valid list")
    if not messages:
        raise RequestError("messages: at least one message is required")
    for i, message in enumerate(messages):
        if not isinstance(message, Mapping):
            raise RequestError(f"messages.{i}: Input should be an object with `role` and `content`")
        # SDK 2.14's MessageParam also has system messages (text only).
        if message.get("role") not in ("user", "assistant", "system"):
            raise RequestError(f"messages.{i}.role: Input should be 'user', 'assistant' or 'system'")
        content = message.get("content")
        if isinstance(content, str):
            # The API allows an empty final assistant message (a prefill), nothing else.
            if not content and not (message["role"] == "assistant" and i == len(messages) - 1):
                raise RequestError(f"messages.{i}.content: all messages must have non-empty content")
        elif isinstance(content, list):
            _check_blocks(content, f"messages.{i}.content")
        else:
            raise RequestError(f"messages.{i}.content: Field required (a string or a list of blocks)")
    system = body.get("system")
    if system is not None and not isinstance(system, str):
        if not isinstance(system, list):
            raise RequestError("system: Input should be a string or a list of text blocks")
        if system:
            _check_blocks(system, "system")
    stops = body.get("stop_sequences")
    if stops is not None and not (isinstance(stops, list) and all(isinstance(s, str) for s in stops)):
        raise RequestError("stop_sequences: Input should be a list of strings")
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise RequestError("tools: Input should be a valid list")
        for i, tool in enumerate(tools):
            if not isinstance(tool, Mapping) or not isinstance(tool.get("name"), str):
                raise RequestError(f"tools.{i}.name: Field required")
    if "stream" in body and not isinstance(body["stream"], bool):
        raise RequestError("stream: Input should be a valid boolean")
