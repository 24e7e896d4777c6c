"""Safe Markdown for untrusted model output: escape raw HTML, refuse script links, split blocks.

A trusted notebook output renders raw HTML inside ``text/markdown``, so an answer holding
``<img src=x onerror=...>`` would run script in the user's browser (see FACTS). Everything the
package shows from a model goes through this module first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.normalize_url import validateLink
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

__all__ = ["safe_markdown", "render_html", "split_blocks", "list_marker", "is_safe_url"]

# markdown-it splits lines exactly like this (rules_core/normalize.py).
_NEWLINE = re.compile(r"\r\n?|\n")
_HTML_SPECIALS = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
# Passes over text whose neutralising uncovers new links (e.g. `\[x][ref]` exposing `[ref]`).
_MAX_PASSES = 8


def is_safe_url(url: str) -> bool:
    """False for javascript:, vbscript:, file: and non-image data: URLs (markdown-it's own rule)."""
    return validateLink(url)


def _renderer() -> MarkdownIt:
    # html=False escapes raw HTML; validateLink (the default) drops javascript: links.
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


_RENDER = _renderer()
# Splitting needs only the block structure, with the very same block rules as rendering.
_BLOCKS = _renderer().disable("inline")


def render_html(text: str) -> str:
    """Markdown to HTML with raw HTML shown as text and script URLs refused."""
    return _RENDER.render(text)


# --- safe_markdown -------------------------------------------------------------------------

_LINKS = ("link_open", "image")


def _recording(name: str, rule: Callable[[StateInline, bool], bool]) -> Callable[..., bool]:
    """Wrap an inline rule so every token it produces is recorded with its source span."""

    def wrapped(state: StateInline, silent: bool) -> bool:
        start, count = state.pos, len(state.tokens)
        bases: dict[int, int] = state.env["_bases"]
        if id(state) not in bases:
            # A state we have not seen is the nested parse of an image label, which starts
            # two characters (`![`) after the image that is being parsed now.
            bases[id(state)] = state.env["_image_label"][-1]
        base = bases[id(state)]
        if name == "image":
            state.env["_image_label"].append(base + start + 2)
        try:
            ok = rule(state, silent)
        finally:
            if name == "image":
                state.env["_image_label"].pop()
        if ok and not silent:
            # push() may first flush pending plain text: look for the link's own token.
            first = next((t for t in state.tokens[count:] if t.type in _LINKS), None)
            state.env["_spans"].append((name, base + start, base + state.pos, first))
        return ok

    return wrapped


def _finder() -> MarkdownIt:
    # Sees raw HTML (commonmark's html=True) and parses every link whatever its URL, so that
    # the spans to neutralise are found where a renderer without filtering would find them.
    md = MarkdownIt("commonmark", {"html": True})
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.disable("inline")  # inline parsing is run per block below, with positions recorded
    for name in ("html_inline", "link", "image", "autolink"):
        rule = md.inline.ruler.__rules__[md.inline.ruler.__find__(name)].fn
        md.inline.ruler.at(name, _recording(name, rule))
    return md


_FINDER = _finder()


def _lines(text: str) -> list[tuple[int, str]]:
    """(offset, line) for every line of ``text``, split the way markdown-it splits them."""
    out: list[tuple[int, str]] = []
    start = 0
    for m in _NEWLINE.finditer(text):
        out.append((start, text[start : m.start()]))
        start = m.end()
    out.append((start, text[start:]))
    return out


def _locate(content: str, first_line: int, lines: list[tuple[int, str]]) -> list[int | None]:
    """Source offset of every character of a block's ``content`` (None where it has none).

    markdown-it builds a block's content from its lines, each cut to a suffix (container
    markers and indentation removed) and the whole trimmed; a partly used tab becomes spaces.
    So each content line is found as the rightmost occurrence in its source line.
    """
    where: list[int | None] = []
    for j, piece in enumerate(content.split("\n")):
        if j:
            where.append(None)  # the newline itself
        if not piece:
            continue
        offset, line = lines[first_line + j]
        line = line.replace("\0", "\ufffd")
        at = line.rfind(piece)
        pad = 0
        if at < 0:
            stripped = piece.lstrip(" ")
            pad = len(piece) - len(stripped)
            at = line.rfind(stripped) if stripped else len(line)
            if at < 0:
                raise ValueError("cannot map markdown-it content back to its source")
        where.extend([None] * pad)
        where.extend(range(offset + at, offset + at + len(piece) - pad))
    return where


def _edits(text: str) -> dict[int, str]:
    """Replacement for each source offset that must change (empty: the text is safe)."""
    env: dict[str, Any] = {}
    lines = _lines(text)
    edits: dict[int, str] = {}

    def escape_html(where: list[int | None], content: str, start: int, end: int) -> None:
        for i in range(start, end):
            pos = where[i]
            if pos is not None and content[i] in _HTML_SPECIALS:
                edits[pos] = _HTML_SPECIALS[content[i]]

    for token in _FINDER.parse(text, env):
        if token.map is None:
            continue
        if token.type == "html_block":
            where = _locate(token.content, token.map[0], lines)
            escape_html(where, token.content, 0, len(where))
        elif token.type == "inline":
            env.update(_spans=[], _bases={}, _image_label=[])
            state = StateInline(token.content, _FINDER, env, [])
            env["_bases"][id(state)] = 0
            _FINDER.inline.tokenize(state)
            where = _locate(token.content, token.map[0], lines)
            for name, start, end, tok in env["_spans"]:
                if name == "html_inline":
                    escape_html(where, token.content, start, end)
                    continue
                url = "" if tok is None else str(tok.attrGet("src") or tok.attrGet("href") or "")
                if is_safe_url(url):
                    continue
                # A backslash before `[` (after `!` for images) or `<` leaves plain text.
                pos = where[start + 1 if name == "image" else start]
                if pos is not None:
                    edits[pos] = "\\" + text[pos]
    return edits


def _apply(text: str, edits: dict[int, str]) -> str:
    parts: list[str] = []
    last = 0
    for pos in sorted(edits):
        parts.append(text[last:pos])
        parts.append(edits[pos])
        last = pos + 1
    parts.append(text[last:])
    return "".join(parts)


def _as_code(text: str) -> str:
    # Last resort for input the mapper cannot handle: everything shown literally.
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text}\n{fence}\n"


def safe_markdown(text: str) -> str:
    """Markdown that renders like ``text`` but shows raw HTML and script links as plain text.

    HTML blocks and inline HTML (as CommonMark sees them) get ``<``, ``>``, ``&`` escaped;
    links, images and autolinks whose URL is refused by :func:`is_safe_url` get a backslash
    before their opening bracket. Code spans and code blocks are left alone, and text with
    nothing to neutralise is returned unchanged.
    """
    for _ in range(_MAX_PASSES):
        try:
            edits = _edits(text)
        except ValueError:
            return _as_code(text)
        if not edits:
            return text
        text = _apply(text, edits)
    return _as_code(text)


# --- split_blocks --------------------------------------------------------------------------


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
