"""The request log is a ring of the newest requests, and large bodies are summarized once old."""

from __future__ import annotations

import httpx2

from claude_magic.emulator import Limits, serve

from .helpers import KEY, MODEL, user


def _post(url: str, text: str) -> None:
    body = {"model": MODEL, "max_tokens": 5, "messages": user(text)}
    assert httpx2.post(f"{url}/v1/messages", json=body, headers={"x-api-key": KEY}).status_code == 200


def test_the_log_keeps_the_newest_requests_only() -> None:
    with serve(limits=Limits(keep_requests=3)) as server:
        for number in range(5):
            _post(server.url, f"request {number}")
        texts = [r.body["messages"][0]["content"] for r in server.requests]

    assert texts == ["request 2", "request 3", "request 4"]


def test_a_large_body_is_summarized_once_a_newer_request_arrives() -> None:
    with serve(limits=Limits(keep_body_bytes=1000)) as server:
        _post(server.url, "x" * 5000)
        newest_kept = server.requests[-1].body["messages"][0]["content"]
        _post(server.url, "small")
        old, new = server.requests

    assert newest_kept == "x" * 5000  # the newest request keeps its whole body
    assert old.body["model"] == MODEL and old.body["max_tokens"] == 5
    assert "messages" not in old.body
    assert old.body["_summary"].endswith("bytes: body not kept (the request log keeps bodies up to 1,000 bytes)")
    assert new.body["messages"][0]["content"] == "small"

