"""The user's secrets: which ones are set, redacting them, refusing to send them.

Below every layer (like ``exceptions``), since every layer shows or sends text it did not
write: answers, tool input and results, error bodies, usage rows.
"""

from __future__ import annotations

import os
from typing import Any, Iterable

from .exceptions import PromptError

__all__ = ["SECRET_VARIABLES", "REDACTED", "secrets_in_use", "secrets_found", "redact", "redact_deep", "refuse_secrets"]


#: The environment variables whose values must never be shown, recorded or sent as text.
SECRET_VARIABLES = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")
REDACTED = "[redacted key]"


def secrets_in_use() -> dict[str, str]:
    """Each secret variable that is set (long enough to be a secret), with its value.

    Read at each call: a notebook may set a key with ``%env`` at any time.
    """
    found = {name: os.environ.get(name) or "" for name in SECRET_VARIABLES}
    return {name: value for name, value in found.items() if len(value) >= 6}


def secrets_found(text: str) -> list[str]:
    """The names of the secret variables whose values ``text`` holds."""
    return [name for name, value in secrets_in_use().items() if value in text]


def redact(text: str, secrets: Iterable[str] | None = None) -> str:
    """Replace every known key and token in ``text`` by a marker."""
    for secret in [*(secrets or []), *secrets_in_use().values()]:
        if secret and len(secret) >= 6:
            text = text.replace(secret, REDACTED)
    return text


def redact_deep(value: Any) -> Any:
    """``value`` (JSON-like: dicts, lists, strings) with every string redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_deep(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_deep(item) for item in value]
    return value


def refuse_secrets(*texts: str | None) -> None:
    """Raise PromptError when a text about to be sent holds the user's API key or auth token.

    ``{os.environ}`` in a prompt, or ``-s "{os.environ}"``, would send the key to the API in
    plain text (and into the conversation, the usage log of a proxy, a shared notebook).
    """
    names = sorted({name for text in texts if text for name in secrets_found(text)})
    if names:
        raise PromptError(
            f"The prompt holds the value of {' and '.join(names)}, so nothing was sent: "
            "leave secrets out of it (interpolate the values the model needs, not {os.environ})."
        )
