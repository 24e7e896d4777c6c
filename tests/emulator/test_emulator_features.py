"""Features a request asks for, honoured with no script: tool_choice, thinking, prompt caching, structured output."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import jsonschema
import pytest

from claude_magic.emulator import Emulator
from claude_magic.emulator._instance import instance_of
from claude_magic.emulator._prompt_cache import PromptCache

from .helpers import user

MODEL = "claude-sonnet-4-6"
WEATHER = {
    "name": "get_weather",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"enum": ["celsius", "fahrenheit"]}},
        "required": ["city", "unit"],
    },
}
CLOCK = {"name": "get_time", "input_schema": {"type": "object", "properties": {"zone": {"type": "string"}}}}


def test_tool_choice_any_calls_a_tool_with_input_valid_for_its_schema(client: anthropic.Anthropic) -> None:
    reply = client.messages.create(
        model=MODEL, max_tokens=200, messages=user("Hello"), tools=[WEATHER, CLOCK], tool_choice={"type": "any"}
    )

    assert [b.type for b in reply.content] == ["tool_use"] and reply.stop_reason == "tool_use"
    call = reply.content[0]
    assert call.name == "get_weather"
    jsonschema.validate(call.input, WEATHER["input_schema"])


def test_tool_choice_tool_calls_the_named_tool(client: anthropic.Anthropic) -> None:
    with client.messages.stream(
        model=MODEL,
        max_tokens=200,
        messages=user("Hello"),
        tools=[WEATHER, CLOCK],
        tool_choice={"type": "tool", "name": "get_time"},
    ) as stream:
        reply = stream.get_final_message()

    assert [(b.type, getattr(b, "name", None)) for b in reply.content] == [("tool_use", "get_time")]
    jsonschema.validate(reply.content[0].input, CLOCK["input_schema"])


def test_tool_choice_none_never_calls_a_tool_even_when_a_rule_would(
    server: Emulator, client: anthropic.Anthropic
) -> None:
    server.set_script({"rules": [{"blocks": [{"type": "tool_use", "name": "get_weather", "input": {"city": "Oslo"}}]}]})

    scripted = client.messages.create(model=MODEL, max_tokens=200, messages=user("Weather?"), tools=[WEATHER])
    refused = client.messages.create(
        model=MODEL, max_tokens=200, messages=user("Weather?"), tools=[WEATHER], tool_choice={"type": "none"}
    )

    assert [b.type for b in scripted.content] == ["tool_use"]
    assert [b.type for b in refused.content] == ["text"] and refused.stop_reason == "end_turn"


def test_thinking_streams_before_the_answer_with_a_signature_and_no_rule(client: anthropic.Anthropic) -> None:
    kinds: list[str] = []
    with client.messages.stream(
        model="claude-haiku-4-5",
        max_tokens=2048,
        messages=user("Why is the sky blue?"),
        thinking={"type": "enabled", "budget_tokens": 1024},
    ) as stream:
        for event in stream:
            if event.type == "content_block_delta":
                kinds.append(event.delta.type)
        reply = stream.get_final_message()

    assert kinds.index("thinking_delta") < kinds.index("signature_delta") < kinds.index("text_delta")
    thinking = reply.content[0]
    assert thinking.type == "thinking" and "Why is the sky blue?" in thinking.thinking and len(thinking.signature) > 100


def test_omitted_thinking_is_empty_but_signed_and_goes_back(client: anthropic.Anthropic) -> None:
    reply = client.messages.create(
        model=MODEL, max_tokens=500, messages=user("Think."), thinking={"type": "adaptive", "display": "omitted"}
    )
    turn = {"role": "assistant", "content": [b.model_dump() for b in reply.content]}

    again = client.messages.create(
        model=MODEL,
        max_tokens=500,
        messages=[*user("Think."), turn, *user("More.")],
        thinking={"type": "adaptive", "display": "omitted"},
    )

    assert (reply.content[0].type, reply.content[0].thinking) == ("thinking", "")
    assert reply.content[0].signature and again.content[0].thinking == ""


def test_effort_is_accepted_where_the_model_has_it(client: anthropic.Anthropic) -> None:
    reply = client.messages.create(
        model="claude-opus-5", max_tokens=50, messages=user("hi"), output_config={"effort": "xhigh"}
    )

    assert reply.stop_reason in ("end_turn", "max_tokens")


LONG = "A long system prompt that a notebook sends with every cell. " * 300  # ~4,500 tokens


def _cached(client: anthropic.Anthropic, system: Any, question: str, **extra: Any) -> anthropic.types.Usage:
    return client.messages.create(model=MODEL, max_tokens=20, system=system, messages=user(question), **extra).usage


def test_top_level_cache_control_writes_then_reads_the_same_prefix(client: anthropic.Anthropic) -> None:
    messages = [*user(LONG + "first"), {"role": "assistant", "content": "ok"}, *user("second question")]
    send = lambda: (
        client.messages.create(
            model=MODEL,
            max_tokens=20,
            messages=messages,  # noqa: E731
            cache_control={"type": "ephemeral"},
        ).usage
    )

    first, second = send(), send()

    assert first.cache_creation_input_tokens > 1000 and first.cache_read_input_tokens == 0
    assert first.cache_creation is not None
    assert first.cache_creation.ephemeral_5m_input_tokens == first.cache_creation_input_tokens
    assert first.cache_creation.ephemeral_1h_input_tokens == 0
    assert second.cache_read_input_tokens == first.cache_creation_input_tokens
    assert second.cache_creation_input_tokens == 0
    assert second.input_tokens == first.input_tokens  # the uncached rest is the same either way
    assert first.service_tier == second.service_tier == "standard"


def test_a_block_breakpoint_with_a_one_hour_ttl_is_reported_as_such(client: anthropic.Anthropic) -> None:
    system = [{"type": "text", "text": LONG + "one hour", "cache_control": {"type": "ephemeral", "ttl": "1h"}}]

    first = _cached(client, system, "q1")
    second = _cached(client, system, "another question, same prefix")

    assert first.cache_creation is not None and first.cache_creation.ephemeral_1h_input_tokens > 1000
    assert first.cache_creation.ephemeral_5m_input_tokens == 0
    assert second.cache_read_input_tokens == first.cache_creation_input_tokens


def test_a_changed_prefix_misses_the_cache(client: anthropic.Anthropic) -> None:
    marked = lambda text: [{"type": "text", "text": text, "cache_control": {"type": "ephemeral"}}]  # noqa: E731

    _cached(client, marked(LONG + "version 1"), "q")
    changed = _cached(client, marked(LONG + "version 2"), "q")

    assert changed.cache_read_input_tokens == 0 and changed.cache_creation_input_tokens > 1000


def test_a_prefix_under_the_models_minimum_is_not_cached(client: anthropic.Anthropic) -> None:
    system = [{"type": "text", "text": "short system prompt", "cache_control": {"type": "ephemeral"}}]

    first, second = _cached(client, system, "q"), _cached(client, system, "q")

    assert (first.cache_creation_input_tokens, second.cache_read_input_tokens) == (0, 0)


def test_a_cache_entry_expires_after_its_ttl_unless_read() -> None:
    now = [0.0]
    cache = PromptCache(clock=lambda: now[0])
    body = {"model": "m", "messages": user(LONG), "cache_control": {"type": "ephemeral"}}

    written = cache.use(body, min_tokens=1024).written
    now[0] = 299.0
    read_just_in_time = cache.use(body, min_tokens=1024).read  # a read renews the entry
    now[0] = 299.0 + 301.0
    after_expiry = cache.use(body, min_tokens=1024)

    assert written > 1000 and read_just_in_time == written
    assert after_expiry.read == 0 and after_expiry.written == written


REPORT = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "minLength": 3},
        "status": {"enum": ["draft", "final"]},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "pages": {"type": "integer", "minimum": 10},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        "author": {"$ref": "#/$defs/Person"},
        "reviewer": {"anyOf": [{"$ref": "#/$defs/Person"}, {"type": "null"}]},
    },
    "required": ["title", "status", "score", "pages", "tags", "author"],
    "additionalProperties": False,
    "$defs": {
        "Person": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "email": {"type": "string", "format": "email"}},
            "required": ["name"],
            "additionalProperties": False,
        }
    },
}


def test_structured_output_streams_json_valid_for_the_schema(client: anthropic.Anthropic) -> None:
    deltas: list[str] = []
    with client.messages.stream(
        model=MODEL,
        max_tokens=500,
        messages=user("Report, please."),
        output_config={"format": {"type": "json_schema", "schema": REPORT}},
    ) as stream:
        for event in stream:
            if event.type == "content_block_delta":
                assert event.delta.type == "text_delta"
                deltas.append(event.delta.text)
        reply = stream.get_final_message()

    text = reply.content[0].text
    assert len(deltas) > 3 and "".join(deltas) == text
    jsonschema.validate(json.loads(text), REPORT)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "maxLength": 2},
        {"type": "integer", "exclusiveMinimum": 5, "multipleOf": 4},
        {"type": ["null", "boolean"]},
        {
            "allOf": [
                {"type": "object", "properties": {"a": {"const": 1}}, "required": ["a"]},
                {"properties": {"b": {"type": "array", "items": {"type": "number"}, "minItems": 3}}},
            ]
        },
        {"type": "object", "properties": {"when": {"type": "string", "format": "date-time"}}},
    ],
)
def test_a_schema_instance_validates(schema: dict[str, Any]) -> None:
    value = instance_of(schema)

    jsonschema.validate(value, schema)
    assert instance_of(schema) == value  # the same schema always gives the same value


def test_a_recursive_schema_gives_a_finite_instance() -> None:
    tree = {
        "$ref": "#/$defs/Node",
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {
                    "label": {"type": "string"},
                    "left": {"$ref": "#/$defs/Node"},
                    "right": {"$ref": "#/$defs/Node"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
                },
                "required": ["label"],
            }
        },
    }

    value = instance_of(tree)

    jsonschema.validate(value, tree)
    assert len(json.dumps(value)) < 100_000
