"""What a cell sends on a model, decided from the model's ModelInfo (the emulator's catalogue
entries, in the SDK's own shape), and the once-per-model look-up that never blocks a cell."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import anthropic
import httpx2
import pytest
from anthropic._error_classes import make_status_error

from claude_magic.core.capabilities import (
    DEFAULT_THINKING_BUDGET,
    CapabilityCache,
    ModelCapabilities,
    RetiredModelError,
    UnsupportedOptionError,
    plan_request,
)
from claude_magic.core.session import CellSpec
from claude_magic.emulator._catalog import model_info
from claude_magic.exceptions import UserError


def caps(model: str) -> ModelCapabilities:
    return ModelCapabilities.from_info(model_info(model))


def spec(model: str = "claude-sonnet-4-6", **options: Any) -> CellSpec:
    base = CellSpec(prompt="hi", model=model, max_tokens=1024, system=None, temperature=None, out=None,
                    new=False, once=False)
    return replace(base, **options)


def test_think_is_adaptive_where_the_model_has_adaptive_thinking():
    plan = plan_request(spec(think=True), caps("claude-sonnet-4-6"), cache=False)
    assert plan.thinking == {"type": "adaptive"}
    # The answer keeps its own room: thinking gets tokens on top of --max-tokens.
    assert plan.max_tokens == 1024 + DEFAULT_THINKING_BUDGET


def test_think_with_a_budget_is_extended_thinking_where_budgets_apply():
    plan = plan_request(spec(think=True, think_budget=2048), caps("claude-sonnet-4-6"), cache=False)
    assert plan.thinking == {"type": "enabled", "budget_tokens": 2048}
    assert plan.max_tokens == 1024 + 2048


def test_think_on_a_model_without_adaptive_thinking_sends_a_budget():
    plan = plan_request(spec("claude-haiku-4-5", think=True), caps("claude-haiku-4-5"), cache=False)
    assert plan.thinking == {"type": "enabled", "budget_tokens": DEFAULT_THINKING_BUDGET}


def test_a_budget_on_an_adaptive_only_model_is_one_line_naming_what_it_takes():
    with pytest.raises(UnsupportedOptionError) as caught:
        plan_request(spec("claude-opus-5", think=True, think_budget=2048), caps("claude-opus-5"), cache=False)
    message = str(caught.value)
    assert "\n" not in message
    assert "claude-opus-5" in message and "--think without a number" in message
    assert "low, medium, high, xhigh, max" in message


def test_a_budget_under_the_api_minimum_is_refused_before_any_request():
    with pytest.raises(UnsupportedOptionError, match="at least 1,024"):
        plan_request(spec(think=True, think_budget=500), caps("claude-sonnet-4-6"), cache=False)


def test_an_effort_level_the_model_lacks_names_the_levels_it_has():
    with pytest.raises(UnsupportedOptionError, match=r"claude-sonnet-4-6 takes --effort low, medium, high, max\."):
        plan_request(spec(effort="xhigh"), caps("claude-sonnet-4-6"), cache=False)
    with pytest.raises(UnsupportedOptionError, match="does not take --effort"):
        plan_request(spec("claude-haiku-4-5", effort="low"), caps("claude-haiku-4-5"), cache=False)
    plan = plan_request(spec("claude-opus-5", effort="xhigh"), caps("claude-opus-5"), cache=False)
    assert plan.output_config == {"effort": "xhigh"}


def test_temperature_does_not_go_out_with_thinking():
    with pytest.raises(UnsupportedOptionError, match="-t/--temperature does not go with --think"):
        plan_request(spec(think=True, temperature=0.2), caps("claude-sonnet-4-6"), cache=False)


def test_a_retired_model_is_refused_and_a_deprecated_one_warns():
    with pytest.raises(RetiredModelError, match="claude-mythos-preview is retired"):
        plan_request(spec("claude-mythos-preview"), caps("claude-mythos-preview"), cache=False)
    plan = plan_request(spec("claude-opus-4-5"), caps("claude-opus-4-5"), cache=False)
    assert plan.warning is not None and "deprecated" in plan.warning and "2027-01-22" in plan.warning
    assert isinstance(RetiredModelError("x"), UserError)


def test_prefill_follows_adaptive_thinking_and_never_combines_with_thinking():
    assert caps("claude-haiku-4-5").prefill is True
    assert caps("claude-sonnet-4-6").prefill is False
    assert caps("claude-opus-5").prefill is False
    assert plan_request(spec("claude-haiku-4-5"), caps("claude-haiku-4-5"), cache=False).prefill is True
    assert plan_request(spec("claude-haiku-4-5", think=True), caps("claude-haiku-4-5"), cache=False).prefill is False


def test_cache_control_is_top_level_with_the_ttl_only_when_not_the_default():
    params = plan_request(spec(), caps("claude-sonnet-4-6"), cache=True).apply({})
    assert params["cache_control"] == {"type": "ephemeral"}
    params = plan_request(spec(), caps("claude-sonnet-4-6"), cache=True, cache_ttl="1h").apply({})
    assert params["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    assert "cache_control" not in plan_request(spec(), caps("claude-sonnet-4-6"), cache=False).apply({})


def test_unknown_capabilities_send_what_the_user_asked():
    plan = plan_request(spec("claude-future-9", think=True, effort="max"), None, cache=False)
    assert plan.thinking == {"type": "adaptive"}
    assert plan.output_config == {"effort": "max"}
    assert plan.prefill is False  # a user turn continues on every model


def test_an_answer_longer_than_the_model_allows_is_refused():
    with pytest.raises(UnsupportedOptionError, match="at most 64,000 tokens"):
        plan_request(spec("claude-haiku-4-5", max_tokens=100_000), caps("claude-haiku-4-5"), cache=False)


class _Models:
    def __init__(self, outcome: Any) -> None:
        self.calls = 0
        self._outcome = outcome

    async def retrieve(self, model: str) -> Any:
        self.calls += 1
        if isinstance(self._outcome, BaseException):
            raise self._outcome
        return self._outcome


class _Client:
    def __init__(self, outcome: Any) -> None:
        self.models = _Models(outcome)


def test_the_catalogue_is_asked_once_per_endpoint_and_model():
    cache = CapabilityCache()
    client = _Client(model_info("claude-sonnet-4-6"))

    async def twice() -> list[Any]:
        return [await cache.get(client, "endpoint-a", "claude-sonnet-4-6") for _ in range(2)]

    first, second = asyncio.run(twice())
    assert first == second and first is not None and first.model == "claude-sonnet-4-6"
    assert client.models.calls == 1
    asyncio.run(cache.get(client, "endpoint-b", "claude-sonnet-4-6"))
    assert client.models.calls == 2


def test_a_network_failure_is_not_remembered_and_a_404_is():
    cache = CapabilityCache()
    request = httpx2.Request("GET", "http://127.0.0.1:9/v1/models/x")
    down = _Client(anthropic.APIConnectionError(request=request))
    assert asyncio.run(cache.get(down, "e", "claude-sonnet-4-6")) is None
    assert asyncio.run(cache.get(down, "e", "claude-sonnet-4-6")) is None
    assert down.models.calls == 2
    response = httpx2.Response(404, request=request, json={"type": "error", "error": {"type": "not_found_error",
                                                                                       "message": "model: x"}})
    missing = _Client(make_status_error("model: x", body=None, response=response))
    assert asyncio.run(cache.get(missing, "e", "x")) is None
    assert asyncio.run(cache.get(missing, "e", "x")) is None
    assert missing.models.calls == 1


def test_a_deprecated_model_warns_once_per_endpoint():
    cache = CapabilityCache()
    assert cache.first_warning("e", "claude-opus-4-5") is True
    assert cache.first_warning("e", "claude-opus-4-5") is False
