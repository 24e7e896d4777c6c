"""The HTTP surface: keys, malformed bodies, unknown models, count_tokens, /v1/models, error shape."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any, get_args

import anthropic
import httpx2
import pytest
from anthropic.types import Model

from claude_magic.emulator import Emulator

from .helpers import KEY, MODEL, user

VALID = {"model": MODEL, "max_tokens": 10, "messages": user("hi")}


@pytest.fixture
def http(server: Emulator) -> Iterator[httpx2.Client]:
    """A plain HTTP client: unlike the SDK, it can leave the key out or send broken JSON."""
    with httpx2.Client(base_url=server.url) as client:
        yield client


def assert_api_error(response: httpx2.Response, status: int, error_type: str) -> str:
    """Check the API's error shape; return the error message."""
    body = response.json()
    assert response.status_code == status
    assert body["type"] == "error" and body["error"]["type"] == error_type
    assert re.fullmatch(r"req_[0-9A-Za-z]{24}", response.headers["request-id"])
    assert body["request_id"] == response.headers["request-id"]
    return str(body["error"]["message"])


@pytest.mark.parametrize("path", ["/v1/messages", "/v1/messages/count_tokens"])
def test_a_request_without_key_is_refused(http: httpx2.Client, path: str) -> None:
    response = http.post(path, json=VALID)

    assert "x-api-key" in assert_api_error(response, 401, "authentication_error")


def test_models_without_key_are_refused(http: httpx2.Client) -> None:
    assert_api_error(http.get("/v1/models"), 401, "authentication_error")


def test_a_key_is_accepted_as_x_api_key_or_bearer(http: httpx2.Client, server: Emulator) -> None:
    by_header = http.post("/v1/messages", json=VALID, headers={"x-api-key": KEY})
    by_bearer = http.post("/v1/messages", json=VALID, headers={"authorization": f"Bearer {KEY}"})
    other_scheme = http.post("/v1/messages", json=VALID, headers={"authorization": f"Basic {KEY}"})

    assert by_header.status_code == by_bearer.status_code == 200
    assert by_header.json()["type"] == "message"
    assert_api_error(other_scheme, 401, "authentication_error")


def test_the_sdk_sends_its_key_as_bearer(server: Emulator, client: anthropic.Anthropic) -> None:
    client.messages.create(model=MODEL, max_tokens=5, messages=user("x"))

    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"max_tokens": None}, "max_tokens"),
        ({"max_tokens": -1}, "max_tokens"),
        ({"messages": None}, "messages"),
        ({"messages": []}, "messages"),
        ({"model": None}, "model"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "messages.0.role"),
        ({"messages": [{"role": "user", "content": ""}]}, "messages.0.content"),
        ({"messages": [{"role": "user", "content": []}]}, "messages.0.content"),
        ({"messages": [{"role": "user", "content": [{"type": "text", "text": ""}]}]}, "messages.0.content.0.text"),
        ({"messages": [{"role": "user"}]}, "messages.0.content"),
        ({"stop_sequences": "END"}, "stop_sequences"),
        ({"tools": [{"description": "no name"}]}, "tools.0.name"),
    ],
)
def test_a_malformed_request_is_refused_naming_the_field(
    http: httpx2.Client, change: dict[str, Any], field: str
) -> None:
    body = {k: v for k, v in {**VALID, **change}.items() if v is not None}

    response = http.post("/v1/messages", json=body, headers={"x-api-key": KEY})

    assert assert_api_error(response, 400, "invalid_request_error").startswith(f"{field}:")


def test_a_body_that_is_not_json_is_refused(http: httpx2.Client) -> None:
    response = http.post("/v1/messages", content=b"{not json", headers={"x-api-key": KEY})

    assert "JSON" in assert_api_error(response, 400, "invalid_request_error")


def test_an_empty_final_assistant_message_is_a_valid_prefill(http: httpx2.Client) -> None:
    messages = [*user("hi"), {"role": "assistant", "content": ""}]
    body = {**VALID, "model": "claude-haiku-4-5", "messages": messages}  # a model that takes prefill

    response = http.post("/v1/messages", json=body, headers={"x-api-key": KEY})

    assert response.status_code == 200


def test_an_unknown_model_is_not_found(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.NotFoundError) as caught:
        client.messages.create(model="claude-imaginary-9", max_tokens=5, messages=user("x"))

    assert caught.value.type == "not_found_error"
    assert caught.value.api_message == "model: claude-imaginary-9"


def test_a_rule_naming_a_model_makes_that_model_known(server: Emulator, client: anthropic.Anthropic) -> None:
    server.set_script({"rules": [{"model": "my-local-model", "blocks": [{"type": "text", "text": "local"}]}]})

    message = client.messages.create(model="my-local-model", max_tokens=5, messages=user("x"))

    assert message.content[0].text == "local" and message.model == "my-local-model"


def test_count_tokens_uses_the_documented_estimate(client: anthropic.Anthropic) -> None:
    tools = [{"name": "lookup", "input_schema": {"type": "object", "properties": {}}}]
    counted = client.messages.count_tokens(model=MODEL, system="sys", messages=user("x" * 21), tools=tools)

    assert counted.input_tokens == math.ceil((3 + 21 + len(json.dumps(tools, sort_keys=True))) / 4)


def test_count_tokens_refuses_unknown_models(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.NotFoundError):
        client.messages.count_tokens(model="nope", messages=user("x"))


def test_models_list_pages_newest_first_through_every_model_the_sdk_knows(client: anthropic.Anthropic) -> None:
    sdk_models = {m for member in get_args(Model) for m in get_args(member) if isinstance(m, str)}

    page = client.models.list(limit=5)
    listed = list(page)  # iterating follows has_more / last_id

    assert len(page.data) == 5 and page.has_more
    assert [m.created_at for m in listed] == sorted((m.created_at for m in listed), reverse=True)
    # The list holds each model once, by its own id; the SDK's short aliases resolve to them.
    assert {m.id for m in listed} | {client.models.retrieve(a).id for a in sdk_models} == {m.id for m in listed}
    assert {m.id for m in listed} <= sdk_models
    assert all(model.type == "model" and model.display_name.startswith("Claude") for model in page.data)


def test_a_model_can_be_retrieved_by_id(client: anthropic.Anthropic) -> None:
    info = client.models.retrieve("claude-sonnet-4-5-20250929")

    assert (info.id, info.display_name) == ("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5")
    with pytest.raises(anthropic.NotFoundError):
        client.models.retrieve("claude-nothing")


def test_an_unknown_route_answers_in_the_api_error_shape(http: httpx2.Client, server: Emulator) -> None:
    response = http.post("/v1/complete", json={}, headers={"x-api-key": KEY})
    wrong_method = http.get("/v1/messages", headers={"x-api-key": KEY})

    assert "/v1/complete" in assert_api_error(response, 404, "not_found_error")
    assert_api_error(wrong_method, 405, "invalid_request_error")
    assert [r.path for r in server.requests] == ["/v1/complete", "/v1/messages"]
