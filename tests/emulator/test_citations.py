"""Citations: ``citations_delta`` events whose locations point into the documents sent."""

from __future__ import annotations

from typing import Any

import anthropic
import pytest
from anthropic.lib.streaming._messages import accumulate_event
from anthropic.types import (
    CitationCharLocation,
    CitationContentBlockLocation,
    CitationPageLocation,
    Message,
    RawContentBlockDeltaEvent,
)

from claude_magic.emulator._citations import first_sentence

from .helpers import MODEL
from .media_helpers import ask, pdf, pdf_block

PAGES = [[], ["Revenue grew by 12 percent in 2025. Costs stayed flat."], ["Outlook is stable."]]
NOTES = "  The committee met twice. It agreed on the budget!"
BLOCKS = ["Chapter one opens here.", "Chapter two follows."]


def _documents(*, cite: bool = True) -> list[dict[str, Any]]:
    enabled = {"citations": {"enabled": True}} if cite else {}
    return [
        pdf_block(pdf(PAGES, compress=True), cite=cite, title="Report"),
        {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": NOTES}, "title": "Notes", **enabled},
        {
            "type": "document",
            "source": {"type": "content", "content": [{"type": "text", "text": t} for t in BLOCKS]},
            **enabled,
        },
    ]


def _citations(message: Message) -> list[Any]:
    return [c for block in message.content if block.type == "text" for c in block.citations or []]


def _assert_point_into_the_documents(citations: list[Any]) -> None:
    page, chars, block = citations
    assert isinstance(page, CitationPageLocation)
    assert (page.document_index, page.document_title) == (0, "Report")
    # The first page is empty: the first sentence is on page 2 (page numbers count from 1).
    assert (page.start_page_number, page.end_page_number) == (2, 3)
    assert page.cited_text == "Revenue grew by 12 percent in 2025."
    assert page.cited_text in PAGES[page.start_page_number - 1][0]

    assert isinstance(chars, CitationCharLocation)
    assert (chars.document_index, chars.document_title) == (1, "Notes")
    assert NOTES[chars.start_char_index : chars.end_char_index] == chars.cited_text == "The committee met twice."

    assert isinstance(block, CitationContentBlockLocation)
    assert (block.document_index, block.start_block_index, block.end_block_index) == (2, 0, 1)
    assert "".join(BLOCKS[block.start_block_index : block.end_block_index]) == block.cited_text


def test_the_stream_helper_accumulates_citations_that_index_the_documents(client: anthropic.Anthropic) -> None:
    with client.messages.stream(model=MODEL, max_tokens=400, messages=ask(*_documents())) as stream:
        message = stream.get_final_message()

    _assert_point_into_the_documents(_citations(message))
    cited_blocks = [b for b in message.content if b.type == "text" and b.citations]
    assert [b.text for b in cited_blocks] == [c.cited_text for c in _citations(message)]


def test_raw_events_send_each_citation_before_its_text(client: anthropic.Anthropic) -> None:
    events = list(client.messages.create(model=MODEL, max_tokens=400, messages=ask(*_documents()), stream=True))
    snapshot = None
    for event in events:
        snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs={})

    deltas = [e for e in events if isinstance(e, RawContentBlockDeltaEvent)]
    citation_deltas = [e for e in deltas if e.delta.type == "citations_delta"]
    assert [type(e.delta.citation).__name__ for e in citation_deltas] == [
        "CitationPageLocation",
        "CitationCharLocation",
        "CitationContentBlockLocation",
    ]
    for event in citation_deltas:
        same_block = [e for e in deltas if e.index == event.index]
        assert same_block[0] is event and all(e.delta.type == "text_delta" for e in same_block[1:])
    assert snapshot is not None
    _assert_point_into_the_documents(_citations(snapshot))


def test_the_whole_message_carries_the_same_citations(client: anthropic.Anthropic) -> None:
    message = client.messages.create(model=MODEL, max_tokens=400, messages=ask(*_documents()))
    with client.messages.stream(model=MODEL, max_tokens=400, messages=ask(*_documents())) as stream:
        streamed = stream.get_final_message()

    _assert_point_into_the_documents(_citations(message))
    assert _citations(message) == _citations(streamed)
    assert message.content[0].type == "text"
    assert message.content[0].text.startswith("You sent 1 PDF (3 pages), 1 text document")


def test_documents_without_citations_enabled_get_none(client: anthropic.Anthropic) -> None:
    message = client.messages.create(model=MODEL, max_tokens=400, messages=ask(*_documents(cite=False)))
    events = list(client.messages.create(model=MODEL, max_tokens=400, messages=ask(*_documents(cite=False)), stream=True))

    assert _citations(message) == []
    assert not [e for e in events if isinstance(e, RawContentBlockDeltaEvent) and e.delta.type == "citations_delta"]


def test_citations_on_some_documents_but_not_all_are_refused(client: anthropic.Anthropic) -> None:
    cited, plain = _documents()[1], _documents(cite=False)[0]

    with pytest.raises(anthropic.BadRequestError) as caught:
        client.messages.create(model=MODEL, max_tokens=50, messages=ask(cited, plain))

    assert caught.value.body["error"]["message"] == (
        "Citations must be enabled on all or none of the documents within a request."
    )


def test_citations_are_not_counted_as_output_tokens(client: anthropic.Anthropic) -> None:
    events = list(client.messages.create(model=MODEL, max_tokens=400, messages=ask(*_documents()), stream=True))

    kinds = [e.delta.type for e in events if isinstance(e, RawContentBlockDeltaEvent)]
    final_usage = [e.usage for e in events if e.type == "message_delta"][0]
    assert kinds.count("citations_delta") == 3
    assert final_usage.output_tokens == kinds.count("text_delta")


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("One. Two.", (0, 4)),
        ("  Lead spaces! Then more", (2, 14)),
        ("No end at all", (0, 13)),
        ("   ", None),
        ("3.5 percent is a number. Next.", (0, 24)),
        ("x" * 400, (0, 300)),
    ],
)
def test_the_first_sentence_is_found_without_the_spaces_around_it(text: str, span: tuple[int, int] | None) -> None:
    assert first_sentence(text) == span
