"""Markdown streamed into a terminal reads as text: no markers, whatever the delta boundaries."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from claude_magic.display.terminal_markdown import TerminalMarkdown

ANSWER = "## Streaming\n\nTokens arrive **one by one**.\n\n- first\n- second\n\n```python\nx = a**2\n```\nDone."
PLAIN = "Streaming\n\nTokens arrive one by one.\n\n• first\n• second\n\n```python\nx = a**2\n```\nDone."


def _render(pieces: list[str], *, ansi: bool) -> str:
    markdown = TerminalMarkdown(ansi=ansi)
    return "".join(markdown.feed(piece) for piece in pieces) + markdown.flush()


def test_markers_are_dropped_and_code_is_left_as_written() -> None:
    assert _render([ANSWER], ansi=False) == PLAIN


def test_bold_and_headings_become_terminal_bold() -> None:
    out = _render([ANSWER], ansi=True)
    assert "\x1b[1mStreaming\x1b[22m" in out and "\x1b[1mone by one\x1b[22m" in out
    assert "**" not in out.replace("a**2", "")


@given(st.lists(st.integers(min_value=1, max_value=len(ANSWER)), max_size=30))
def test_any_split_into_deltas_gives_the_same_text(cuts: list[int]) -> None:
    points = sorted(set(cuts))
    pieces = [ANSWER[a:b] for a, b in zip([0, *points], [*points, len(ANSWER)])]
    assert _render(pieces, ansi=False) == PLAIN
