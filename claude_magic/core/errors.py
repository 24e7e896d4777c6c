"""The one place that turns SDK and transport errors into one line that says what to do.

Every line passes through :func:`redact`, so an API key or auth token echoed back inside an
error body never reaches an output, a log or a usage record. :func:`redact` is also what every
other view applies to text the project did not write (answers, tool input, tool results).
"""

from __future__ import annotations

import anthropic
import httpx2

from ..secrets import REDACTED, redact, redact_deep, secrets_found, secrets_in_use

__all__ = [
    "describe_error", "error_type", "redact", "redact_deep", "secrets_found", "secrets_in_use", "REDACTED", "is_retryable",
    "MISSING_KEY_MESSAGE",
]

MISSING_KEY_MESSAGE = (
    "No API key: set ANTHROPIC_API_KEY (for example `%env ANTHROPIC_API_KEY=sk-ant-...`), "
    "or run %claude_offline to answer from the local emulator."
)

#: What to do next, for a cell and for the chat playground.
CELL_RETRY_HINTS = (
    "Run %claude_retry to try again.",
    "Run %claude_retry to ask again, or %claude_retry --continue to continue from the partial answer.",
)
CHAT_RETRY_HINTS = ("Send it again.", "Send it again, or ask to continue.")

# Fixed advice for the statuses a retry cannot fix.
_STATUS_ADVICE = {
    400: "check this cell's options (model, --max-tokens, --temperature) and the prompt",
    401: "the API key was refused: set a valid ANTHROPIC_API_KEY, or run %claude_offline",
    403: "this key may not use this model or feature: check the key's workspace and permissions",
    404: "check the model name (-m/--model or %config ClaudeMagic.model)",
    413: "the request is too large: shorten the prompt, or start afresh with --new or %claude_reset",
}

_STATUS_NAMES = {
    400: "Bad request",
    401: "Authentication failed",
    403: "Permission denied",
    404: "Not found",
    408: "Request timeout",
    409: "Conflict",
    413: "Request too large",
    429: "Rate limited",
    500: "API error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
    529: "Overloaded",
}


def status_name(status: int) -> str:
    return _STATUS_NAMES.get(status, "HTTP error" if status < 500 else "Server error")


def error_type(exc: BaseException) -> str:
    """A short machine-friendly type for the usage record: ``overloaded_error``, ``ReadTimeout``..."""
    if isinstance(exc, anthropic.APIStatusError):
        return redact(exc.type or f"http_{exc.status_code}")
    if isinstance(exc, anthropic.APITimeoutError) or isinstance(exc, httpx2.TimeoutException):
        return "timeout"
    if isinstance(exc, (anthropic.APIConnectionError, httpx2.TransportError)):
        return "connection_error"
    return type(exc).__name__


def is_retryable(exc: BaseException) -> bool:
    """Worth retrying before the first token: rate limits, overload, 5xx, lost connections."""
    if isinstance(exc, anthropic.APIStatusError):
        header = exc.response.headers.get("x-should-retry")
        if header in ("true", "false"):
            return header == "true"
        return exc.status_code in (408, 409, 429) or exc.status_code >= 500
    return isinstance(exc, (anthropic.APIConnectionError, httpx2.TransportError))


#: The longest server message quoted in an error line.
_MESSAGE_LIMIT = 200


def _api_message(exc: anthropic.APIStatusError) -> str:
    # One line, however the server wrote it (a proxy's HTML page, a message with newlines).
    text = " ".join((exc.api_message or str(exc.message) or "").split()).rstrip(".")
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"


def describe_error(
    exc: BaseException,
    *,
    partial: bool = False,
    base_url: str | None = None,
    stall_timeout: float | None = None,
    attempts: int = 1,
    hints: tuple[str, str] = CELL_RETRY_HINTS,
) -> str:
    """One line naming what happened and the fix. ``partial``: text was already shown.

    ``hints``: what to do next, without and with a partial answer.
    """
    tail = f" The partial answer above is kept. {hints[1]}" if partial else f" {hints[0]}"
    if isinstance(exc, anthropic.APIStatusError):
        message = _api_message(exc)
        if exc.status_code == 200 or (partial and exc.type):
            # An `event: error` inside a stream that had started (SDK raises it with status 200).
            return redact(f"The stream stopped with {exc.type or 'an error'}: {message}.{tail}")
        name = status_name(exc.status_code)
        if exc.status_code in _STATUS_ADVICE:
            return redact(f"{name} ({exc.status_code}): {message}. Fix: {_STATUS_ADVICE[exc.status_code]}.")
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        return redact(f"{name} ({exc.status_code}){tries}: {message}.{tail}")
    if isinstance(exc, (anthropic.APITimeoutError, httpx2.TimeoutException)):
        waited = f" for {stall_timeout:g} s" if stall_timeout else ""
        return redact(f"No data arrived{waited}: the stream stalled.{tail}")
    if isinstance(exc, httpx2.RemoteProtocolError) or (partial and isinstance(exc, httpx2.TransportError)):
        return redact(f"The connection dropped in the middle of the answer.{tail}")
    if isinstance(exc, (anthropic.APIConnectionError, httpx2.TransportError)):
        where = f" {base_url}" if base_url else " the API"
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        return redact(
            f"Cannot reach{where}{tries}: check the network, or run %claude_offline to use the local emulator."
        )
    return redact(f"{type(exc).__name__}: {exc}")
