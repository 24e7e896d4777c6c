"""Every failure becomes one line that says what happened and what to do, with no secret in it."""

from __future__ import annotations

import anthropic
import httpx2
import pytest
from anthropic._error_classes import make_status_error
from fake_api import REQUEST, connection_error, drop, stall, status_error

from claude_magic.core.errors import CHAT_RETRY_HINTS, describe_error, error_type, is_retryable, redact

KEY = "sk-ant-api03-" + "k" * 24
TOKEN = "auth-token-" + "t" * 16
AGAIN = " Run %claude_retry to try again."
KEPT = (" The partial answer above is kept. Run %claude_retry to ask again, or %claude_retry --continue"
        " to continue from the partial answer.")


@pytest.mark.parametrize("status,kind,message,line", [
    (400, "invalid_request_error", "max_tokens: 999999 > 64000, which is the maximum allowed.",
     "Bad request (400): max_tokens: 999999 > 64000, which is the maximum allowed. "
     "Fix: check this cell's options (model, --max-tokens, --temperature) and the prompt."),
    (401, "authentication_error", "invalid x-api-key",
     "Authentication failed (401): invalid x-api-key. "
     "Fix: the API key was refused: set a valid ANTHROPIC_API_KEY, or run %claude_offline."),
    (403, "permission_error", "Your API key does not have permission to use the specified resource.",
     "Permission denied (403): Your API key does not have permission to use the specified resource. "
     "Fix: this key may not use this model or feature: check the key's workspace and permissions."),
    (404, "not_found_error", "model: claude-nope",
     "Not found (404): model: claude-nope. Fix: check the model name (-m/--model or %config ClaudeMagic.model)."),
    (413, "request_too_large", "Request exceeds the maximum allowed number of bytes.",
     "Request too large (413): Request exceeds the maximum allowed number of bytes. "
     "Fix: the request is too large: shorten the prompt, or start afresh with --new or %claude_reset."),
])
def test_a_refusal_names_the_status_and_the_fix(status: int, kind: str, message: str, line: str) -> None:
    assert describe_error(status_error(status, kind, message)) == line


def test_a_rate_limit_says_how_many_attempts_were_made() -> None:
    exc = status_error(429, "rate_limit_error", "Number of requests has exceeded your rate limit")
    assert describe_error(exc, attempts=5) == (
        "Rate limited (429) after 5 attempts: Number of requests has exceeded your rate limit." + AGAIN
    )


def test_an_overload_after_one_attempt_does_not_count_attempts() -> None:
    assert describe_error(status_error(529, "overloaded_error", "Overloaded")) == "Overloaded (529): Overloaded." + AGAIN


def test_a_server_error_without_a_body_still_says_which() -> None:
    assert describe_error(status_error(502)).startswith("Bad gateway (502): Error code: 502")


def test_an_error_event_mid_stream_names_its_type_and_keeps_the_partial_answer() -> None:
    exc = status_error(200, "overloaded_error", "Overloaded")
    assert describe_error(exc, partial=True) == "The stream stopped with overloaded_error: Overloaded." + KEPT
    assert describe_error(exc) == "The stream stopped with overloaded_error: Overloaded." + AGAIN


def test_a_connection_failure_names_where_and_how_to_work_offline() -> None:
    assert describe_error(connection_error(), base_url="http://127.0.0.1:9", attempts=3) == (
        "Cannot reach http://127.0.0.1:9 after 3 attempts: check the network, "
        "or run %claude_offline to use the local emulator."
    )
    assert describe_error(connection_error()).startswith("Cannot reach the API: ")


@pytest.mark.parametrize("exc", [stall(), anthropic.APITimeoutError(request=REQUEST)], ids=["read", "sdk"])
def test_a_stall_says_how_long_nothing_arrived(exc: Exception) -> None:
    assert describe_error(exc, stall_timeout=60.0) == "No data arrived for 60 s: the stream stalled." + AGAIN
    assert describe_error(exc, stall_timeout=2.5, partial=True) == (
        "No data arrived for 2.5 s: the stream stalled." + KEPT
    )


def test_a_dropped_connection_keeps_the_partial_answer() -> None:
    assert describe_error(drop(), partial=True) == "The connection dropped in the middle of the answer." + KEPT
    # Any transport failure after text was shown is a drop, whatever httpx2 calls it.
    assert describe_error(httpx2.ReadError("reset", request=REQUEST), partial=True).startswith("The connection dropped")


def test_the_chat_gets_its_own_hints() -> None:
    assert describe_error(stall(), stall_timeout=60.0, hints=CHAT_RETRY_HINTS).endswith("stalled. Send it again.")
    assert describe_error(drop(), partial=True, hints=CHAT_RETRY_HINTS).endswith(
        "The partial answer above is kept. Send it again, or ask to continue."
    )


def test_an_unexpected_exception_is_named() -> None:
    assert describe_error(ValueError("boom")) == "ValueError: boom"


GATEWAY_PAGE = "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n<h1>502 Bad Gateway</h1>\n</body>\n</html>"


@pytest.mark.parametrize("exc", [
    status_error(400, "invalid_request_error", "messages: text content blocks must be non-empty"),
    status_error(400, "invalid_request_error", "tools.0.input_schema: JSON schema is invalid:\n  - 'x' is not a type"),
    status_error(200, "api_error", "Internal server error.\nPlease retry."),
    # What a proxy in front of the API sends: an HTML page, which the SDK keeps as the message.
    make_status_error(GATEWAY_PAGE, body=GATEWAY_PAGE, response=httpx2.Response(502, request=REQUEST)),
    status_error(529, "overloaded_error", "Overloaded"), connection_error(), stall(), drop(), ValueError("x"),
], ids=["400", "400-multiline", "event-multiline", "502-html-page", "529", "connection", "stall", "drop", "other"])
def test_every_description_is_one_line(exc: Exception) -> None:
    for partial in (False, True):
        assert "\n" not in describe_error(exc, partial=partial)


# -- secrets ----------------------------------------------------------------------------------------


def test_redact_removes_the_api_key_and_the_auth_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", TOKEN)
    redacted = redact(f"key={KEY} token={TOKEN} key again {KEY}")
    assert KEY not in redacted and TOKEN not in redacted
    assert redacted == "key=[redacted key] token=[redacted key] key again [redacted key]"


def test_redact_reads_the_environment_when_called(monkeypatch: pytest.MonkeyPatch) -> None:
    assert redact(f"{KEY}") == KEY  # not set yet: nothing to hide
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", KEY)  # %env set later in the notebook
    assert redact(f"{KEY}") == "[redacted key]"


def test_redact_ignores_values_too_short_to_be_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "abc")
    assert redact("abc def abc") == "abc def abc"
    assert redact("pass secret-42 here", ["secret-42", "ab"]) == "pass [redacted key] here"


@pytest.mark.parametrize("variable,value", [("ANTHROPIC_API_KEY", KEY), ("ANTHROPIC_AUTH_TOKEN", TOKEN)])
def test_an_error_that_echoes_a_secret_is_described_without_it(monkeypatch: pytest.MonkeyPatch, variable: str,
                                                                value: str) -> None:
    monkeypatch.setenv(variable, value)
    refused = status_error(401, "authentication_error", f"invalid x-api-key: {value}")
    stopped = status_error(200, "api_error", f"internal error for {value}")
    for line in (describe_error(refused), describe_error(stopped, partial=True), describe_error(ValueError(value))):
        assert value not in line and "[redacted key]" in line
    assert value not in error_type(status_error(400, value, "x"))


# -- what the usage record and the retry loop need ----------------------------------------------------


@pytest.mark.parametrize("exc,kind", [
    (status_error(529, "overloaded_error", "Overloaded"), "overloaded_error"),
    (status_error(200, "api_error", "x"), "api_error"),
    (status_error(502), "http_502"),
    (stall(), "timeout"),
    (anthropic.APITimeoutError(request=REQUEST), "timeout"),
    (connection_error(), "connection_error"),
    (drop(), "connection_error"),
    (ValueError("x"), "ValueError"),
])
def test_error_type_is_short_and_machine_friendly(exc: Exception, kind: str) -> None:
    assert error_type(exc) == kind


@pytest.mark.parametrize("status,retry", [(400, False), (401, False), (403, False), (404, False), (413, False),
                                          (408, True), (409, True), (429, True), (500, True), (503, True),
                                          (529, True)])
def test_is_retryable_by_status(status: int, retry: bool) -> None:
    assert is_retryable(status_error(status, "some_error", "x")) is retry


def test_the_servers_x_should_retry_overrides_the_status() -> None:
    assert is_retryable(status_error(400, "invalid_request_error", "x", headers={"x-should-retry": "true"}))
    assert not is_retryable(status_error(529, "overloaded_error", "x", headers={"x-should-retry": "false"}))


def test_lost_connections_are_retryable_and_other_exceptions_are_not() -> None:
    assert is_retryable(connection_error()) and is_retryable(stall()) and is_retryable(drop())
    assert not is_retryable(ValueError("x")) and not is_retryable(KeyError("x"))
