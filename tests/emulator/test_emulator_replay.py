"""Replay: recorded transcripts go out byte for byte and parse as they do without a socket."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anthropic
import httpx2
import pytest

from claude_magic.emulator import Emulator, serve

from .helpers import FIXTURES, KEY, MODEL, user

TRANSCRIPTS = sorted((FIXTURES / "sse").glob("*.txt"))


def test_the_fixture_folder_holds_the_transcripts_and_their_licence() -> None:
    assert len(TRANSCRIPTS) >= 7
    assert "MIT" in (FIXTURES / "sse" / "SOURCE.md").read_text()


def _final_message_without_socket(path: Path) -> anthropic.types.Message:
    """What the SDK's own accumulator builds from the file, fed through an in-process transport."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=path.read_bytes())

    with httpx2.Client(transport=httpx2.MockTransport(handler)) as http:
        with anthropic.Anthropic(api_key=KEY, base_url="http://mock.invalid", http_client=http) as client:
            with client.messages.stream(model=MODEL, max_tokens=100, messages=user("x")) as stream:
                return stream.get_final_message()


@pytest.fixture(scope="module")
def replayers() -> Iterator[dict[Path, str]]:
    """One replaying emulator per transcript, for the whole module."""
    servers = [serve(replay=path) for path in TRANSCRIPTS]
    try:
        yield {path: server.__enter__().url for path, server in zip(TRANSCRIPTS, servers, strict=True)}
    finally:
        for server in servers:
            server.__exit__(None, None, None)


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
def test_a_replayed_transcript_parses_like_the_file(path: Path, replayers: dict[Path, str]) -> None:
    expected = _final_message_without_socket(path)

    with anthropic.Anthropic(api_key=KEY, base_url=replayers[path], max_retries=0) as client:
        with client.messages.stream(model=MODEL, max_tokens=100, messages=user("x")) as stream:
            message = stream.get_final_message()

    # Block types this SDK has no model for (compaction, fallback) make pydantic warn on dump.
    assert message.model_dump(warnings=False) == expected.model_dump(warnings=False)
    assert [b.type for b in message.content] == [b.type for b in expected.content]
    assert message.stop_reason is not None


@pytest.mark.parametrize("path", TRANSCRIPTS[:2], ids=[p.stem for p in TRANSCRIPTS[:2]])
def test_a_replay_sends_the_file_byte_for_byte(path: Path, replayers: dict[Path, str]) -> None:
    body = {"model": "anything", "max_tokens": 5, "messages": user("x"), "stream": True}

    with httpx2.Client(base_url=replayers[path]) as http:
        response = http.post("/v1/messages", json=body, headers={"x-api-key": KEY})

    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.content == path.read_bytes()


def test_replay_delay_spaces_the_records() -> None:
    path = FIXTURES / "sse" / "basic_response.txt"
    with serve(replay=path, replay_delay=0.05) as server:
        with anthropic.Anthropic(api_key=KEY, base_url=server.url, max_retries=0) as client:
            with client.messages.stream(model=MODEL, max_tokens=100, messages=user("x")) as stream:
                assert stream.get_final_text() == "Hello there!"
        times = [at for at, _ in server.requests[0].sent]
        kinds = [kind for _, kind in server.requests[0].sent]

    assert kinds[:3] == ["message_start", "content_block_start", "ping"]
    assert len(times) == 9
    assert times[-1] - times[0] >= 8 * 0.05 / 2  # paced (unpaced spans ~0 s); loose for loaded machines


def test_replay_refuses_a_request_that_does_not_stream(replayers: dict[Path, str]) -> None:
    with anthropic.Anthropic(api_key=KEY, base_url=replayers[TRANSCRIPTS[0]], max_retries=0) as client:
        with pytest.raises(anthropic.BadRequestError, match="replay serves streamed requests only"):
            client.messages.create(model=MODEL, max_tokens=5, messages=user("x"))


def test_a_file_that_is_not_sse_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("just some text\n")

    with pytest.raises(ValueError, match="no SSE record"):
        Emulator(replay=tmp_path / "notes.txt")
