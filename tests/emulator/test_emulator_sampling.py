"""API version 2026-10-21 refuses sampling parameters; 2023-06-01 still takes them."""

from __future__ import annotations

import anthropic
import pytest

from claude_magic.core.client import sampling_options
from claude_magic.emulator import serve

ASK = {"model": "claude-opus-4-8", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}


def test_temperature_is_refused_under_the_sdks_own_api_version():
    with serve() as server, anthropic.Anthropic(base_url=server.url, api_key="k", max_retries=0) as client:
        with pytest.raises(anthropic.BadRequestError) as raised:
            client.messages.create(**ASK, extra_body={"temperature": 1.0})
        assert raised.value.api_message == "temperature: Extra inputs are not permitted"


def test_sampling_options_send_temperature_with_the_version_that_takes_it():
    with serve() as server, anthropic.Anthropic(base_url=server.url, api_key="k", max_retries=0) as client:
        # Claude Sonnet 4.6 still takes a temperature; generation 5 and Opus 4.7+ do not.
        message = client.messages.create(
            **{**ASK, "model": "claude-sonnet-4-6"}, **sampling_options(temperature=0.3)
        )
        assert message.stop_reason in ("end_turn", "max_tokens")
        assert server.requests[-1].body["temperature"] == 0.3
        assert server.requests[-1].headers["anthropic-version"] == "2023-06-01"
    assert sampling_options(temperature=None) == {}


def test_prefill_rule_matches_only_a_request_ending_with_an_assistant_turn():
    rules = {"rules": [{"prefill": True, "blocks": [{"type": "text", "text": " continued."}]},
                       {"blocks": [{"type": "text", "text": "Fresh."}]}]}
    with serve(rules) as server, anthropic.Anthropic(base_url=server.url, api_key="k", max_retries=0) as client:
        fresh = client.messages.create(**ASK)
        continued = client.messages.create(  # Claude Haiku 4.5 still takes a prefill
            **{**ASK, "model": "claude-haiku-4-5", "messages": [*ASK["messages"], {"role": "assistant", "content": "Partial"}]}
        )
    assert fresh.content[0].text == "Fresh."
    assert continued.content[0].text == " continued."


def test_temperature_is_refused_by_a_model_that_deprecated_it():
    with serve() as server, anthropic.Anthropic(base_url=server.url, api_key="k", max_retries=0) as client:
        with pytest.raises(anthropic.BadRequestError) as raised:
            client.messages.create(**ASK, **sampling_options(temperature=0.3))
    assert (raised.value.status_code, raised.value.type) == (400, "invalid_request_error")
    assert raised.value.api_message == "temperature is deprecated for this model."
