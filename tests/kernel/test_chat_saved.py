"""The Chat right after %load_ext, its model list from the API, and its transcript as an output."""

from __future__ import annotations

import anthropic

from conftest import TEST_KEY, use_script


def test_chat_needs_no_import_offers_the_apis_models_and_saves_its_transcript(kernel, emulator):
    use_script(emulator, [{"blocks": [{"type": "text", "text": "**Paris** has <b>bridges</b>."}]}])
    shown = kernel.run("chat = claude_magic.Chat()\nchat")  # no `import claude_magic`
    assert shown.status == "ok", shown.all_text
    with anthropic.Anthropic(base_url=emulator.url, api_key=TEST_KEY, max_retries=0) as client:
        offered = [m.id for m in client.models.list(limit=50).data]
    kernel.run("import asyncio\nawait asyncio.sleep(0.5)")
    assert kernel.value("chat.models") == list(dict.fromkeys(["claude-sonnet-4-6", *offered]))
    assert any("haiku" in m for m in kernel.value("chat.models"))

    run = kernel.run("answers = await chat.send('Bridges?')\nchat.transcript()")
    assert run.status == "ok", run.all_text
    html = run.data("text/html")[-1]
    assert "<strong>Paris</strong>" in html and "&lt;b&gt;bridges&lt;/b&gt;" in html  # safe HTML
    assert "<b>bridges</b>" not in html
    plain = run.data("text/plain")[-1]
    assert "You: Bridges?" in plain and "claude-sonnet-4-6: **Paris**" in plain
    again = kernel.run("chat")
    assert "You: Bridges?" in again.data("text/plain")[0]
