"""How thinking looks: the notes for thinking without text, and the collapsed block a notebook saves.

Thinking is model text, as untrusted as the answer: it becomes HTML only through
:func:`render_thinking`, which calls the answer's own renderer. That is the one place to
repoint when the answer's renderer changes.
"""

from __future__ import annotations

import html

from ..core.lanes import Thinking
from ..secrets import redact
from .html import render_answer_html

__all__ = ["render_thinking", "thinking_text", "thinking_bundle", "REDACTED_NOTE", "OMITTED_NOTE", "SUMMARY"]

SUMMARY = "Thinking"
REDACTED_NOTE = "[Redacted thinking: the API sent it encrypted; it goes back to the model unread.]"
OMITTED_NOTE = "[Thinking omitted: the API sent only its signature.]"


def render_thinking(text: str) -> str:
    """Thinking text as safe HTML: the same renderer as the answer (raw HTML shown as text)."""
    return render_answer_html(redact(text))


def thinking_text(lane: Thinking) -> str:
    """What a thinking lane adds to the thinking transcript (a note where there is no text)."""
    if lane.redacted:
        return f"\n\n{REDACTED_NOTE}\n\n"
    if lane.omitted:
        return f"\n\n{OMITTED_NOTE}\n\n"
    return lane.text


def thinking_bundle(text: str, *, open_: bool = False) -> dict[str, str]:
    """The thinking as one output: a ``<details>`` block, collapsed unless ``open_``."""
    body = redact(text.strip())
    summary = html.escape(SUMMARY)
    # Quieter than the answer; an inline style, as a saved notebook has no stylesheet of ours.
    attrs = ' class="claude-thinking" style="opacity: 0.75"' + (" open" if open_ else "")
    return {
        "text/html": f"<details{attrs}><summary>{summary}</summary>\n{render_thinking(body)}</details>\n",
        "text/plain": f"{SUMMARY}:\n{body}",
    }
