"""Hostile clients over a real socket: every request gets the API's JSON, slow ones are cut off,
and the server's stderr stays empty.

The server is the command line (a real process, so its stderr is really its own) with a
1 MB cap and a 1 s client timeout, so that the deadlines can be proven in seconds.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from .helpers import KEY, MODEL
from .hostile import CliServer, assert_api_error, cli_server, is_closed, post_head, read_response

CLIENT_TIMEOUT = 1.0
BODY_TIMEOUT = 3.0


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliServer]:
    folder = tmp_path_factory.mktemp("hostile")
    timeouts = ["--client-timeout", str(CLIENT_TIMEOUT), "--body-timeout", str(BODY_TIMEOUT)]
    with cli_server(folder, "--max-request-mb", "1", *timeouts) as server:
        yield server


def _message(model: str = MODEL, content: str = "hi") -> str:
    return f'{{"model": "{model}", "max_tokens": 5, "messages": [{{"role": "user", "content": "{content}"}}]}}'


BAD_BODIES = {
    "lone surrogate in the model": _message(model="claude-\\ud800").encode(),
    "lone low surrogate in a message": _message(content="x\\udc00y").encode(),
    "surrogate encoded as UTF-8 bytes": _message(model="claude-\xed\xa0\x80").encode("latin-1"),
    "list nested 1,000 deep": b"[" * 1000 + b"]" * 1000,
    "object nested 1,000 deep": b'{"a":' * 1000 + b"1" + b"}" * 1000,
    "invalid UTF-8": b'{"model": "\xff\xfe"}',
    "a list": b"[]",
    "a string": b'"hello"',
    "a number": b"42",
    "null": b"null",
    "empty": b"",
    "truncated": _message().encode()[:-3],
}


@pytest.mark.parametrize("path", ["/v1/messages", "/v1/messages/count_tokens"])
@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_a_malformed_body_gets_a_400_in_the_api_shape(cli: CliServer, path: str, body: bytes) -> None:
    with httpx2.Client(base_url=cli.url) as http:
        response = http.post(path, content=body, headers={"x-api-key": KEY, "content-type": "application/json"})

    assert response.status_code == 400, response.text
    assert response.json()["type"] == "error"
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert response.json()["request_id"] == response.headers["request-id"]
    assert cli.err() == ""


def test_a_paired_surrogate_escape_is_a_character_and_is_answered(cli: CliServer) -> None:
    with httpx2.Client(base_url=cli.url) as http:
        response = http.post(
            "/v1/messages", content=_message(content="\\ud83d\\ude00").encode(), headers={"x-api-key": KEY}
        )

    assert response.status_code == 200
    assert response.json()["type"] == "message"


def test_a_client_that_hangs_up_mid_body_leaves_nothing_on_stderr(cli: CliServer) -> None:
    for _ in range(20):
        with cli.connect() as sock:
            sock.sendall(post_head("/v1/messages", length=1000) + b'{"model": "cla')

    with httpx2.Client(base_url=cli.url) as http:
        alive = http.post("/v1/messages", content=_message().encode(), headers={"x-api-key": KEY})
    assert alive.status_code == 200
    time.sleep(0.2)  # let the server notice the last hang-up
    assert cli.err() == ""


def test_a_10_gb_content_length_is_refused_at_once_with_413(cli: CliServer) -> None:
    with cli.connect() as sock:
        started = time.monotonic()
        sock.sendall(post_head("/v1/messages", length=10 * 1024**3))
        response = read_response(sock)
        elapsed = time.monotonic() - started

    message = assert_api_error(response, 413, "request_too_large")
    assert message == (
        "Request exceeds the maximum allowed number of bytes. The limit for POST /v1/messages is 1 MB."
    )
    assert response is not None and response.closed
    assert elapsed < CLIENT_TIMEOUT  # answered from the header, not after waiting for a body
    assert cli.err() == ""


def test_a_chunked_body_is_refused_with_413_once_it_passes_the_cap(cli: CliServer) -> None:
    chunk = b"x" * 65536
    with cli.connect() as sock:
        sock.sendall(post_head("/v1/messages", chunked=True))
        try:
            for _ in range(17):  # just past the 1 MB cap, so the server has read all it got
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except (BrokenPipeError, ConnectionResetError):
            pass
        response = read_response(sock)

    assert_api_error(response, 413, "request_too_large")
    assert cli.err() == ""


def test_the_batches_route_takes_bodies_past_the_messages_cap(cli: CliServer) -> None:
    body = b'{"requests": [], "pad": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    with httpx2.Client(base_url=cli.url) as http:
        response = http.post("/v1/messages/batches", content=body, headers={"x-api-key": KEY})
    with cli.connect() as sock:
        sock.sendall(post_head("/v1/messages/batches", length=300 * 1024**2))
        too_large = read_response(sock)

    assert response.status_code != 413  # read in full: the batches cap is 256 MB
    assert response.json()["type"] in ("error", "message_batch")
    assert "256 MB" in assert_api_error(too_large, 413, "request_too_large")
    assert cli.err() == ""


def test_a_header_trickler_is_answered_408_and_closed(cli: CliServer) -> None:
    head = post_head("/v1/messages", length=10)
    with cli.connect() as sock:
        started = time.monotonic()
        try:
            for byte in head[:30]:
                sock.sendall(bytes([byte]))
                time.sleep(0.1)  # the headers would take 3 s: longer than the client timeout
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed on us, as it should be: the answer is waiting to be read
        response = read_response(sock)
        elapsed = time.monotonic() - started

    assert "headers did not arrive" in assert_api_error(response, 408, "timeout_error")
    assert response is not None and response.closed
    assert CLIENT_TIMEOUT * 0.9 <= elapsed < CLIENT_TIMEOUT + 2
    assert cli.err() == ""


def test_a_partial_body_is_answered_408_and_closed(cli: CliServer) -> None:
    with cli.connect() as sock:
        started = time.monotonic()
        sock.sendall(post_head("/v1/messages", length=100) + b'{"model"')
        response = read_response(sock)
        elapsed = time.monotonic() - started

    assert "did not arrive in time" in assert_api_error(response, 408, "timeout_error")
    assert response is not None and response.closed
    assert CLIENT_TIMEOUT * 0.9 <= elapsed < CLIENT_TIMEOUT + 2
    assert cli.err() == ""


def test_a_body_that_trickles_steadily_is_cut_off_at_the_body_timeout(cli: CliServer) -> None:
    with cli.connect() as sock:
        started = time.monotonic()
        sock.sendall(post_head("/v1/messages", length=1000))
        try:
            while time.monotonic() - started < BODY_TIMEOUT + 1:
                sock.sendall(b" ")  # never silent for long, never done
                time.sleep(CLIENT_TIMEOUT / 4)
        except (BrokenPipeError, ConnectionResetError):
            pass
        response = read_response(sock)
        elapsed = time.monotonic() - started

    assert_api_error(response, 408, "timeout_error")
    assert BODY_TIMEOUT * 0.9 <= elapsed < BODY_TIMEOUT + 2
    assert cli.err() == ""


def test_a_connection_that_never_speaks_is_closed(cli: CliServer) -> None:
    with cli.connect() as sock:
        assert is_closed(sock, timeout=CLIENT_TIMEOUT + 2)
    assert cli.err() == ""


def test_a_keep_alive_connection_may_idle_longer_than_the_client_timeout(cli: CliServer) -> None:
    body = _message().encode()
    with cli.connect() as sock:
        sock.sendall(post_head("/v1/messages", length=len(body)) + body)
        first = read_response(sock, timeout=5, keep_open=True)
        time.sleep(CLIENT_TIMEOUT * 1.5)  # idle between requests: the keep-alive timeout (5 s) rules
        sock.sendall(post_head("/v1/messages", length=len(body)) + body)
        second = read_response(sock, timeout=5, keep_open=True)

    assert first is not None and second is not None
    assert first.status == second.status == 200


def test_a_request_that_is_not_http_gets_a_400_in_the_api_shape(cli: CliServer) -> None:
    with cli.connect() as sock:
        sock.sendall(b"HELLO THERE\r\n\r\n")
        response = read_response(sock)

    assert_api_error(response, 400, "invalid_request_error")
    assert cli.err() == ""


def test_the_in_process_emulator_prints_nothing_when_readers_leave_streams_early(tmp_path: Path) -> None:
    """Issue 13: 104 "socket.send() raised exception." lines on a notebook's stderr."""
    script = textwrap.dedent(
        f"""
        import anthropic
        from claude_magic.emulator import serve

        long = {{"rules": [{{"match": "long", "tokens_per_second": 2000, "delta_chars": 1,
                            "blocks": [{{"type": "text", "text": "a" * 3000}}]}}]}}
        with serve(long) as server:
            client = anthropic.Anthropic(api_key="k", base_url=server.url, max_retries=0)
            for _ in range(20):
                with client.messages.stream(model="{MODEL}", max_tokens=4000, messages=[
                    {{"role": "user", "content": "long"}}
                ]) as stream:
                    for number, _text in enumerate(stream.text_stream):
                        if number == 3:
                            break
            client.close()
        print("done")
        """
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)

    assert run.stdout == "done\n"
    assert run.stderr == ""
