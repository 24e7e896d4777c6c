"""The room server: beyond 127.0.0.1 every request needs the emulator's own access token.

Tests bind 127.0.0.1 with the token forced on, or bind 0.0.0.0 and connect through 127.0.0.1.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import anthropic
import httpx2
import pytest

from claude_magic.emulator import Emulator, serve

from .helpers import MODEL, user

TOKEN = "room-token-for-tests-0123456789"
BODY = {"model": MODEL, "max_tokens": 5, "messages": user("hi")}


@pytest.fixture(scope="module")
def room() -> Iterator[Emulator]:
    with serve(token=TOKEN) as server:
        yield server


def _error(response: httpx2.Response) -> tuple[int, str, str]:
    body = response.json()
    assert body["request_id"] == response.headers["request-id"]
    return response.status_code, body["error"]["type"], body["error"]["message"]


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/v1/messages"), ("POST", "/v1/messages/count_tokens"), ("GET", "/v1/models")]
)
def test_a_request_without_the_token_is_refused_in_the_apis_words(room: Emulator, method: str, path: str) -> None:
    with httpx2.Client(base_url=room.url) as http:
        missing = http.request(method, path, json=BODY if method == "POST" else None)
        wrong = http.request(method, path, json=BODY if method == "POST" else None, headers={"x-api-key": "guess"})

    assert _error(missing) == (401, "authentication_error", "x-api-key header is required")
    assert _error(wrong) == (401, "authentication_error", "invalid x-api-key")


def test_the_token_is_accepted_as_the_sdks_key_or_as_x_api_key(room: Emulator) -> None:
    room.requests.clear()
    with anthropic.Anthropic(api_key=TOKEN, base_url=room.url, max_retries=0) as client:
        message = client.messages.create(**BODY)  # type: ignore[arg-type]
    with httpx2.Client(base_url=room.url) as http:
        by_header = http.post("/v1/messages", json=BODY, headers={"x-api-key": TOKEN})

    assert message.type == "message" and by_header.status_code == 200
    assert [r.headers.get("authorization") for r in room.requests] == ["Bearer room-token", None]
    assert room.requests[1].headers["x-api-key"] == "room-token"
    assert all(TOKEN not in str(r.headers) for r in room.requests)  # the request log never holds it


def test_the_sdk_with_a_wrong_token_gets_an_authentication_error(room: Emulator) -> None:
    with anthropic.Anthropic(api_key="not-the-token", base_url=room.url, max_retries=0) as client:
        with pytest.raises(anthropic.AuthenticationError, match="invalid x-api-key"):
            client.messages.create(**BODY)  # type: ignore[arg-type]


def test_binding_every_address_generates_a_token_and_requires_it() -> None:
    with serve(host="0.0.0.0") as server:
        port = server.url.rsplit(":", 1)[1]
        with httpx2.Client(base_url=f"http://127.0.0.1:{port}") as http:
            refused = http.post("/v1/messages", json=BODY, headers={"x-api-key": "any"})
            served = http.post("/v1/messages", json=BODY, headers={"x-api-key": server.token or ""})

    assert server.token is not None and len(server.token) >= 20
    assert _error(refused)[:2] == (401, "authentication_error")
    assert served.status_code == 200


def test_on_loopback_no_token_is_needed() -> None:
    emulator = Emulator()
    assert emulator.token is None


def test_a_recording_proxy_in_a_room_sends_its_own_key_upstream(tmp_path: Path) -> None:
    with serve() as upstream:
        with serve(record=tmp_path, upstream=upstream.url, token=TOKEN, upstream_key="sk-teacher") as proxy:
            with anthropic.Anthropic(api_key=TOKEN, base_url=proxy.url, max_retries=0) as client:
                client.messages.create(**BODY)  # type: ignore[arg-type]
        sent = upstream.requests[0].headers

    assert sent["x-api-key"] == "sk-teacher" and "authorization" not in sent
    assert "sk-teacher" not in "".join(p.read_text() for p in tmp_path.glob("*.json"))


def test_the_cli_on_every_address_prints_its_token_once_and_requires_it() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "claude_magic.emulator", "--host", "0.0.0.0", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    token_line = process.stdout.readline().strip()
    token = token_line.removeprefix("access token: ")
    local = "http://127.0.0.1:" + url.rsplit(":", 1)[1]
    with httpx2.Client(base_url=local) as http:
        refused = http.post("/v1/messages", json=BODY, headers={"x-api-key": "any"})
    with anthropic.Anthropic(api_key=token, base_url=local, max_retries=0) as client:
        message = client.messages.create(**BODY)  # type: ignore[arg-type]
    process.terminate()
    out, err = process.communicate(timeout=10)

    assert url.startswith("http://0.0.0.0:")
    assert token_line.startswith("access token: ") and len(token) >= 20
    assert refused.status_code == 401 and message.type == "message"
    assert out == "" and err == ""  # printed once, at the start; nothing else anywhere
