"""Answers as the SDK's own types: plans a reply, then builds its stream events and Message.

Every event is an ``anthropic.types`` pydantic object, so the wire format follows the SDK
the project is tested with. :func:`plan_answer` is pure: it decides the pieces, the
truncation and the stop reason; :func:`stream_events` and :func:`final_message` render it.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from anthropic.types import (
    CacheCreation,
    InputJSONDelta,
    Message,
    MessageDeltaUsage,
    RawContentBlockDeltaEvent,
    RawContentBlockStartEvent,
    RawContentBlockStopEvent,
    RawMessageDeltaEvent,
    RawMessageStartEvent,
    RawMessageStopEvent,
    SignatureDelta,
    StopReason,
    TextBlock,
    TextDelta,
    ThinkingBlock,
    ThinkingDelta,
    ToolUseBlock,
    Usage,
)
from anthropic.types.raw_message_delta_event import Delta
from pydantic import BaseModel

from . import _script
from ._answer import split_tokens
from ._prompt_cache import CacheUsage
from ._validate import sign_thinking

__all__ = ["Answer", "StreamItem", "final_message", "new_id", "plan_answer", "sse", "stream_events"]

_BASE62 = string.digits + string.ascii_letters

DeltaModel = TextDelta | ThinkingDelta | SignatureDelta | InputJSONDelta
ContentModel = TextBlock | ThinkingBlock | ToolUseBlock


def new_id(prefix: str) -> str:
    """An id shaped like the API's: ``msg_``/``toolu_``/``req_`` plus 24 base62 characters."""
    return prefix + "".join(secrets.choice(_BASE62) for _ in range(24))


@dataclass
class _Block:
    """One planned content block: what content_block_start shows, its deltas, its final form."""

    start: ContentModel
    deltas: list[DeltaModel] = field(default_factory=list)
    final: ContentModel | None = None


@dataclass
class Answer:
    """A reply decided in full before anything is sent."""

    id: str
    model: str
    blocks: list[_Block]
    stop_reason: StopReason
    stop_sequence: str | None
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    #: The cache writes by TTL: (5 minutes, 1 hour).
    cache_creation: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class StreamItem:
    """One SSE event to send; ``is_delta`` marks the content deltas that pacing and faults count."""

    kind: str
    event: BaseModel
    is_delta: bool = False


def _cut_at_stop(text: str, stop_sequences: Sequence[str]) -> tuple[str, str | None]:
    """Text before the earliest stop sequence, and which one it was."""
    best: tuple[int, str] | None = None
    for seq in stop_sequences:
        at = text.find(seq) if seq else -1
        if at >= 0 and (best is None or at < best[0]):
            best = (at, seq)
    return (text, None) if best is None else (text[: best[0]], best[1])


def plan_answer(
    specs: Sequence[_script.TextBlock | _script.ThinkingBlock | _script.ToolUseBlock],
    *,
    model: str,
    max_tokens: int,
    input_tokens: int,
    stop_sequences: Sequence[str] = (),
    delta_chars: int | None = None,
    json_chunk: int = 8,
    usage: _script.UsageOverride | None = None,
    cache: CacheUsage | None = None,
) -> Answer:
    """Decide the whole reply: pieces per block, truncation at ``max_tokens``, stop reason.

    Output tokens are the text, thinking and JSON pieces actually sent (a signature is not
    counted). A text block that contains a stop sequence is cut before it and ends the reply.
    """
    blocks: list[_Block] = []
    budget = max_tokens
    stop_sequence: str | None = None
    truncated = False
    for spec in specs:
        if budget <= 0:
            truncated = True
            break
        if isinstance(spec, _script.TextBlock):
            text, stop_sequence = _cut_at_stop(spec.text, stop_sequences)
            pieces = split_tokens(text, delta_chars)
            sent, truncated = pieces[:budget], len(pieces) > budget
            block = _Block(TextBlock(type="text", text=""), [TextDelta(type="text_delta", text=p) for p in sent])
            block.final = TextBlock(type="text", text="".join(sent))
        elif isinstance(spec, _script.ThinkingBlock):
            pieces = split_tokens(spec.thinking, delta_chars)
            sent, truncated = pieces[:budget], len(pieces) > budget
            signature = spec.signature or sign_thinking(spec.thinking)
            deltas: list[DeltaModel] = [ThinkingDelta(type="thinking_delta", thinking=p) for p in sent]
            if not truncated:
                deltas.append(SignatureDelta(type="signature_delta", signature=signature))
            block = _Block(ThinkingBlock(type="thinking", thinking="", signature=""), deltas)
            block.final = ThinkingBlock(
                type="thinking", thinking="".join(sent), signature=signature if not truncated else ""
            )
        else:
            tool_id = spec.id or new_id("toolu_")
            payload = spec.raw_input if spec.raw_input is not None else json.dumps(spec.input)
            pieces = [payload[i : i + json_chunk] for i in range(0, len(payload), json_chunk)]
            sent, truncated = pieces[:budget], len(pieces) > budget
            block = _Block(
                ToolUseBlock(type="tool_use", id=tool_id, name=spec.name, input={}),
                [InputJSONDelta(type="input_json_delta", partial_json=p) for p in sent],
            )
            block.final = ToolUseBlock(type="tool_use", id=tool_id, name=spec.name, input=_partial_json("".join(sent)))
        budget -= len(sent)
        blocks.append(block)
        if truncated or stop_sequence is not None:
            break
    output_tokens = max_tokens - budget
    stop_reason: StopReason
    if truncated:
        stop_reason, stop_sequence = "max_tokens", None
    elif stop_sequence is not None:
        stop_reason = "stop_sequence"
    elif any(isinstance(b.start, ToolUseBlock) for b in blocks):
        stop_reason = "tool_use"
    else:
        stop_reason = "end_turn"
    override = usage or _script.UsageOverride()
    cache = cache or CacheUsage(input_tokens=input_tokens)
    written = override.cache_creation_input_tokens
    return Answer(
        id=new_id("msg_"),
        model=model,
        blocks=blocks,
        stop_reason=stop_reason,
        stop_sequence=stop_sequence,
        input_tokens=override.input_tokens if override.input_tokens is not None else cache.input_tokens,
        output_tokens=output_tokens,
        cache_creation_input_tokens=written if written is not None else cache.written,
        cache_read_input_tokens=(
            override.cache_read_input_tokens if override.cache_read_input_tokens is not None else cache.read
        ),
        # A script's own write count is reported as 5-minute writes, the API's default TTL.
        cache_creation=(written, 0) if written is not None else (cache.written_5m, cache.written_1h),
    )


def _partial_json(text: str) -> dict[str, Any]:
    """The input a truncated tool call still carries, parsed the way the SDK parses it."""
    from jiter import from_json  # the SDK's own partial-JSON parser

    try:
        value = from_json(text.encode(), partial_mode=True) if text else {}
    except ValueError:  # a scripted raw_input that does not parse
        return {}
    return value if isinstance(value, dict) else {}


def _message(answer: Answer, content: list[Any], *, done: bool) -> Message:
    return Message(
        id=answer.id,
        type="message",
        role="assistant",
        model=answer.model,
        content=content,
        stop_reason=answer.stop_reason if done else None,
        stop_sequence=answer.stop_sequence if done else None,
        usage=Usage(
            input_tokens=answer.input_tokens,
            # Like the API, message_start reports one output token; message_delta the total.
            output_tokens=answer.output_tokens if done else 1,
            cache_creation_input_tokens=answer.cache_creation_input_tokens,
            cache_read_input_tokens=answer.cache_read_input_tokens,
            cache_creation=CacheCreation(
                ephemeral_5m_input_tokens=answer.cache_creation[0], ephemeral_1h_input_tokens=answer.cache_creation[1]
            ),
            service_tier="standard",
        ),
    )


def stream_events(answer: Answer) -> Iterator[StreamItem]:
    """The events of a streamed reply in wire order (the ``ping`` comes after message_start)."""
    start = RawMessageStartEvent(type="message_start", message=_message(answer, [], done=False))
    yield StreamItem("message_start", start)
    yield StreamItem("ping", _Ping(type="ping"))
    for index, block in enumerate(answer.blocks):
        block_start = RawContentBlockStartEvent(type="content_block_start", index=index, content_block=block.start)
        yield StreamItem("content_block_start", block_start)
        for delta in block.deltas:
            event = RawContentBlockDeltaEvent(type="content_block_delta", index=index, delta=delta)
            yield StreamItem("content_block_delta", event, is_delta=True)
        yield StreamItem("content_block_stop", RawContentBlockStopEvent(type="content_block_stop", index=index))
    yield StreamItem(
        "message_delta",
        RawMessageDeltaEvent(
            type="message_delta",
            delta=Delta(stop_reason=answer.stop_reason, stop_sequence=answer.stop_sequence),
            usage=MessageDeltaUsage(
                input_tokens=answer.input_tokens,
                output_tokens=answer.output_tokens,
                cache_creation_input_tokens=answer.cache_creation_input_tokens,
                cache_read_input_tokens=answer.cache_read_input_tokens,
            ),
        ),
    )
    yield StreamItem("message_stop", RawMessageStopEvent(type="message_stop"))


def final_message(answer: Answer) -> Message:
    """The reply as one Message, for ``stream: false``."""
    return _message(answer, [block.final for block in answer.blocks], done=True)


class _Ping(BaseModel):
    # The SDK has no type for ping; the API sends exactly this.
    type: str = "ping"


def sse(event: BaseModel | Mapping[str, Any], *, name: str | None = None) -> bytes:
    """One SSE record: an ``event:`` line (the SDK's .stream() drops records without one) and data."""
    data = event.model_dump(mode="json", exclude_unset=True) if isinstance(event, BaseModel) else dict(event)
    kind = name or str(data["type"])
    return f"event: {kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()
