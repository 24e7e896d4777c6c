"""Images and documents: header reading, PDF pages, token estimates, the API's refusals."""

from __future__ import annotations

import math
import random
from typing import Any

import anthropic
import pytest
from anthropic.types import ImageDimensionsTooLargeError

from claude_magic.emulator import Emulator
from claude_magic.emulator._media import (
    MediaError,
    image_size,
    image_tokens,
    inspect_media,
    sniff_image,
)
from claude_magic.emulator._pdf import PdfError, pdf_pages

from .helpers import MODEL
from .media_helpers import IMAGES, ask, b64, image_block, pdf, pdf_block, png

# --- pure: headers, pages, tokens -------------------------------------------------------------


@pytest.mark.parametrize(("name", "media_type"), [("png", "image/png"), ("jpg", "image/jpeg"), ("gif", "image/gif"), ("webp", "image/webp")])
def test_real_images_give_their_type_and_size_from_the_header(name: str, media_type: str) -> None:
    data = (IMAGES / f"python.{name}").read_bytes()

    assert sniff_image(data) == media_type
    assert image_size(data, media_type) == (16, 16)


def test_a_written_png_reports_the_size_it_was_written_with() -> None:
    assert image_size(png(800, 600), "image/png") == (800, 600)


@pytest.mark.parametrize(
    ("width", "height", "tokens"),
    # The API's vision guide: 200×200 ≈ 54 tokens, 1000×1000 ≈ 1334, 1092×1092 ≈ 1590.
    [(200, 200, 54), (1000, 1000, 1334), (1092, 1092, 1590), (800, 600, 640)],
)
def test_image_tokens_follow_the_documented_formula(width: int, height: int, tokens: int) -> None:
    assert image_tokens(width, height) == tokens


def test_a_large_image_is_counted_after_the_downscale() -> None:
    # 4000×3000 is read at most 1568 px long and about 1,600 tokens: never more.
    assert 1500 < image_tokens(4000, 3000) <= 1600
    assert image_tokens(4000, 3000) == image_tokens(8000, 6000)
    assert image_tokens(3000, 100) == math.ceil(1568 * math.floor(100 * 1568 / 3000) / 750)


def test_pdf_pages_are_counted_and_their_text_read() -> None:
    pages = pdf([["First page. Second sentence."], ["Page (two) here."], [], ["Last."]])

    assert pdf_pages(pages) == ["First page. Second sentence.", "Page (two) here.", "", "Last."]


def test_compressed_pdf_content_is_read_too() -> None:
    assert pdf_pages(pdf([["Deflated text."], ["Again."]], compress=True)) == ["Deflated text.", "Again."]


def test_pages_are_read_in_the_page_trees_order_not_the_files() -> None:
    data = pdf([["A."], ["B."]]).replace(b"/Kids [3 0 R 4 0 R]", b"/Kids [4 0 R 3 0 R]")

    assert pdf_pages(data) == ["B.", "A."]


def test_pages_packed_in_an_object_stream_are_found_in_order() -> None:
    data = pdf([["One."], ["Two."], ["Three."]], compress=True, object_stream=True)

    assert b"/Type /Page " not in data  # every page object is inside the compressed stream
    assert pdf_pages(data) == ["One.", "Two.", "Three."]


@pytest.mark.parametrize(
    "data",
    [
        b"GIF89a not a pdf",
        pdf([["x"]])[:-40],
        b"%PDF-1.4\n%%EOF\n",
        pdf([["x"]]).replace(b"/Type /Page ", b"/Type /Pixel "),
        pdf([["x"]]).replace(b"/Root 1 0 R", b"/Root 1 0 R /Encrypt 9 0 R"),
    ],
    ids=["not-a-pdf", "truncated", "no-pages", "no-page-objects", "encrypted"],
)
def test_what_is_not_a_readable_pdf_is_refused(data: bytes) -> None:
    with pytest.raises(PdfError):
        pdf_pages(data)


def test_damaged_pdfs_are_refused_or_read_never_crash() -> None:
    rng = random.Random(15)
    sources = [pdf([["Some text."], ["More."]], compress=True), pdf([["One."]] * 3, compress=True, object_stream=True)]
    outcomes = {"read": 0, "refused": 0}
    for _ in range(300):
        data = bytearray(rng.choice(sources))
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            pages = pdf_pages(bytes(data))
        except PdfError:
            outcomes["refused"] += 1
        else:
            assert all(isinstance(page, str) for page in pages)
            outcomes["read"] += 1

    assert outcomes["read"] and outcomes["refused"]


def test_damaged_images_are_refused_or_measured_never_crash() -> None:
    rng = random.Random(17)
    for name, media_type in [("png", "image/png"), ("jpg", "image/jpeg"), ("gif", "image/gif"), ("webp", "image/webp")]:
        original = (IMAGES / f"python.{name}").read_bytes()
        for cut in range(len(original)):
            data = bytearray(original[:cut])
            if data and rng.random() < 0.5:
                data[rng.randrange(len(data))] = rng.randrange(256)
            try:
                width, height = image_size(bytes(data), media_type)
            except ValueError:
                continue
            assert width > 0 and height > 0


class _NoFiles:
    def get_bytes(self, file_id: str) -> tuple[str, bytes] | None:
        return None


class _OneFile:
    def __init__(self, mime_type: str, data: bytes) -> None:
        self.found = (mime_type, data)

    def get_bytes(self, file_id: str) -> tuple[str, bytes] | None:
        return self.found


def _body(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"messages": ask(*blocks)}


def _mutations(value: Any, rng: random.Random) -> Any:
    """``value`` with one leaf or key swapped for something of another type."""
    junk = [None, 7, -1, "", "x", [], {}, [{}], {"type": 3}, True, "A" * 9]
    if isinstance(value, dict) and value and rng.random() < 0.8:
        key = rng.choice(list(value))
        return {**value, key: _mutations(value[key], rng)} if rng.random() < 0.8 else {k: v for k, v in value.items() if k != key}
    if isinstance(value, list) and value and rng.random() < 0.8:
        i = rng.randrange(len(value))
        return [*value[:i], _mutations(value[i], rng), *value[i + 1 :]]
    return rng.choice(junk)


def test_malformed_blocks_are_refused_with_a_message_never_a_crash() -> None:
    rng = random.Random(16)
    blocks = [
        image_block(png(3, 3)),
        pdf_block(pdf([["Text."]]), cite=True),
        {"type": "document", "source": {"type": "content", "content": [{"type": "text", "text": "A."}, image_block(png(2, 2))]}},
        {"type": "document", "source": {"type": "file", "file_id": "file_x"}, "citations": {"enabled": True}},
        {"type": "tool_result", "tool_use_id": "t", "content": [image_block(png(2, 2))]},
    ]
    refused = 0
    for _ in range(500):
        body = {"messages": [{"role": "user", "content": [_mutations(rng.choice(blocks), rng)]}]}
        try:
            inspect_media(body, _OneFile("text/plain", b"Plain."))
        except MediaError as exc:
            refused += 1
            assert str(exc) and exc.status in (400, 404)

    assert refused > 100


def test_a_pdf_over_32_mb_is_refused_by_its_size() -> None:
    huge = _OneFile("application/pdf", b"%PDF-1.4\n" + b"0" * (32 * 1024 * 1024))
    block = {"type": "document", "source": {"type": "file", "file_id": "file_x"}}

    with pytest.raises(MediaError, match=r"PDF exceeds 32 MB maximum: \d+ bytes > 33554432 bytes"):
        inspect_media(_body(block), huge)


def test_the_media_summary_names_each_kind() -> None:
    media = inspect_media(
        _body(image_block(png(800, 600)), image_block((IMAGES / "python.gif").read_bytes(), "image/gif"), pdf_block(pdf([["a."], ["b."], ["c."]]))),
        _NoFiles(),
    )

    assert media.describe() == "You sent 2 images (800×600 PNG, 16×16 GIF) and 1 PDF (3 pages)."


def test_images_inside_tool_results_count_too() -> None:
    body = {
        "messages": [
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": [image_block(png(10, 10))]}]}
        ]
    }

    assert len(inspect_media(body, _NoFiles()).images) == 1


# --- over HTTP, through the SDK ---------------------------------------------------------------


def _create(client: anthropic.Anthropic, *blocks: dict[str, Any]) -> anthropic.types.Message:
    return client.messages.create(model=MODEL, max_tokens=50, messages=ask(*blocks))


def test_input_tokens_grow_by_the_image_estimate(client: anthropic.Anthropic) -> None:
    plain = _create(client).usage.input_tokens
    with_image = _create(client, image_block(png(800, 600))).usage.input_tokens
    two_images = _create(client, image_block(png(800, 600)), image_block(png(200, 200))).usage.input_tokens

    assert with_image - plain == 640
    assert two_images - plain == 640 + 54


def test_input_tokens_grow_with_pdf_pages_and_count_tokens_agrees(client: anthropic.Anthropic) -> None:
    plain = _create(client).usage.input_tokens
    one_page = _create(client, pdf_block(pdf([["Short."]]))).usage.input_tokens
    three_pages = _create(client, pdf_block(pdf([["Short."]] * 3))).usage.input_tokens
    counted = client.messages.count_tokens(model=MODEL, messages=ask(pdf_block(pdf([["Short."]] * 3)))).input_tokens

    per_page = one_page - plain
    assert per_page > 1600  # a page is its text plus a picture of the page
    assert three_pages - plain == 3 * per_page
    assert counted == three_pages


def test_the_default_answer_says_what_it_received(client: anthropic.Anthropic) -> None:
    answer = _create(client, image_block(png(800, 600)), pdf_block(pdf([["a."], ["b."], ["c."]])))

    assert answer.content[0].type == "text"
    assert answer.content[0].text.startswith("You sent 1 image (800×600 PNG) and 1 PDF (3 pages). ")


def test_url_and_text_sources_are_accepted_without_fetching(client: anthropic.Anthropic) -> None:
    answer = _create(
        client,
        {"type": "image", "source": {"type": "url", "url": "https://example.invalid/cat.png"}},
        {"type": "document", "source": {"type": "url", "url": "https://example.invalid/paper.pdf"}},
        {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "Plain words."}},
    )

    assert answer.content[0].type == "text"
    assert answer.content[0].text.startswith(
        "You sent 1 image (from a URL, not fetched), 1 PDF (from a URL, not fetched) and 1 text document (12 characters)."
    )


_JPEG = (IMAGES / "python.jpg").read_bytes()


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "not base64!"}},
            "messages.0.content.0.image.source.base64: invalid base64 data",
        ),
        (
            {"type": "image", "source": {"type": "base64", "media_type": "image/bmp", "data": b64(png(2, 2))}},
            "messages.0.content.0.image.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'",
        ),
        (
            image_block(_JPEG, "image/png"),
            "messages.0.content.0.image.source.base64: The image was specified using the image/png media type, "
            "but the image appears to be a image/jpeg image",
        ),
        (image_block(b"plain text, not pixels"), "Could not process image"),
        (
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "A" * (5 * 1024 * 1024 + 4)}},
            "messages.0.content.0.image.source.base64: image exceeds 5 MB maximum: 5242884 bytes > 5242880 bytes",
        ),
        (pdf_block(b"<html>withdrawn</html>"), "messages.0.content.0.pdf.source.base64.data: The PDF specified was not valid."),
        (pdf_block(pdf([["p."]] * 101)), "Too much media: 101 document pages + 0 images > 100"),
    ],
    ids=["bad-base64", "unsupported-type", "type-mismatch", "not-an-image", "over-5-mb", "not-a-pdf", "101-pages"],
)
def test_malformed_media_is_refused_with_the_apis_400(
    client: anthropic.Anthropic, server: Emulator, block: dict[str, Any], message: str
) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        _create(client, block)

    assert caught.value.body["error"] == {"type": "invalid_request_error", "message": message}
    assert _create(client).content  # the next request is answered


def test_an_image_over_8000_pixels_is_refused_with_its_path(client: anthropic.Anthropic) -> None:
    with pytest.raises(ImageDimensionsTooLargeError) as caught:
        _create(client, image_block(png(10, 10)), image_block(png(8001, 1)))

    assert caught.value.body["error"]["message"] == (
        "messages.0.content.1.image.source.base64.data: At least one of the image dimensions exceed max allowed size: 8000 pixels"
    )
    assert caught.value.details is not None
    assert caught.value.details.max_side_length_pixels == 8000
    assert caught.value.details.paths == ["messages.0.content.1"]


def test_past_20_images_each_must_fit_2000_pixels(client: anthropic.Anthropic) -> None:
    twenty = [image_block(png(2001, 1))] + [image_block(png(4, 4))] * 19

    assert _create(client, *twenty).usage.input_tokens > 0
    with pytest.raises(anthropic.BadRequestError, match="for many-image requests: 2000 pixels"):
        _create(client, *twenty, image_block(png(4, 4)))


def test_more_than_100_images_are_refused(client: anthropic.Anthropic) -> None:
    small = image_block(png(2, 2))

    with pytest.raises(anthropic.BadRequestError, match=r"^Error code: 400 .*Too much media: 0 document pages \+ 101 images > 100"):
        _create(client, *[small] * 101)
