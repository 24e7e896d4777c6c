"""Redaction and refusal of the user's API key and auth token (pure parts; the kernel paths are
in tests/kernel/test_secrets.py)."""

from __future__ import annotations

import asyncio

import pytest

from claude_magic.core.client import Endpoint
from claude_magic.secrets import redact, redact_deep, secrets_found
from claude_magic.exceptions import PromptError
from claude_magic.secrets import refuse_secrets
from claude_magic.display.raw_view import event_row
from claude_magic.tools.runner import ToolBox
from claude_magic.usage.record import UsageRecord
from claude_magic.usage.table import UsageTable

KEY = "sk-ant-api03-unit-KEY-0123456789"
TOKEN = "sk-ant-oat01-unit-TOKEN-0123456789"


@pytest.fixture(autouse=True)
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", TOKEN)


def test_both_the_key_and_the_token_are_redacted() -> None:
    assert redact(f"a {KEY} b {TOKEN} c") == "a [redacted key] b [redacted key] c"
    assert redact_deep({"x": [f"{TOKEN}", 3, {"y": KEY}]}) == {"x": ["[redacted key]", 3, {"y": "[redacted key]"}]}
    assert secrets_found(f"{TOKEN}") == ["ANTHROPIC_AUTH_TOKEN"]


def test_a_short_or_empty_variable_redacts_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "x")
    assert redact("x marks the spot") == "x marks the spot"


def test_endpoint_repr_holds_no_credential() -> None:
    text = repr(Endpoint(base_url="http://127.0.0.1:1", api_key=KEY)) + repr(Endpoint(base_url=None, auth_token=TOKEN))
    assert KEY not in text and TOKEN not in text and "Endpoint(base_url='http://127.0.0.1:1'" in text


def test_a_prompt_or_system_prompt_holding_a_secret_is_refused_in_one_line() -> None:
    refuse_secrets("an ordinary prompt", None)
    with pytest.raises(PromptError) as caught:
        refuse_secrets("hello", f"system {TOKEN}")
    assert "ANTHROPIC_AUTH_TOKEN" in str(caught.value) and "\n" not in str(caught.value)
    assert TOKEN not in str(caught.value)


def _call(func, raw: str = "{}"):
    return asyncio.run(ToolBox({"t": func}).call(tool_use_id="tu_1", name="t", raw_input=raw))


def test_a_tool_exception_holding_the_key_is_redacted_for_the_model_and_the_screen() -> None:
    def t() -> str:
        """Fail."""
        raise RuntimeError(f"key={KEY}")

    outcome = _call(t)
    assert outcome.is_error and outcome.content == "RuntimeError: key=[redacted key]"
    assert KEY not in str(outcome.to_param()) and KEY not in outcome.display


def test_a_tool_result_and_bad_arguments_quoting_a_secret_are_redacted() -> None:
    def t(n: int) -> str:
        """Return."""
        return f"token {TOKEN}"

    assert _call(t, '{"n": 1}').content == "token [redacted key]"
    bad = _call(t, f'{{"n": "{KEY}"}}')
    assert bad.is_error and KEY not in bad.content


def test_the_raw_view_and_the_usage_table_redact_what_they_quote() -> None:
    row = event_row({"type": "content_block_delta", "index": 0,
                     "delta": {"type": "input_json_delta", "partial_json": KEY}}, ms=1.0)
    assert row.excerpt == "[redacted key]"
    record = UsageRecord(cell=1, model=f"m-{KEY}", status="error", error=TOKEN)
    table = UsageTable([record])
    shown = table._repr_html_() + str(table)
    assert KEY not in shown and TOKEN not in shown and "[redacted key]" in shown
