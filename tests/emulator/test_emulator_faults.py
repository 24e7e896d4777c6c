"""Faults as the real SDK meets them: HTTP errors and retries, mid-stream errors, drops, stalls."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import anthropic
import httpx2
import pytest

from claude_magic.emulator import Emulator, serve

from .helpers import KEY, MODEL, deltas, user

TEXT = "one two three four five six seven eight"


def test_two_overloaded_then_success_reach_the_server_as_three_requests(
    server: Emulator, make_client: Callable[..., anthropic.Anthropic]
) -> None:
    server.set_script({"rules": [{"status": 529, "times": 2, "retry_after_ms": 10}]})
    client = make_client(max_retries=2)  # the SDK's default

    with client.messages.stream(model=MODEL, max_tokens=50, messages=user("busy")) as stream:
        text = stream.get_final_text()

    assert text
    assert len(server.requests) == 3


def test_three_overloaded_in_a_row_raise_overloaded_error(
    server: Emulator, make_client: Callable[..., anthropic.Anthropic]
) -> None:
    server.set_script({"rules": [{"status": 529, "retry_after_ms": 10}]})
    client = make_client(max_retries=2)

    with pytest.raises(anthropic.OverloadedError) as caught:
        client.messages.create(model=MODEL, max_tokens=50, messages=user("busy"))

    assert caught.value.type == "overloaded_error"
    assert len(server.requests) == 3


@pytest.mark.parametrize(
    ("status", "error", "error_type"),
    [
        (400, anthropic.BadRequestError, "invalid_request_error"),
        (401, anthropic.AuthenticationError, "authentication_error"),
        (403, anthropic.PermissionDeniedError, "permission_error"),
        (404, anthropic.NotFoundError, "not_found_error"),
        (413, anthropic.ContentTooLargeError, "request_too_large"),
        (429, anthropic.RateLimitError, "rate_limit_error"),
        (500, anthropic.InternalServerError, "api_error"),
        (529, anthropic.OverloadedError, "overloaded_error"),
    ],
)
def test_status_rule_raises_the_sdk_error_for_that_status(
    server: Emulator, client: anthropic.Anthropic, status: int, error: type[Exception], error_type: str
) -> None:
    server.set_script({"rules": [{"status": status}]})

    with pytest.raises(error) as caught:
        client.messages.create(model=MODEL, max_tokens=50, messages=user("x"))

    exc = caught.value
    assert isinstance(exc, anthropic.APIStatusError)
    assert (exc.status_code, exc.type) == (status, error_type)
    assert exc.body["type"] == "error" and exc.body["request_id"] == exc.request_id
    assert exc.request_id and exc.request_id.startswith("req_")


def test_retry_after_settings_become_headers(server: Emulator, client: anthropic.Anthropic) -> None:
    server.set_script({"rules": [{"status": 429, "retry_after": 2, "retry_after_ms": 1500, "message": "slow down"}]})

    with pytest.raises(anthropic.RateLimitError) as caught:
        client.messages.create(model=MODEL, max_tokens=50, messages=user("x"))

    headers = caught.value.response.headers
    assert (headers["retry-after"], headers["retry-after-ms"]) == ("2", "1500")
    assert caught.value.api_message == "slow down"


def test_times_counts_attempts_per_rule_and_set_script_starts_over(
    server: Emulator, client: anthropic.Anthropic
) -> None:
    script = {
        "rules": [
            {"name": "a", "match": "alpha", "status": 500, "times": 1},
            {"name": "b", "match": "beta", "status": 500, "times": 2},
        ]
    }
    server.set_script(script)

    def fails(prompt: str) -> bool:
        try:
            client.messages.create(model=MODEL, max_tokens=5, messages=user(prompt))
        except anthropic.InternalServerError:
            return True
        return False

    assert [fails("alpha"), fails("beta"), fails("alpha"), fails("beta"), fails("beta")] == [
        True,
        True,
        False,
        True,
        False,
    ]
    server.set_script(script)
    assert fails("alpha")


def test_error_after_raises_overloaded_mid_stream_after_the_deltas(
    server: Emulator, client: anthropic.Anthropic
) -> None:
    server.set_script({"rules": [{"error_after": 3, "blocks": [{"type": "text", "text": TEXT}]}]})
    received: list[str] = []

    with pytest.raises(anthropic.APIStatusError) as caught:
        with client.messages.stream(model=MODEL, max_tokens=50, messages=user("x")) as stream:
            received.extend(stream.text_stream)

    assert "".join(received) == "one two three"
    assert (caught.value.status_code, caught.value.type) == (200, "overloaded_error")
    assert caught.value.body["error"] == {"type": "overloaded_error", "message": "Overloaded"}
    # The server notes an event once written; the client may read it (and raise) first.
    deadline = time.monotonic() + 2
    while [kind for _, kind in server.requests[0].sent][-1] != "error" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [kind for _, kind in server.requests[0].sent][-1] == "error"
    assert len(server.requests) == 1  # a mid-stream error is not retried


def test_error_after_beyond_the_reply_fires_before_message_delta(server: Emulator, client: anthropic.Anthropic) -> None:
    server.set_script({"rules": [{"error_after": 100, "blocks": [{"type": "text", "text": "short"}]}]})

    with pytest.raises(anthropic.APIStatusError):
        with client.messages.stream(model=MODEL, max_tokens=50, messages=user("x")) as stream:
            stream.until_done()

    kinds = [kind for _, kind in server.requests[0].sent]
    assert kinds[-2:] == ["content_block_stop", "error"]


def test_error_after_without_streaming_answers_529(server: Emulator, client: anthropic.Anthropic) -> None:
    server.set_script({"rules": [{"error_after": 2}]})

    with pytest.raises(anthropic.OverloadedError):
        client.messages.create(model=MODEL, max_tokens=50, messages=user("x"))


def test_drop_after_without_streaming_closes_before_any_response(server: Emulator, client: anthropic.Anthropic) -> None:
    server.set_script({"rules": [{"drop_after": 2}]})

    with pytest.raises(anthropic.APIConnectionError) as caught:
        client.messages.create(model=MODEL, max_tokens=50, messages=user("x"))

    assert isinstance(caught.value.__cause__, httpx2.RemoteProtocolError)


def test_drop_after_raises_the_transport_error_after_the_deltas(server: Emulator, client: anthropic.Anthropic) -> None:
    server.set_script({"rules": [{"match": "drop", "drop_after": 2, "blocks": [{"type": "text", "text": TEXT}]}]})
    received: list[str] = []

    with pytest.raises(httpx2.RemoteProtocolError, match="incomplete chunked read"):
        with client.messages.stream(model=MODEL, max_tokens=50, messages=user("drop")) as stream:
            received.extend(stream.text_stream)

    assert "".join(received) == "one two"
    assert client.messages.create(model=MODEL, max_tokens=5, messages=user("still up")).content


def test_stall_until_the_client_gives_up_raises_read_timeout(
    server: Emulator, make_client: Callable[..., anthropic.Anthropic]
) -> None:
    server.set_script({"rules": [{"match": "stall", "stall_after": 1, "blocks": [{"type": "text", "text": TEXT}]}]})
    client = make_client(timeout=httpx2.Timeout(5.0, read=0.3))
    received: list[str] = []

    started = time.monotonic()
    with pytest.raises(httpx2.ReadTimeout):
        with client.messages.stream(model=MODEL, max_tokens=50, messages=user("stall")) as stream:
            received.extend(stream.text_stream)

    assert received == ["one"]
    assert 0.3 <= time.monotonic() - started < 3
    assert client.messages.create(model=MODEL, max_tokens=5, messages=user("next")).content


def test_stall_with_a_duration_pauses_then_finishes(server: Emulator, client: anthropic.Anthropic) -> None:
    server.set_script({"rules": [{"stall_after": 2, "stall_s": 0.3, "blocks": [{"type": "text", "text": TEXT}]}]})

    with client.messages.stream(model=MODEL, max_tokens=50, messages=user("x")) as stream:
        text = stream.get_final_text()

    assert text == TEXT
    sent = deltas(server)
    gaps = [b - a for a, b in zip(sent, sent[1:], strict=False)]
    assert gaps[1] >= 0.29 and max(gaps[:1] + gaps[2:]) < 0.1


def test_echo_key_sends_the_received_key_back_in_errors(server: Emulator, client: anthropic.Anthropic) -> None:
    server.set_script(
        {
            "rules": [
                {"match": "status", "status": 401, "echo_key": True},
                {"match": "stream", "error_after": 0, "echo_key": True},
            ]
        }
    )

    with pytest.raises(anthropic.AuthenticationError) as status_error:
        client.messages.create(model=MODEL, max_tokens=5, messages=user("status"))
    with pytest.raises(anthropic.APIStatusError) as stream_error:
        with client.messages.stream(model=MODEL, max_tokens=5, messages=user("stream")) as stream:
            stream.until_done()

    assert KEY in (status_error.value.api_message or "")
    assert KEY in stream_error.value.body["error"]["message"]


def test_echo_key_is_off_by_default(server: Emulator, client: anthropic.Anthropic) -> None:
    server.set_script({"rules": [{"status": 401}]})

    with pytest.raises(anthropic.AuthenticationError) as caught:
        client.messages.create(model=MODEL, max_tokens=5, messages=user("x"))

    assert KEY not in caught.value.response.text


def test_stopping_the_server_ends_a_stalled_stream() -> None:
    errors: list[BaseException] = []
    with serve({"rules": [{"stall_after": 0}]}) as emulator:
        client = anthropic.Anthropic(api_key=KEY, base_url=emulator.url, max_retries=0)

        def read() -> None:
            try:
                with client.messages.stream(model=MODEL, max_tokens=5, messages=user("x")) as stream:
                    stream.until_done()
            except Exception as exc:
                errors.append(exc)

        reader = threading.Thread(target=read)
        reader.start()
        while not emulator.requests or not emulator.requests[0].sent:
            time.sleep(0.01)
        started = time.monotonic()
    stop_took = time.monotonic() - started
    reader.join(5)
    client.close()

    assert stop_took < 2
    assert not reader.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], httpx2.RemoteProtocolError)
