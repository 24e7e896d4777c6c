"""The catalogue through GET /v1/models: capabilities, limits, lifecycle and dates in the SDK's ModelInfo shape."""

from __future__ import annotations

import anthropic
import httpx2

from claude_magic.emulator import Emulator

from .helpers import KEY


def test_an_alias_resolves_to_the_models_own_id(client: anthropic.Anthropic) -> None:
    info = client.models.retrieve("claude-haiku-4-5")

    assert info.id == "claude-haiku-4-5-20251001"
    assert (info.max_tokens, info.max_input_tokens, info.lifecycle, info.line) == (64_000, 200_000, "active", "haiku")


def test_capabilities_say_what_each_model_takes(client: anthropic.Anthropic) -> None:
    sonnet = client.models.retrieve("claude-sonnet-4-6").capabilities
    opus = client.models.retrieve("claude-opus-4-8").capabilities
    haiku = client.models.retrieve("claude-haiku-4-5").capabilities
    assert sonnet is not None and opus is not None and haiku is not None

    assert sonnet.effort.supported and sonnet.effort.max.supported
    assert sonnet.effort.xhigh is not None and not sonnet.effort.xhigh.supported
    assert sonnet.thinking.types.enabled.supported and sonnet.thinking.types.adaptive.supported
    assert not opus.thinking.types.enabled.supported and opus.thinking.types.adaptive.supported
    assert not haiku.effort.supported and not haiku.thinking.types.adaptive.supported
    assert all(c.structured_outputs.supported and c.image_input.supported for c in (sonnet, opus, haiku))


def test_lifecycle_and_dates_follow_the_sdks_deprecations(client: anthropic.Anthropic) -> None:
    deprecated = client.models.retrieve("claude-sonnet-4-5")
    retired = client.models.retrieve("claude-mythos-preview")
    active = client.models.retrieve("claude-opus-5")

    assert deprecated.lifecycle == "deprecated" and deprecated.retires_at is not None
    assert deprecated.retires_at.date().isoformat() == "2026-11-30" and deprecated.deprecated_at is not None
    assert retired.lifecycle == "retired"  # still in the catalogue, as the API keeps it
    assert (active.lifecycle, active.deprecated_at, active.retires_at) == ("active", None, None)
    assert active.created_at.date().isoformat() == "2026-07-24"


def test_pages_follow_after_id_and_before_id(client: anthropic.Anthropic) -> None:
    everything = [m.id for m in client.models.list(limit=100)]

    first = client.models.list(limit=3)
    after = client.models.list(limit=3, after_id=first.last_id)
    before = client.models.list(limit=3, before_id=after.first_id)

    assert [m.id for m in first.data] == everything[:3] and first.first_id == everything[0]
    assert [m.id for m in after.data] == everything[3:6]
    assert [m.id for m in before.data] == everything[:3]
    assert everything[0] == "claude-fable-5-2" and everything[-1] == "claude-sonnet-4-5-20250929"


def test_every_capability_key_is_present_like_the_api(server: Emulator) -> None:
    with httpx2.Client(base_url=server.url) as http:
        body = http.get("/v1/models/claude-opus-4-6", headers={"x-api-key": KEY}).json()

    assert set(body["capabilities"]) == {
        "batch",
        "citations",
        "code_execution",
        "context_management",
        "effort",
        "image_input",
        "pdf_input",
        "server_tools",
        "structured_outputs",
        "thinking",
    }
    assert set(body["capabilities"]["thinking"]["types"]) == {"adaptive", "between_tools", "disabled", "enabled"}
    assert body["deprecated_at"] is None and body["type"] == "model"
