"""Citations as readers see them: a numbered marker behind the cited text, the sources at the end.

The same passage cited twice keeps its number. A source line quotes the document's text
and says where it is (pages, characters or blocks, as the API's location says). The quote
is the document's text, not the author's: in Markdown, every character of it that Markdown
or math could read is escaped, so the one renderer shows it as the text it is.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["CitationIndex", "source_location"]

#: What Markdown (and the renderer's math) could read in a quote placed inside a list item.
_PUNCTUATION = re.compile(r"([\\`*_\[\]<>$|~&])")


def _escape(text: str) -> str:
    return _PUNCTUATION.sub(r"\\\1", " ".join(text.split()))


def _span(word: str, start: int, end: int) -> str:
    return f"{word} {start}" if end <= start else f"{word}s {start}–{end}"


def source_location(citation: dict[str, Any]) -> str:
    """Where a cited passage is: ``report.pdf, page 2``, ``notes.txt, characters 0–57``."""
    kind = citation.get("type")
    index = citation.get("document_index")
    title = " ".join(str(citation.get("document_title") or "").split()) or (
        f"document {index + 1}" if isinstance(index, int) else "document")
    if kind == "page_location":
        # end_page_number is exclusive, as the API's locations are.
        where = _span("page", int(citation.get("start_page_number", 0)), int(citation.get("end_page_number", 1)) - 1)
    elif kind == "char_location":
        where = f"characters {citation.get('start_char_index')}–{citation.get('end_char_index')}"
    elif kind == "content_block_location":
        where = _span("block", int(citation.get("start_block_index", 0)) + 1, int(citation.get("end_block_index", 1)))
    else:
        where = str(kind or "unknown location")
    return f"{title}, {where}"


class CitationIndex:
    """Numbers citations in the order they first appear."""

    def __init__(self) -> None:
        self._numbers: dict[tuple[Any, ...], int] = {}
        self._sources: list[dict[str, Any]] = []

    def __bool__(self) -> bool:
        return bool(self._sources)

    def number(self, citation: dict[str, Any]) -> int:
        key = tuple(sorted((k, str(v)) for k, v in citation.items()))
        if key not in self._numbers:
            self._sources.append(citation)
            self._numbers[key] = len(self._sources)
        return self._numbers[key]

    def marker(self, number: int, *, markdown: bool) -> str:
        return f"\\[{number}\\]" if markdown else f"[{number}]"

    def sources(self, *, markdown: bool) -> str:
        """The list of sources that ends the answer."""
        lines = []
        for n, citation in enumerate(self._sources, 1):
            quote = str(citation.get("cited_text", ""))
            where = source_location(citation)
            if markdown:
                lines.append(f"{n}. “{_escape(quote)}” — {_escape(where)}")
            else:
                lines.append(f"[{n}] “{' '.join(quote.split())}” — {where}")
        heading = "**Sources**" if markdown else "Sources"
        return f"\n\n{heading}\n\n" + "\n".join(lines) + "\n"
