"""Splitting streamed Markdown into finished blocks, so a live view renders each block once.

The blocks are found with the very parser that renders them (``html.markdown_parser``: the
same block rules, math and tables included), so a block boundary here is one there too.
Rendering itself is ``_html.render_answer_html``'s job.
"""

from __future__ import annotations

import re

from markdown_it.token import Token

from .html import markdown_parser

__all__ = ["split_blocks", "list_marker"]

# markdown-it splits lines exactly like this (rules_core/normalize.py).
_NEWLINE = re.compile(r"\r\n?|\n")
# Splitting needs only the block structure, with the very same block rules as rendering.
_BLOCKS = markdown_parser().disable("inline")


def _lines(text: str) -> list[tuple[int, str]]:
    """(offset, line) for every line of ``text``, split the way markdown-it splits them."""
    out: list[tuple[int, str]] = []
    start = 0
    for m in _NEWLINE.finditer(text):
        out.append((start, text[start : m.start()]))
        start = m.end()
    out.append((start, text[start:]))
    return out


def list_marker(block: str) -> str | None:
    """The marker (``-``, ``*``, ``+``, ``.``, ``)``) of the list ``block`` starts, else None.

    Two consecutive blocks from :func:`split_blocks` with the same marker are items of one list.
    """
    for token in _BLOCKS.parse(block):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            return token.markup
        if token.map is not None:
            return None
    return None


def _is_closed(fence: Token, lines: list[tuple[int, str]]) -> bool:
    """True when a top-level fence's last line is its closing fence (not the end of input)."""
    begin, end = fence.map or (0, 0)
    last = lines[end - 1][1].strip()
    return end - begin >= 2 and len(last) >= len(fence.markup) and set(last) == {fence.markup[0]}


def split_blocks(text: str) -> tuple[list[str], str]:
    """Split streamed Markdown into finished top-level blocks and the unfinished tail.

    A block is finished once a later block has started on a complete line, so more text can
    never change it: each finished block can be rendered once. A fenced code block is finished
    at its closing fence and not before; a top-level list is split at its items (each renders
    as a list of one item: see :func:`list_marker` to join them); a link reference definition
    stands alone, line by line.
    ``"".join(blocks) + tail == text`` always, and the finished blocks of any prefix of a text
    are a prefix of the finished blocks of the whole text.
    """
    cut = max(text.rfind("\n"), text.rfind("\r")) + 1
    if cut == 0:
        return [], text
    lines = _lines(text[:cut])[:-1]  # the last entry is the empty rest after the final newline
    starts: set[int] = set()
    covered: set[int] = set()
    for token in _BLOCKS.parse(text[:cut]):
        if token.map is None:
            continue
        begin, end = token.map
        if token.level == 0:
            starts.add(begin)
            covered.update(range(begin, end))
            if token.type == "fence" and _is_closed(token, lines):
                starts.add(end)  # nothing after a closing fence can reach back into it
        elif token.type == "list_item_open" and token.level == 1:
            # Once the next item of a top-level list has started, an item cannot change: long
            # lists are common in answers, and each item then renders once.
            starts.add(begin)
    # Lines with no block (link reference definitions) stand alone: they can still turn out to
    # be a paragraph's start or a definition's middle, so no neighbour may depend on them.
    starts.update(i for i, (_, line) in enumerate(lines) if line.strip() and i not in covered)
    bounds = sorted(s for s in starts if s > 0)
    if not bounds:
        return [], text
    line_offsets = [offset for offset, _ in lines] + [cut]
    offsets = [line_offsets[b] for b in bounds]
    blocks = [text[a:b] for a, b in zip([0, *offsets[:-1]], offsets)]
    return blocks, text[offsets[-1] :]
