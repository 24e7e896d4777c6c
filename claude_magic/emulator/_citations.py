"""The default answer for a request with images or documents, and its citations.

With no script rule, the answer says what it received ("You sent 1 image (800×600 PNG)
and 1 PDF (3 pages).") before the usual emulated text. Each document sent with
``citations: {"enabled": true}`` gets a text block quoting its first sentence, cited with
the location type its source calls for: characters for plain text, pages for a PDF,
blocks for custom content. The quote is exact, so ``cited_text`` is the document's own
text at the location given.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from anthropic.types import (
    CitationCharLocation,
    CitationContentBlockLocation,
    CitationPageLocation,
    CitationsDelta,
    TextBlock,
    TextCitation,
)

from . import _script
from ._answer import default_answer
from ._events import Answer
from ._media import DocumentInfo, Media

__all__ = ["attach_citations", "first_sentence", "media_answer"]

_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
#: A quote longer than this stops at a word boundary instead of the sentence's end.
MAX_QUOTE = 300


def first_sentence(text: str) -> tuple[int, int] | None:
    """Where the first sentence of ``text`` starts and ends (end exclusive), or None."""
    start = len(text) - len(text.lstrip())
    if start == len(text):
        return None
    match = _SENTENCE_END.search(text, start)
    end = match.end() if match else len(text.rstrip())
    if end - start > MAX_QUOTE:
        cut = text.rfind(" ", start, start + MAX_QUOTE)
        end = cut if cut > start else start + MAX_QUOTE
    return start, end


def _citation(doc: DocumentInfo) -> TextCitation | None:
    """The citation of ``doc``'s first sentence (for a PDF, on its first page with text)."""
    common: dict[str, Any] = {"document_index": doc.index, "document_title": doc.title}
    if doc.file_id is not None:
        common["file_id"] = doc.file_id
    for number, part in enumerate(doc.parts):
        span = first_sentence(part)
        if span is None:
            continue
        if doc.kind == "text":
            return CitationCharLocation(
                type="char_location",
                cited_text=part[span[0] : span[1]],
                start_char_index=span[0],
                end_char_index=span[1],
                **common,
            )
        if doc.kind == "pdf":
            return CitationPageLocation(
                type="page_location",
                cited_text=part[span[0] : span[1]],
                start_page_number=number + 1,
                end_page_number=number + 2,
                **common,
            )
        # A content block is the smallest unit cited: the cited text is the whole block.
        return CitationContentBlockLocation(
            type="content_block_location",
            cited_text=part,
            start_block_index=number,
            end_block_index=number + 1,
            **common,
        )
    return None


def media_answer(model: str, messages: Any, media: Media) -> tuple[list[_script.TextBlock], list[TextCitation | None]]:
    """Text blocks of the default answer and, block by block, the citation each carries."""
    plain = default_answer(model, messages)
    described = media.describe()
    cited = [(doc, citation) for doc in media.documents if doc.citations and (citation := _citation(doc))]
    if not cited:
        text = f"{described} {plain}" if described else plain
        return [_script.TextBlock(text=text)], [None]
    blocks = [_script.TextBlock(text=f"{described} Each document begins:\n\n")]
    citations: list[TextCitation | None] = [None]
    for _doc, citation in cited:
        blocks.append(_script.TextBlock(text=citation.cited_text))
        citations.append(citation)
        blocks.append(_script.TextBlock(text="\n\n"))
        citations.append(None)
    blocks.append(_script.TextBlock(text=plain))
    citations.append(None)
    return blocks, citations


def attach_citations(answer: Answer, citations: Sequence[TextCitation | None]) -> None:
    """Give each planned text block its citation: a ``citations_delta`` first, then the text."""
    for block, citation in zip(answer.blocks, citations):
        if citation is None or not isinstance(block.final, TextBlock):
            continue
        block.deltas.insert(0, CitationsDelta(type="citations_delta", citation=citation))
        block.final = TextBlock(type="text", text=block.final.text, citations=[citation])
