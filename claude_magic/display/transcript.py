"""A Chat's conversation as a static output, so a saved or exported notebook keeps it.

A widget's view is not saved with the notebook's outputs (and widget state rarely is), and a
Send from the widget runs outside any cell, so nothing it shows lands in a cell's outputs. A
:class:`ChatTranscript` is the snapshot that does: ``text/plain`` and ``text/html`` with each
prompt (escaped) and each answer rendered by the same safe Markdown as the live area.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

__all__ = ["ChatTranscript", "TranscriptTurn"]

#: (prompt, [(model, text, footer, error), ...]) for one turn.
TranscriptTurn = tuple[str, Sequence[tuple[str, str, str, "str | None"]]]


class ChatTranscript:
    """What a Chat said, turn by turn; displays as text and safe HTML."""

    def __init__(self, title: str, turns: Sequence[TranscriptTurn]) -> None:
        self.title = title
        self.turns = list(turns)

    def __repr__(self) -> str:
        lines = [self.title]
        for prompt, answers in self.turns:
            lines += ["", f"You: {prompt}"]
            for model, text, footer, error in answers:
                lines += [f"{model}: {text}"]
                lines += [f"  {footer}"] if footer else []
                lines += [f"  ⚠ {error}"] if error else []
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from ..secrets import redact
        from .html import render_answer_html

        parts = [f'<div class="claude-chat-transcript"><p><code>{html.escape(self.title)}</code></p>']
        for prompt, answers in self.turns:
            parts.append(f"<p><b>You:</b> {html.escape(redact(prompt))}</p>")
            for model, text, footer, error in answers:
                parts.append(f"<p><b>{html.escape(model)}:</b></p>")
                parts.append(f'<div style="margin-left: 1.5em">{render_answer_html(redact(text))}</div>')
                if footer:
                    parts.append(f'<p style="margin-left: 1.5em"><small>{html.escape(footer)}</small></p>')
                if error:
                    parts.append(f'<p style="margin-left: 1.5em">⚠ {html.escape(error)}</p>')
        parts.append("</div>")
        return "".join(parts)

    def _repr_mimebundle_(self, **_kwargs: Any) -> dict[str, str]:
        return {"text/plain": repr(self), "text/html": self._repr_html_()}
