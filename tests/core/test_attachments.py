"""Notebook values into content blocks: images, tables, documents, and the turn they make."""

from __future__ import annotations

import asyncio
import base64
import io
import sys
from pathlib import Path

import anthropic
import pandas as pd
import pytest
from PIL import Image

from claude_magic.core import attachments as att
from claude_magic.core.media import FILES_BETA, MediaSupport, prepare_media
from claude_magic.display.citations import CitationIndex, source_location
from claude_magic.display.code_blocks import python_code
from claude_magic.display.html import render_answer_html
from claude_magic.emulator import serve

sys.path.insert(0, str(Path(__file__).parent.parent / "emulator"))
from media_helpers import pdf  # noqa: E402 - the emulator tests' minimal PDF writer


def _png(width: int, height: int, mode: str = "L") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (width, height)).save(buf, format="PNG")
    return buf.getvalue()


def test_an_image_over_the_side_limit_is_scaled_down_and_said() -> None:
    got = att.image_attachment(_png(9000, 30), "{wide}")
    data = base64.b64decode(got.block["source"]["data"])
    with Image.open(io.BytesIO(data)) as img:
        assert img.size == (1568, 5)
    assert got.note and "{wide}: image scaled down to 1568×5 (9000×30 px, over the API's 8000 px limit)" in got.note


def test_an_image_over_the_byte_limit_is_scaled_down_to_the_apis_reading_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(att, "MAX_IMAGE_BASE64", 1000)
    got = att.image_attachment(_png(2000, 1000), "{big}")
    with Image.open(io.BytesIO(base64.b64decode(got.block["source"]["data"]))) as img:
        assert img.size == (1568, 784)
    assert got.note and "over the API's 5 MB limit" in got.note


def test_without_pillow_an_oversized_image_is_one_line_saying_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = _png(20, 20)
    monkeypatch.setattr(att, "MAX_IMAGE_BASE64", 10)
    monkeypatch.setitem(sys.modules, "PIL", None)  # import PIL now fails, as when it is not installed
    with pytest.raises(att.AttachmentError, match=r"install Pillow \(pip install 'claude_magic\[rich\]'\)"):
        att.image_attachment(raw, "{big}")


def test_an_image_within_the_limits_is_sent_as_it_is() -> None:
    raw = _png(100, 50)
    got = att.image_attachment(raw, "{small}")
    assert base64.b64decode(got.block["source"]["data"]) == raw and got.note is None
    assert got.block["source"]["media_type"] == "image/png"


def test_bytes_that_are_no_image_stay_text_and_a_pil_image_becomes_png() -> None:
    assert att.attach_value(b"hello", "b") is None
    got = att.attach_value(Image.new("RGBA", (3, 2)), "img")
    assert isinstance(got, att.Attachment) and got.block["source"]["media_type"] == "image/png"


def test_an_ipython_image_is_sent_from_its_bytes_and_a_url_only_one_is_one_line() -> None:
    from IPython.display import Image as IPImage

    raw = _png(4, 4)
    got = att.attach_value(IPImage(data=raw), "shown")
    assert isinstance(got, att.Attachment) and base64.b64decode(got.block["source"]["data"]) == raw
    with pytest.raises(att.AttachmentError, match=r"\{remote\}: this IPython Image has no bytes"):
        att.attach_value(IPImage(url="http://127.0.0.1/x.png"), "remote")


def test_a_table_is_capped_by_characters_and_says_so() -> None:
    frame = pd.DataFrame({"text": ["x" * 90] * 200})
    text, note = att.table_text(frame, "df", max_rows=50, max_chars=1000)
    assert "200 rows × 1 columns; dtypes: text " in text
    assert "capped at 1,000 characters" in text and note and "capped at 1,000 characters" in note
    assert len(text) < 1400


def test_a_small_series_is_sent_whole_without_a_cap() -> None:
    text, note = att.table_text(pd.Series([1, 2], name="n"), "s")
    assert note is None and "pandas Series, 2 rows × 1 columns" in text and "Showing" not in text


def test_files_become_documents_or_a_one_line_refusal(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("# Notes\nAll good.")
    doc = att.attach_path(tmp_path / "notes.md")
    assert doc.block["source"] == {"type": "text", "media_type": "text/plain", "data": "# Notes\nAll good."}
    (tmp_path / "a.bin").write_bytes(bytes(range(256)))
    with pytest.raises(att.AttachmentError, match=r"\.bin files cannot be attached"):
        att.attach_path(tmp_path / "a.bin")
    with pytest.raises(att.AttachmentError, match="no such file"):
        att.attach_path(tmp_path / "missing.pdf")


def test_content_keeps_the_order_and_drops_empty_text() -> None:
    image = att.image_attachment(_png(2, 2), "{i}")
    blocks = att.content_blocks(["Look at ", image, "  \n", image, " now"])
    assert [b["type"] for b in blocks] == ["text", "image", "image", "text"]
    assert blocks[0]["text"] == "Look at" and blocks[-1]["text"] == "now"


def test_the_summary_names_images_and_pdf_pages() -> None:
    image = att.image_attachment(_png(2, 2), "{i}")
    report = att.pdf_attachment(pdf([["a."]] * 14), "{r}", title="r.pdf")
    assert att.describe([image, image, report]) == "2 images, 1 PDF (14 pages)"


def test_a_large_pdf_is_uploaded_through_the_files_api_and_sent_by_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(att, "INLINE_PDF_BYTES", 100)
    report = att.pdf_attachment(pdf([["Quarterly figures."]]), "{r}", title="r.pdf")
    assert report.upload is not None
    params = {"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "x"}]}

    async def prepare(url: str) -> None:
        async with anthropic.AsyncAnthropic(base_url=url, api_key="sk-ant-test-x") as client:
            await prepare_media(("Read ", report), params, client=client, endpoint=url,
                                model="claude-sonnet-4-6", support=MediaSupport())

    with serve() as server:
        asyncio.run(prepare(server.url))
        source = params["messages"][-1]["content"][1]["source"]  # type: ignore[index]
        assert source["type"] == "file"
        stored = server.files.get_bytes(source["file_id"])
        assert stored is not None and stored[1] == report.upload[1]
        assert params["extra_headers"] == {"anthropic-beta": FILES_BETA}


def test_python_code_joins_only_python_fences() -> None:
    answer = "```python\na = 1\n```\ntext\n```\nplain\n```\n```py\nb = 2\n```"
    assert python_code(answer) == "a = 1\n\nb = 2\n"
    assert python_code("no code") == ""


def test_citations_keep_their_number_and_quote_escaped() -> None:
    index = CitationIndex()
    first = {"type": "page_location", "cited_text": "A *bold* <b>claim</b>.", "document_title": "r.pdf",
             "start_page_number": 2, "end_page_number": 3, "document_index": 0}
    assert index.number(first) == 1 and index.number(dict(first)) == 1
    assert index.number({"type": "char_location", "cited_text": "x", "document_index": 1,
                         "start_char_index": 0, "end_char_index": 1}) == 2
    shown = render_answer_html(index.sources(markdown=True))
    # The document's text is shown as text: no emphasis, no tag, through the one renderer.
    assert "<li>“A *bold* &lt;b&gt;claim&lt;/b&gt;.” — r.pdf, page 2</li>" in shown
    assert source_location({"type": "char_location", "document_index": 1, "start_char_index": 0,
                            "end_char_index": 1}) == "document 2, characters 0–1"
