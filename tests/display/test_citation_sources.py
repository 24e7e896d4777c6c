"""Cited passages are documents' text: shown as that text, never as markup, in every display."""

from __future__ import annotations

import html
import re

import pytest

from claude_magic.core.lanes import Citation, Ending, Text
from claude_magic.display.citations import CitationIndex
from claude_magic.display.html import render_answer_html
from claude_magic.display.lanes import LaneRenderer
from xss_corpus import payloads, scan_html

PAYLOADS = payloads()


def _shown(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


@pytest.mark.parametrize("payload", PAYLOADS, ids=[f"{p.family}-{p.index}" for p in PAYLOADS])
def test_a_hostile_quote_and_title_are_shown_as_their_own_text(payload) -> None:
    index = CitationIndex()
    index.number({"type": "page_location", "cited_text": payload.text, "document_title": payload.text,
                  "start_page_number": 1, "end_page_number": 2, "document_index": 0})
    rendered = render_answer_html(index.sources(markdown=True))
    assert not scan_html(rendered).problems, rendered
    item = re.search(r"<li>(.*)</li>", rendered, re.DOTALL)
    assert item is not None, rendered
    collapsed = " ".join(payload.text.split())
    assert _shown(item.group(1)) == f"“{collapsed}” — {collapsed}, page 1"


class _Recorder(LaneRenderer):
    def __init__(self) -> None:
        super().__init__()
        self.final = ""

    def text(self, delta: str) -> None:
        pass

    def notice(self, line: str) -> None:
        pass

    def finish(self, text: str, *, footer: str, error: str | None) -> None:
        self.final = text


def test_markers_follow_the_cited_text_and_the_sources_end_the_answer() -> None:
    view = _Recorder()
    first = {"type": "char_location", "cited_text": "Sky is blue.", "document_index": 0,
             "document_title": "notes.txt", "start_char_index": 0, "end_char_index": 12}
    for lane in (Text("Blue sky."), Citation(first), Text(" Again."), Citation(dict(first))):
        view.push(lane)
    view.end(Ending(footer=""))
    assert view.final.startswith("Blue sky.\\[1\\] Again.\\[1\\]\n\n**Sources**\n\n1. “Sky is blue.” — notes.txt, characters 0–12")
