"""Builds a message from raw stream events: pure, tolerant, testable with a list of events.

Why not the SDK's ``.stream()`` helper: it parses tool input at every fragment and raises
``ValueError`` on JSON that does not parse, which ends the stream. A model's malformed tool
input must instead go back to the model as an ``is_error`` tool_result, so this accumulator
keeps each tool call's raw JSON and parses it once, at ``content_block_stop``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MessageAccumulator", "BlockState"]

_USAGE_FIELDS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


@dataclass
class BlockState:
    """One content block as it streams."""

    type: str
    data: dict[str, Any]  # the block as content_block_start gave it (JSON form)
    text: list[str] = field(default_factory=list)
    raw_json: list[str] = field(default_factory=list)
    thinking: list[str] = field(default_factory=list)
    signature: str = ""
    citations: list[Any] = field(default_factory=list)
    input_error: str | None = None

    def as_param(self) -> dict[str, Any]:
        """The block as a Messages API content parameter, to send back in the next request."""
        if self.type == "text":
            block: dict[str, Any] = {"type": "text", "text": "".join(self.text)}
            if self.citations:
                block["citations"] = self.citations
            return block
        if self.type == "tool_use":
            return {"type": "tool_use", "id": self.data.get("id"), "name": self.data.get("name"),
                    "input": self.parsed_input()}
        if self.type == "thinking":
            return {"type": "thinking", "thinking": "".join(self.thinking), "signature": self.signature}
        return dict(self.data)

    @property
    def raw_input(self) -> str:
        return "".join(self.raw_json)

    def parsed_input(self) -> dict[str, Any]:
        raw = self.raw_input
        if not raw.strip():
            start = self.data.get("input")
            return start if isinstance(start, dict) else {}
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            self.input_error = f"input is not valid JSON: {exc.msg} at position {exc.pos}"
            return {}
        if not isinstance(value, dict):
            self.input_error = "input is not a JSON object"
            return {}
        return value


class MessageAccumulator:
    """Feed raw events in order; read text, blocks, usage and stop reason at any time."""

    def __init__(self) -> None:
        self.blocks: dict[int, BlockState] = {}
        self.usage: dict[str, int] = {}
        self.stop_reason: str | None = None
        self.message_id: str | None = None
        self.model: str | None = None

    def feed(self, event: Any) -> str | None:
        """Take one event; return the text it adds to the answer, if any."""
        kind = getattr(event, "type", None)
        if kind == "content_block_delta":
            block = self.blocks.get(event.index)
            if block is None:
                return None
            delta = event.delta
            dtype = getattr(delta, "type", None)
            if dtype == "text_delta":
                text: str = delta.text
                block.text.append(text)
                return text
            if dtype == "input_json_delta":
                block.raw_json.append(delta.partial_json)
            elif dtype == "thinking_delta":
                block.thinking.append(delta.thinking)
            elif dtype == "signature_delta":
                block.signature += delta.signature
            elif dtype == "citations_delta":
                block.citations.append(_json(delta.citation))
            return None
        if kind == "content_block_start":
            data = _json(event.content_block)
            self.blocks[event.index] = BlockState(type=data.get("type", "unknown"), data=data)
        elif kind == "message_start":
            message = event.message
            self.message_id = getattr(message, "id", None)
            self.model = getattr(message, "model", None)
            self._take_usage(getattr(message, "usage", None))
        elif kind == "message_delta":
            self._take_usage(getattr(event, "usage", None))
            self.stop_reason = getattr(event.delta, "stop_reason", None) or self.stop_reason
        return None

    def content(self) -> list[dict[str, Any]]:
        """Every block in order, as content parameters (tool input parsed, or {} if it failed)."""
        return [self.blocks[i].as_param() for i in sorted(self.blocks)]

    def tool_calls(self) -> list[BlockState]:
        return [self.blocks[i] for i in sorted(self.blocks) if self.blocks[i].type == "tool_use"]

    def _take_usage(self, usage: Any) -> None:
        # message_delta's counts are cumulative; None means "unchanged since message_start".
        if usage is None:
            return
        for name in _USAGE_FIELDS:
            value = getattr(usage, name, None)
            if value is not None:
                self.usage[name] = value
        # 1-hour cache writes cost more than 5-minute ones: keep their share for the price.
        breakdown = getattr(usage, "cache_creation", None)
        hour = getattr(breakdown, "ephemeral_1h_input_tokens", None)
        if hour is not None:
            self.usage["cache_creation_1h_input_tokens"] = hour


def _json(model: Any) -> dict[str, Any]:
    if isinstance(model, dict):
        return dict(model)
    dump = getattr(model, "model_dump", None)
    return dump(mode="json", exclude_none=True) if dump else {}
