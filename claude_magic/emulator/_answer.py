"""Text work on requests and answers: the default answer, token splitting, token estimates."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "default_answer",
    "estimate_input_tokens",
    "last_user_has_tool_result",
    "last_user_text",
    "split_tokens",
]

# Word-like pieces with their leading whitespace, plus trailing whitespace, so that
# "".join(pieces) == text always holds.
_TOKEN = re.compile(r"\s*\S+|\s+")

_OPENERS = (
    "This is an emulated answer from the claude_magic offline server, not from Claude.",
    "You are talking to claude_magic's local emulator; no model wrote this.",
    "The claude_magic emulator answers offline, so this reply is made up from your prompt.",
)
_MIDDLES = (
    "It streams like the real API: message_start, text deltas, message_delta and message_stop.",
    "Token counts are estimates: about four characters of your request make one input token.",
    "The same request always gets the same answer, which keeps notebooks and tests repeatable.",
    "A script file can make it answer with tool calls, thinking, slow streams or errors instead.",
)
_CLOSERS = (
    "Point ANTHROPIC_BASE_URL at the real API when you want real answers.",
    "Run it with a script to rehearse error handling before a workshop.",
    "Everything here happens on your own machine.",
)


def _block_text(block: Any) -> str:
    """Text a content block carries: text blocks, and the content of tool_result blocks."""
    if not isinstance(block, Mapping):
        return ""
    if block.get("type") == "text":
        return str(block.get("text", ""))
    if block.get("type") == "tool_result":
        content = block.get("content", "")
        if isinstance(content, str):
            return content
        if isinstance(content, list):
            return "\n".join(_block_text(item) for item in content if _block_text(item))
    return ""


def _last_user(messages: Any) -> Any:
    for message in reversed(messages if isinstance(messages, list) else []):
        if isinstance(message, Mapping) and message.get("role") == "user":
            return message.get("content")
    return None


def last_user_text(messages: Any) -> str:
    """The text rules match on: the last user message's string, text and tool_result content."""
    content = _last_user(messages)
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(text for text in map(_block_text, content) if text)
    return ""


def last_user_has_tool_result(messages: Any) -> bool:
    """Whether the last user message hands back a tool_result."""
    content = _last_user(messages)
    return isinstance(content, list) and any(
        isinstance(block, Mapping) and block.get("type") == "tool_result" for block in content
    )


def default_answer(model: str, messages: Any) -> str:
    """A few sentences that quote the prompt; the same model and messages give the same text."""
    seed = hashlib.sha256(json.dumps([model, messages], sort_keys=True, default=str).encode()).digest()
    prompt = " ".join(last_user_text(messages).split())
    if len(prompt) > 80:
        prompt = prompt[:77].rstrip() + "..."
    quoted = f'You asked: "{prompt}".' if prompt else "Your last message had no text."
    middle = [_MIDDLES[(seed[1] + i) % len(_MIDDLES)] for i in range(1 + seed[2] % 2)]
    parts = [_OPENERS[seed[0] % len(_OPENERS)], quoted, *middle, _CLOSERS[seed[3] % len(_CLOSERS)]]
    return " ".join(parts)


def split_tokens(text: str, delta_chars: int | None = None) -> list[str]:
    """Cut text into the pieces sent as deltas: word-like pieces, or fixed-size chunks."""
    if delta_chars:
        return [text[i : i + delta_chars] for i in range(0, len(text), delta_chars)]
    return _TOKEN.findall(text)


def _content_chars(content: Any) -> int:
    if isinstance(content, str):
        return len(content)
    total = 0
    for block in content if isinstance(content, list) else []:
        if not isinstance(block, Mapping):
            continue
        kind = block.get("type")
        if kind == "text":
            total += len(str(block.get("text", "")))
        elif kind == "tool_result":
            total += _content_chars(block.get("content", ""))
        elif kind == "tool_use":
            total += len(json.dumps(block.get("input", {})))
        elif kind == "thinking":
            total += len(str(block.get("thinking", "")))
    return total


def estimate_input_tokens(body: Mapping[str, Any]) -> int:
    """Input tokens: ceil(characters / 4) over system, message text and the tools' JSON, at least 1.

    Characters count the system prompt, every text, thinking and tool_result text of every
    message, each tool_use input as JSON, and the ``tools`` list as JSON. The real tokenizer
    is not public; this rule is simple enough to check by hand.
    """
    chars = _content_chars(body.get("system", ""))
    for message in body.get("messages") or []:
        if isinstance(message, Mapping):
            chars += _content_chars(message.get("content", ""))
    if body.get("tools"):
        chars += len(json.dumps(body["tools"], sort_keys=True))
    return max(1, math.ceil(chars / 4))
