"""``%claude_retry --continue``: the request that goes on from a partial answer, on any model.

Where the model takes a prefill, the conversation ends with the partial answer as the
assistant's turn and the model writes on from its last character. Claude 4.6 and later
refuse a prefill (a 400: "This model does not support assistant message prefill"), so there
the partial answer stays the assistant's turn and one more user turn, carrying the end of
that text, asks for the rest: the way the API's migration notes move a continuation into
the user message. Either way the cell joins the partial text and the rest into one answer.
"""

from __future__ import annotations

from typing import Any

__all__ = ["continue_messages", "CONTINUE_PROMPT", "TAIL_CHARS"]

#: How much of the partial answer's end the user turn quotes, so the model finds the seam.
TAIL_CHARS = 300

CONTINUE_PROMPT = (
    "Your previous answer was cut off. It ended with:\n\n{tail}\n\n"
    "Continue it from exactly where it stops: write only the rest, starting with the very next "
    "characters, without repeating anything and without any preamble."
)


def continue_messages(messages: list[dict[str, Any]], partial: str, *, prefill: bool) -> list[dict[str, Any]]:
    """``messages`` (ending with the prompt's user turn) extended to ask for the rest of ``partial``."""
    # A prefill may not end with whitespace; the rest starts after it either way.
    start = partial.rstrip()
    out = [*messages, {"role": "assistant", "content": start}]
    if prefill:
        return out
    tail = start[-TAIL_CHARS:]
    quoted = "\n".join("> " + line for line in tail.splitlines()) or ">"
    out.append({"role": "user", "content": CONTINUE_PROMPT.format(tail=quoted)})
    return out
