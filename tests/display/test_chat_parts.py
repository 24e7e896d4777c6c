"""The Chat's Python side without a kernel: its repr, its module, its refusals."""

from __future__ import annotations

import asyncio
import base64
import re
from pathlib import Path
from typing import Any

import pytest

from claude_magic import Chat
from claude_magic.display.chat import ChatAnswer
from claude_magic.core.errors import MISSING_KEY_MESSAGE

PACKAGE = Path(__file__).resolve().parents[2] / "claude_magic" / "display"


def test_text_repr_is_deterministic() -> None:
    chat, pair = Chat(), Chat(compare=["claude-sonnet-4-6", "claude-haiku-4-5"])
    try:
        assert repr(chat) == "Chat(model='claude-sonnet-4-6')"
        assert chat._repr_mimebundle_()[0]["text/plain"] == "Chat(model='claude-sonnet-4-6')"
        assert repr(pair) == "Chat(compare=['claude-sonnet-4-6', 'claude-haiku-4-5'])"
        assert pair.model == "claude-sonnet-4-6" and pair.messages == [] and pair.threads == {}
    finally:
        chat.close()
        pair.close()


def test_the_chat_module_carries_the_live_area_module_once() -> None:
    source = Chat._esm
    assert './widget.js"' not in source  # a blob-loaded module cannot import a relative path
    [encoded] = re.findall(r'from "data:text/javascript;base64,([A-Za-z0-9+/=]+)";', source)
    assert base64.b64decode(encoded) == (PACKAGE / "widget.js").read_bytes()


def _sent(chat: Chat) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    chat._post = lambda message, buffers=None: sent.append(message)  # type: ignore[method-assign]
    return sent


def test_without_a_key_the_transcript_shows_the_magics_message() -> None:
    async def ask() -> tuple[list[ChatAnswer], list[dict[str, Any]], bool]:
        chat = Chat()
        sent = _sent(chat)
        answers = await chat.send("hello")
        busy = chat.busy
        chat.close()
        return answers, sent, busy

    answers, sent, busy = asyncio.run(ask())
    # The same line as a cell's (one pipeline), with the SDK's reason after it.
    line = sent[1]["error"]
    assert line.startswith(MISSING_KEY_MESSAGE) and "\n" not in line
    assert sent == [{"turn": 1, "prompt": "hello", "models": ["claude-sonnet-4-6"]}, {"turn": 1, "error": line}]
    assert answers == [ChatAnswer("claude-sonnet-4-6", "", None, line)]
    assert busy is False


def test_send_refuses_an_empty_prompt_and_a_second_one_while_streaming() -> None:
    async def ask() -> None:
        chat = Chat()
        _sent(chat)
        try:
            with pytest.raises(ValueError, match="empty"):
                chat.send("   ")
            first = chat.send("one")
            with pytest.raises(RuntimeError, match="still streaming"):
                chat.send("two")
            await first
        finally:
            chat.close()

    asyncio.run(ask())
