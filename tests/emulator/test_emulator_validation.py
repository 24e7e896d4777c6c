"""What the API refuses, the emulator refuses: each rule through the real SDK, checked for status, type and message."""

from __future__ import annotations

import contextlib
from typing import Any

import anthropic
import pytest

from claude_magic.emulator import Emulator
from claude_magic.emulator._catalog import find_model
from claude_magic.emulator._validate import Refusal, validate

from .helpers import user

PREFILL_MODEL = "claude-haiku-4-5"  # still takes a prefill
NO_PREFILL_MODEL = "claude-sonnet-4-6"
TOOLS = [{"name": "get_weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}]


def refused(client: anthropic.Anthropic, status: int = 400, **params: Any) -> str:
    """Send ``params``; assert the API's refusal shape; return its message."""
    params.setdefault("max_tokens", 2048)
    with pytest.raises(anthropic.APIStatusError) as raised:
        client.messages.create(**params)
    error = raised.value
    expected_type = {400: "invalid_request_error", 404: "not_found_error"}[status]
    assert (error.status_code, error.type, error.body["type"]) == (status, expected_type, "error")
    return error.api_message


def test_a_prefill_is_refused_on_a_model_without_prefill(client: anthropic.Anthropic) -> None:
    messages = [*user("Name a colour."), {"role": "assistant", "content": "The colour is"}]

    message = refused(client, model=NO_PREFILL_MODEL, messages=messages)

    assert message == (
        "This model does not support assistant message prefill. The conversation must end with a user message."
    )


def test_a_prefill_is_continued_on_a_model_that_takes_it(client: anthropic.Anthropic) -> None:
    messages = [*user("Name a colour."), {"role": "assistant", "content": "The colour is"}]

    reply = client.messages.create(model=PREFILL_MODEL, max_tokens=50, messages=messages)

    assert reply.content and reply.stop_reason in ("end_turn", "max_tokens")


def test_a_prefill_ending_in_whitespace_is_refused(client: anthropic.Anthropic) -> None:
    messages = [*user("Name a colour."), {"role": "assistant", "content": "The colour is "}]

    message = refused(client, model=PREFILL_MODEL, messages=messages)

    assert message == "messages: final assistant content cannot end with trailing whitespace"


def test_a_prefill_with_thinking_must_start_with_a_thinking_block(client: anthropic.Anthropic) -> None:
    messages = [*user("Name a colour."), {"role": "assistant", "content": "The colour is"}]

    message = refused(
        client, model=PREFILL_MODEL, messages=messages, thinking={"type": "enabled", "budget_tokens": 1024}
    )

    assert message.startswith(
        "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `text`."
    )


def test_a_tool_result_without_its_tool_use_is_refused(client: anthropic.Anthropic) -> None:
    messages = [
        *user("Weather?"),
        {"role": "assistant", "content": "Let me look."},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_missing", "content": "sunny"}]},
    ]

    message = refused(client, model=NO_PREFILL_MODEL, messages=messages, tools=TOOLS)

    assert message == (
        "messages.2.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_missing. "
        "Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
    )


def test_a_tool_use_left_without_its_tool_result_is_refused(client: anthropic.Anthropic) -> None:
    call = {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}
    messages = [*user("Weather?"), {"role": "assistant", "content": [call]}, *user("Never mind.")]

    message = refused(client, model=NO_PREFILL_MODEL, messages=messages, tools=TOOLS)

    assert message == (
        "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1. "
        "Each `tool_use` block must have a corresponding `tool_result` block in the next message."
    )


def test_a_tool_loop_that_answers_every_call_is_accepted(client: anthropic.Anthropic) -> None:
    call = {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}
    result = {"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"}
    messages = [*user("Weather?"), {"role": "assistant", "content": [call]}, {"role": "user", "content": [result]}]

    reply = client.messages.create(model=NO_PREFILL_MODEL, max_tokens=100, messages=messages, tools=TOOLS)

    assert reply.stop_reason == "end_turn"


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"messages": [{"role": "user", "content": "hi", "name": "ada"}]}, "messages.0.name"),
        (
            {"messages": [{"role": "user", "content": [{"type": "text", "text": "hi", "bold": True}]}]},
            "messages.0.content.0.text.bold",
        ),
        ({"tools": [{**TOOLS[0], "parameters": {}}]}, "tools.0.custom.parameters"),
        ({"metadata": {"user_id": "u", "session": "s"}}, "metadata.session"),
        ({"top_k": 5}, "top_k"),
    ],
)
def test_a_field_the_api_does_not_know_is_refused(
    client: anthropic.Anthropic, change: dict[str, Any], path: str
) -> None:
    params = {"model": NO_PREFILL_MODEL, "messages": user("hi"), **change}
    extra = {k: params.pop(k) for k in list(params) if k == "top_k"}

    message = refused(client, **params, extra_body=extra or None)

    assert message == f"{path}: Extra inputs are not permitted"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"thinking": "on"}, "thinking: Input should be a valid dictionary or object to extract fields from"),
        (
            {"tool_choice": {"type": "sometimes"}},
            "tool_choice: Input tag 'sometimes' found using 'type' does not match any of the expected tags: "
            "'auto', 'any', 'tool', 'none'",
        ),
    ],
)
def test_a_wrong_shape_or_unknown_tag_is_refused_like_pydantic(
    client: anthropic.Anthropic, change: dict[str, Any], expected: str
) -> None:
    message = refused(client, model=NO_PREFILL_MODEL, messages=user("hi"), **change)

    assert message == expected


def test_count_tokens_refuses_an_unknown_field_too(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as raised:
        client.messages.count_tokens(model=NO_PREFILL_MODEL, messages=[{"role": "user", "content": "x", "name": "n"}])

    assert raised.value.api_message == "messages.0.name: Extra inputs are not permitted"


def test_max_tokens_above_the_models_maximum_is_refused(client: anthropic.Anthropic) -> None:
    # stream=True: the SDK itself refuses a non-streamed request this long.
    message = refused(client, model=PREFILL_MODEL, max_tokens=64_001, messages=user("hi"), stream=True)

    assert message == (
        "max_tokens: 64001 > 64000, which is the maximum allowed number of output tokens for claude-haiku-4-5-20251001"
    )


def test_a_thinking_budget_under_1024_is_refused(client: anthropic.Anthropic) -> None:
    message = refused(
        client, model=PREFILL_MODEL, messages=user("hi"), thinking={"type": "enabled", "budget_tokens": 1023}
    )

    assert message == "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"


def test_a_thinking_budget_not_under_max_tokens_is_refused(client: anthropic.Anthropic) -> None:
    message = refused(
        client,
        model=PREFILL_MODEL,
        max_tokens=2048,
        messages=user("hi"),
        thinking={"type": "enabled", "budget_tokens": 2048},
    )

    assert message.startswith("`max_tokens` must be greater than `thinking.budget_tokens`.")


def test_a_thinking_type_the_model_lacks_is_refused(client: anthropic.Anthropic) -> None:
    enabled = refused(
        client, model="claude-opus-4-8", messages=user("hi"), thinking={"type": "enabled", "budget_tokens": 1024}
    )
    adaptive = refused(client, model=PREFILL_MODEL, messages=user("hi"), thinking={"type": "adaptive"})

    assert enabled.startswith('"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive"')
    assert (
        adaptive
        == 'thinking.type: "adaptive" is not supported by claude-haiku-4-5-20251001; supported types: disabled, enabled'
    )


def test_an_effort_level_the_model_lacks_is_refused(client: anthropic.Anthropic) -> None:
    message = refused(client, model="claude-opus-4-6", messages=user("hi"), output_config={"effort": "xhigh"})

    assert (
        message
        == 'output_config.effort: "xhigh" is not supported by claude-opus-4-6; supported values: low, medium, high, max'
    )


def test_effort_on_a_model_without_effort_is_refused(client: anthropic.Anthropic) -> None:
    message = refused(client, model=PREFILL_MODEL, messages=user("hi"), output_config={"effort": "low"})

    assert message == "output_config.effort: This model does not support the effort parameter."


def test_every_model_takes_the_effort_levels_its_catalogue_entry_lists(client: anthropic.Anthropic) -> None:
    for info in client.models.list(limit=100):
        if info.lifecycle == "retired" or info.capabilities is None:
            continue
        effort = info.capabilities.effort
        levels = [
            lvl for lvl in ("low", "medium", "high", "xhigh", "max") if (s := getattr(effort, lvl)) and s.supported
        ]
        if not levels:
            continue
        with pytest.warns(DeprecationWarning) if info.lifecycle == "deprecated" else contextlib.nullcontext():
            reply = client.messages.create(
                model=info.id, max_tokens=5, messages=user("hi"), output_config={"effort": levels[-1]}
            )
        assert reply.model == info.id


def test_structured_output_on_a_model_without_it_is_refused() -> None:
    model = find_model(NO_PREFILL_MODEL)
    assert model is not None
    no_json = type(model)(**{**model.__dict__, "structured_outputs": False})
    body = {
        "model": NO_PREFILL_MODEL,
        "max_tokens": 5,
        "messages": user("hi"),
        "output_config": {"format": {"type": "json_schema", "schema": {"type": "object"}}},
    }

    from claude_magic.emulator import _validate

    with pytest.raises(Refusal) as raised:
        _validate._check_output_config(body, no_json)
    assert (raised.value.status, raised.value.error_type) == (400, "invalid_request_error")
    assert raised.value.message == "output_config.format: structured outputs are not supported by claude-sonnet-4-6"


def test_a_retired_model_is_not_found(client: anthropic.Anthropic) -> None:
    with pytest.warns(DeprecationWarning):  # the SDK warns before sending; the API then refuses
        message = refused(client, status=404, model="claude-mythos-preview", messages=user("hi"))

    assert message == "model: claude-mythos-preview"


def test_forcing_a_tool_with_thinking_on_is_refused(client: anthropic.Anthropic) -> None:
    message = refused(
        client,
        model=NO_PREFILL_MODEL,
        messages=user("hi"),
        tools=TOOLS,
        tool_choice={"type": "any"},
        thinking={"type": "adaptive"},
    )

    assert message == "Thinking may not be enabled when tool_choice forces tool use."


def _thinking_turn(client: anthropic.Anthropic) -> dict[str, Any]:
    reply = client.messages.create(
        model=NO_PREFILL_MODEL, max_tokens=500, messages=user("Think."), thinking={"type": "adaptive"}
    )
    return {"role": "assistant", "content": [block.model_dump() for block in reply.content]}


def test_a_thinking_block_sent_back_unchanged_is_accepted(client: anthropic.Anthropic) -> None:
    turn = _thinking_turn(client)

    reply = client.messages.create(
        model=NO_PREFILL_MODEL,
        max_tokens=500,
        thinking={"type": "adaptive"},
        messages=[*user("Think."), turn, *user("And now?")],
    )

    assert reply.content[0].type == "thinking"


def test_a_tool_loop_with_thinking_must_send_the_thinking_block_back(client: anthropic.Anthropic) -> None:
    first = client.messages.create(
        model=NO_PREFILL_MODEL,
        max_tokens=500,
        messages=user("Weather?"),
        tools=TOOLS,
        thinking={"type": "adaptive"},
        tool_choice={"type": "auto"},
    )
    server_call = {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Oslo"}}
    thinking = first.content[0].model_dump()
    result = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"}]}

    def loop(assistant: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [*user("Weather?"), {"role": "assistant", "content": assistant}, result]

    message = refused(
        client, model=NO_PREFILL_MODEL, messages=loop([server_call]), tools=TOOLS, thinking={"type": "adaptive"}
    )
    reply = client.messages.create(
        model=NO_PREFILL_MODEL,
        max_tokens=500,
        messages=loop([thinking, server_call]),
        tools=TOOLS,
        thinking={"type": "adaptive"},
    )

    assert message.startswith(
        "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`."
    )
    assert reply.content[0].type == "thinking"


def test_a_modified_thinking_block_is_refused(client: anthropic.Anthropic) -> None:
    turn = _thinking_turn(client)
    turn["content"][0]["thinking"] += " (edited)"

    message = refused(client, model=NO_PREFILL_MODEL, messages=[*user("Think."), turn, *user("And now?")])

    assert message == "messages.1.content.0: Invalid `signature` in `thinking` block"


def test_an_unsigned_thinking_block_is_refused(client: anthropic.Anthropic) -> None:
    turn = _thinking_turn(client)
    del turn["content"][0]["signature"]

    message = refused(client, model=NO_PREFILL_MODEL, messages=[*user("Think."), turn, *user("And now?")])

    assert message == "messages.1.content.0.thinking.signature: Field required"


def test_max_tokens_zero_warms_the_cache_and_answers_with_usage_only(client: anthropic.Anthropic) -> None:
    reply = client.messages.create(
        model=NO_PREFILL_MODEL, max_tokens=0, messages=user("warm up " * 1200), cache_control={"type": "ephemeral"}
    )

    assert reply.content == [] and reply.stop_reason == "max_tokens"
    assert reply.usage.output_tokens == 0 and reply.usage.cache_creation_input_tokens > 0


def test_a_model_named_only_by_a_rule_has_no_catalogue_limits(server: Emulator, client: anthropic.Anthropic) -> None:
    server.set_script({"rules": [{"model": "my-local-model"}]})

    with client.messages.stream(
        model="my-local-model", max_tokens=200_000, messages=[*user("hi"), {"role": "assistant", "content": "Sure"}]
    ) as stream:
        reply = stream.get_final_message()

    assert reply.model == "my-local-model"


def test_validate_is_pure_and_returns_the_catalogue_entry() -> None:
    from claude_magic.emulator._script import Script

    model = validate(
        {"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": user("hi")}, headers={}, script=Script()
    )

    assert model is not None and model.id == "claude-sonnet-4-5-20250929" and model.lifecycle == "deprecated"
