"""Record and replay: a proxy in front of a second emulator records; a replay answers the same.

The upstream is an emulator with a paced script; the real SDK talks to the recording proxy
with a sentinel key, which must reach the upstream and never the recording files.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anthropic
import httpx2
import pytest

from claude_magic.emulator import Emulator, serve
from claude_magic.emulator.__main__ import main

from .helpers import MODEL, user

SENTINEL = "sk-ant-SENTINEL-never-on-disk-0123456789"
PACED = {
    "rules": [
        {"name": "paced", "match": "paced", "ttft": 0.05, "tokens_per_second": 40, "delta_chars": 4,
         "blocks": [{"type": "text", "text": "Streams arrive one small piece at a time."}]},
        {"name": "long", "match": "long answer", "tokens_per_second": 100, "delta_chars": 1,
         "blocks": [{"type": "text", "text": "x" * 300}]},
        {"name": "echo", "match": "echo my key", "status": 429, "echo_key": True, "retry_after": 0},
    ]
}  # fmt: skip


@pytest.fixture(scope="module")
def upstream() -> Iterator[Emulator]:
    with serve(PACED) as server:
        yield server


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "recording"


@pytest.fixture
def proxy(upstream: Emulator, folder: Path) -> Iterator[Emulator]:
    upstream.requests.clear()
    with serve(record=folder, upstream=upstream.url) as server:
        yield server


def _stream_body(text: str) -> dict[str, object]:
    return {"model": MODEL, "max_tokens": 200, "messages": user(text), "stream": True}


def _post_raw(url: str, body: dict[str, object], key: str = SENTINEL) -> httpx2.Response:
    return httpx2.post(f"{url}/v1/messages", json=body, headers={"x-api-key": key}, timeout=30)


def _recorded_text(folder: Path) -> str:
    return "\n".join(path.read_text() for path in sorted(folder.glob("*.json")))


def test_a_stream_recorded_through_the_proxy_replays_byte_for_byte_and_paced(proxy: Emulator, folder: Path) -> None:
    with anthropic.Anthropic(api_key=SENTINEL, base_url=proxy.url, max_retries=0) as client:
        with client.messages.stream(model=MODEL, max_tokens=200, messages=user("paced, via the SDK")) as stream:
            assert stream.get_final_text() == "Streams arrive one small piece at a time."
    through_proxy = _post_raw(proxy.url, _stream_body("paced, raw"))
    recorded = [at for at, kind in proxy.requests[-1].sent if kind == "content_block_delta"]

    with serve(replay=folder) as replay:
        replayed = _post_raw(replay.url, _stream_body("paced, raw"), key="any")
        sent = [at for at, kind in replay.requests[-1].sent if kind == "content_block_delta"]

    assert through_proxy.status_code == replayed.status_code == 200
    assert replayed.headers["content-type"].startswith("text/event-stream")
    assert replayed.content == through_proxy.content  # byte for byte
    assert len(sent) == len(recorded) == 11
    # The upstream spaced 11 deltas 25 ms apart (0.25 s); unpaced they would leave at once.
    assert recorded[-1] - recorded[0] >= 0.2
    assert sent[-1] - sent[0] >= (recorded[-1] - recorded[0]) / 2  # loose: a loaded machine cannot fail it


def test_a_message_recorded_through_the_proxy_replays_through_the_sdk(proxy: Emulator, folder: Path) -> None:
    with anthropic.Anthropic(api_key=SENTINEL, base_url=proxy.url, max_retries=0) as client:
        live = client.messages.create(model=MODEL, max_tokens=200, messages=user("paced, not streamed"))

    with serve(replay=folder) as replay, anthropic.Anthropic(api_key="any", base_url=replay.url) as client:
        again = client.messages.create(model=MODEL, max_tokens=200, messages=user("paced, not streamed"))

    assert again.model_dump() == live.model_dump()
    assert again.content[0].type == "text" and again.content[0].text.startswith("Streams arrive")


def test_the_key_reaches_the_upstream_and_never_the_recording(
    proxy: Emulator, upstream: Emulator, folder: Path
) -> None:
    with anthropic.Anthropic(api_key=SENTINEL, base_url=proxy.url, max_retries=0) as client:
        client.messages.create(model=MODEL, max_tokens=20, messages=user("paced"))
        with pytest.raises(anthropic.RateLimitError) as refused:
            client.messages.create(model=MODEL, max_tokens=20, messages=user("echo my key"))

    assert upstream.requests[0].headers["authorization"] == f"Bearer {SENTINEL}"
    assert SENTINEL in str(refused.value)  # the client sees what the upstream said, its own key
    files = _recorded_text(folder)
    assert len(list(folder.glob("*.json"))) == 2
    assert SENTINEL not in files and "[redacted]" in files
    assert all(h["request"]["headers"].keys() <= {"anthropic-version", "anthropic-beta", "content-type"}
               for h in map(json.loads, (p.read_text() for p in folder.glob("*.json"))))  # fmt: skip
    assert all(r.headers["authorization"] == "[redacted]" for r in proxy.requests)


def test_a_client_that_leaves_mid_stream_ends_the_upstream_request_and_nothing_is_saved(
    proxy: Emulator, upstream: Emulator, folder: Path
) -> None:
    with httpx2.Client(base_url=proxy.url) as http:
        body = {**_stream_body("long answer"), "max_tokens": 1000}
        with http.stream("POST", "/v1/messages", json=body, headers={"x-api-key": SENTINEL}) as response:
            for line in response.iter_lines():
                if line.startswith("event: content_block_delta"):
                    break
    time.sleep(0.5)
    deltas_sent = len([kind for _, kind in upstream.requests[-1].sent if kind == "content_block_delta"])
    time.sleep(0.3)

    assert len([kind for _, kind in upstream.requests[-1].sent if kind == "content_block_delta"]) == deltas_sent
    assert deltas_sent < 150  # of 300 deltas, 3 s of answer: the upstream stopped when the client left
    assert list(folder.glob("*.json")) == []


def test_a_request_without_a_key_goes_upstream_with_the_environment_key(
    upstream: Emulator, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", SENTINEL)
    upstream.requests.clear()
    with serve(record=folder, upstream=upstream.url) as proxy:
        answer = httpx2.post(f"{proxy.url}/v1/messages", json={**_stream_body("paced"), "stream": False})

    assert answer.status_code == 200
    assert upstream.requests[0].headers["x-api-key"] == SENTINEL
    assert SENTINEL not in _recorded_text(folder)


def test_replay_matches_on_meaningful_fields_and_says_which_request_has_none(proxy: Emulator, folder: Path) -> None:
    body = {**_stream_body("paced"), "stream": False, "metadata": {"user_id": "recorded"}}
    assert _post_raw(proxy.url, body).status_code == 200

    with serve(replay=folder) as replay:
        other_metadata = _post_raw(replay.url, {**body, "metadata": {"user_id": "someone else"}}, key="any")
        with anthropic.Anthropic(api_key="any", base_url=replay.url, max_retries=0) as client:
            with pytest.raises(anthropic.NotFoundError) as missing:
                client.messages.create(model=MODEL, max_tokens=199, messages=user("paced"))

    assert other_metadata.status_code == 200
    assert other_metadata.json()["content"][0]["text"].startswith("Streams arrive")
    assert missing.value.body["error"]["message"] == (  # type: ignore[index]
        f'no recording for POST /v1/messages (model {MODEL}, last user message "paced") '
        "in recording: record it with --record"
    )


def test_the_same_request_recorded_twice_replays_its_answers_in_order(upstream: Emulator, folder: Path) -> None:
    body = {"model": MODEL, "max_tokens": 50, "messages": user("tell me something")}
    with serve(record=folder, upstream=upstream.url) as proxy:
        first = _post_raw(proxy.url, body).json()
        second = _post_raw(proxy.url, body).json()

    with serve(replay=folder) as replay:
        replies = [_post_raw(replay.url, body, key="any").json()["id"] for _ in range(3)]

    assert first["id"] != second["id"]
    assert replies == [first["id"], second["id"], second["id"]]


def test_the_cli_replays_a_folder_and_prints_one_line_for_a_missing_recording(proxy: Emulator, folder: Path) -> None:
    with anthropic.Anthropic(api_key=SENTINEL, base_url=proxy.url, max_retries=0) as client:
        recorded = client.messages.create(model=MODEL, max_tokens=50, messages=user("from the command line"))
    player = subprocess.Popen(
        [sys.executable, "-m", "claude_magic.emulator", "--port", "0", "--replay", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert player.stdout is not None
    url = player.stdout.readline().strip()
    with anthropic.Anthropic(api_key="any", base_url=url, max_retries=0) as client:
        replayed = client.messages.create(model=MODEL, max_tokens=50, messages=user("from the command line"))
        with pytest.raises(anthropic.NotFoundError):
            client.messages.create(model=MODEL, max_tokens=50, messages=user("never recorded"))
    player.terminate()
    _, player_err = player.communicate(timeout=10)

    assert replayed.id == recorded.id
    assert player_err.splitlines() == [
        f'replay: no recording for POST /v1/messages (model {MODEL}, last user message "never recorded")'
    ]


@pytest.mark.parametrize(
    "args", [["--record", "out"], ["--record", "out", "--upstream", "http://127.0.0.1:9", "--script", "workshop"]]
)
def test_the_cli_refuses_a_recording_without_upstream_or_with_a_script(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(args)

    assert exited.value.code == 2
    assert "--record needs --upstream URL" in capsys.readouterr().err


def test_a_folder_without_recordings_is_refused_before_serving(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no recordings"):
        Emulator(replay=tmp_path)
