"""Images and documents in a request: their checks, their token estimates, what was sent.

The API reads image sizes and PDF pages itself; so does the emulator, from the bytes, with
no imaging library: width and height come from the PNG, JPEG, GIF or WebP header, pages
and their text from the PDF's objects (see :mod:`._pdf`). A malformed block is refused
with the API's 400 in its own words where they are known.

The API's own words (as its responses read, quoted in public bug reports): "invalid base64
data", the ``media_type`` list, "The image was specified using the image/png media type,
but the image appears to be a image/jpeg image", "image exceeds 5 MB maximum: N bytes >
5242880 bytes" (counted on the base64 text), "At least one of the image dimensions exceed
max allowed size for many-image requests: 2000 pixels", "Could not process image", "The
PDF specified was not valid." (at ``...pdf.source.base64.data``), "Too much media: 0
document pages + 102 images > 100", and the ``image_dimensions_too_large`` details from
the SDK's types. In the API's style only: the 8000-pixel variant, "File not found: ...",
"PDF exceeds 32 MB maximum", a file of the wrong type, and citations on some documents but
not all (a rule of the API's citations guide, in that guide's words).
"""

from __future__ import annotations

import base64
import binascii
import math
import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ._faults import error_body
from ._pdf import PdfError, pdf_pages

__all__ = [
    "DocumentInfo",
    "ImageInfo",
    "Media",
    "MediaError",
    "image_size",
    "image_tokens",
    "inspect_media",
    "sniff_image",
]

IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
#: The API's per-image limit, counted on the base64 text as sent (its message says "bytes").
MAX_IMAGE_BASE64 = 5 * 1024 * 1024
MAX_SIDE = 8000
#: Past 20 images in one request, each image's sides must fit this instead.
MANY_IMAGES, MANY_IMAGES_SIDE = 20, 2000
#: Images plus document pages in one request.
MAX_MEDIA = 100
MAX_PDF_BYTES = 32 * 1024 * 1024
#: The API scales an image down to fit 1568 px on its long side and about 1,600 tokens.
FIT_SIDE, FIT_TOKENS = 1568, 1600
#: A PDF page is read as its text plus a picture of the page (a full-size image).
PAGE_IMAGE_TOKENS = FIT_TOKENS


class MediaError(ValueError):
    """A block the API refuses: 400 ``invalid_request_error`` (or 404), maybe with details."""

    def __init__(self, message: str, *, status: int = 400, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = "not_found_error" if status == 404 else "invalid_request_error"
        self.details = details

    def body(self, request_id: str) -> dict[str, Any]:
        """The API's error body, with ``error.details`` when the refusal has a code."""
        body = error_body(self.error_type, str(self), request_id)
        if self.details is not None:
            body["error"]["details"] = self.details
        return body


class FileLookup(Protocol):
    """What the checks need from the Files API store."""

    def get_bytes(self, file_id: str) -> tuple[str, bytes] | None:
        """``(mime_type, content)`` of a live file, or None."""


# --- image headers --------------------------------------------------------------------------


def sniff_image(data: bytes) -> str | None:
    """The media type the bytes are, by their magic numbers, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _jpeg_size(data: bytes) -> tuple[int, int]:
    at = 2
    while at + 9 < len(data):
        if data[at] != 0xFF:
            raise ValueError("not a JPEG marker")
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            at += 2
            continue
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        # SOF0..SOF15 carry the size, except DHT (C4), JPG (C8) and DAC (CC).
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return width, height
        at += 2 + length
    raise ValueError("no JPEG frame header")


def _webp_size(data: bytes) -> tuple[int, int]:
    chunk = data[12:16]
    if chunk == b"VP8X":
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    raise ValueError("unknown WebP chunk")


def image_size(data: bytes, media_type: str) -> tuple[int, int]:
    """Width and height from the image's header; ValueError when the header is broken."""
    try:
        if media_type == "image/png":
            if data[12:16] != b"IHDR":
                raise ValueError("no IHDR")
            width, height = struct.unpack(">II", data[16:24])
        elif media_type == "image/gif":
            width, height = struct.unpack("<HH", data[6:10])
        elif media_type == "image/jpeg":
            width, height = _jpeg_size(data)
        elif media_type == "image/webp":
            width, height = _webp_size(data)
        else:
            raise ValueError(media_type)
    except struct.error as exc:
        raise ValueError("truncated image header") from exc
    if width < 1 or height < 1:
        raise ValueError("empty image")
    return width, height


def fitted_size(width: int, height: int) -> tuple[int, int]:
    """The size the API reads an image at: long side within 1568 px, at most ~1,600 tokens."""
    scale = min(1.0, FIT_SIDE / max(width, height), math.sqrt(FIT_TOKENS * 750 / (width * height)))
    return max(1, math.floor(width * scale)), max(1, math.floor(height * scale))


def image_tokens(width: int, height: int) -> int:
    """Tokens for an image, as the API documents: (width × height) / 750 after the fit."""
    fitted_w, fitted_h = fitted_size(width, height)
    return max(1, math.ceil(fitted_w * fitted_h / 750))


# --- what a request carries ------------------------------------------------------------------


@dataclass(frozen=True)
class ImageInfo:
    """One image block: its type and size (None for a URL the emulator does not fetch)."""

    media_type: str | None
    width: int | None
    height: int | None
    #: Where the block is, as ``error.details.paths`` names it (``messages.0.content.1``).
    block: str
    #: Where its data is, as the API's messages name it (``messages.0.content.1.image.source.base64.data``).
    path: str

    @property
    def tokens(self) -> int:
        if self.width is None or self.height is None:
            return FIT_TOKENS  # an unfetched URL: count it as a full-size image
        return image_tokens(self.width, self.height)

    def label(self) -> str:
        if self.width is None or self.media_type is None:
            return "from a URL, not fetched"
        return f"{self.width}×{self.height} {self.media_type.split('/')[1].upper()}"


@dataclass(frozen=True)
class DocumentInfo:
    """One document block, numbered as citations number it, with the text it can be cited by.

    ``kind`` is the source's citation flavour: ``pdf`` (pages), ``text`` (characters) or
    ``content`` (blocks). ``parts`` are the pages, the one text, or the blocks' texts.
    """

    index: int
    kind: str
    parts: tuple[str, ...]
    title: str | None
    file_id: str | None
    citations: bool
    fetched: bool = True

    @property
    def tokens(self) -> int:
        text = sum(math.ceil(len(part) / 4) for part in self.parts)
        return text + (PAGE_IMAGE_TOKENS * len(self.parts) if self.kind == "pdf" else 0)

    def label(self) -> str:
        if not self.fetched:
            return "1 PDF (from a URL, not fetched)"
        if self.kind == "pdf":
            return f"1 PDF ({len(self.parts)} page{'s' if len(self.parts) != 1 else ''})"
        if self.kind == "text":
            return f"1 text document ({len(self.parts[0]):,} characters)"
        return f"1 document of {len(self.parts)} block{'s' if len(self.parts) != 1 else ''}"


@dataclass
class Media:
    """The images and documents of a request, in the order sent."""

    images: list[ImageInfo] = field(default_factory=list)
    documents: list[DocumentInfo] = field(default_factory=list)

    @property
    def tokens(self) -> int:
        return sum(i.tokens for i in self.images) + sum(d.tokens for d in self.documents)

    @property
    def pages(self) -> int:
        return sum(len(d.parts) for d in self.documents if d.kind == "pdf")

    def describe(self) -> str:
        """``You sent 1 image (800×600 PNG) and 1 PDF (3 pages).``, or "" for none."""
        parts: list[str] = []
        if self.images:
            count = len(self.images)
            parts.append(f"{count} image{'s' if count != 1 else ''} ({', '.join(i.label() for i in self.images)})")
        parts.extend(d.label() for d in self.documents)
        if not parts:
            return ""
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        return f"You sent {listed}."


def _decode(data: Any, where: str) -> bytes:
    if not isinstance(data, str):
        raise MediaError(f"{where}.data: Input should be a valid string")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise MediaError(f"{where}: invalid base64 data") from None


def _file(source: Mapping[str, Any], where: str, files: FileLookup) -> tuple[str, bytes]:
    file_id = source.get("file_id")
    if not isinstance(file_id, str) or not file_id:
        raise MediaError(f"{where}.file_id: Field required")
    found = files.get_bytes(file_id)
    if found is None:
        raise MediaError(f"File not found: {file_id}", status=404)
    return found


def _image(block: Mapping[str, Any], position: str, files: FileLookup) -> ImageInfo:
    where = f"{position}.image"
    source = block.get("source")
    if not isinstance(source, Mapping):
        raise MediaError(f"{where}.source: Field required")
    kind = source.get("type")
    if kind == "url":
        if not isinstance(source.get("url"), str):
            raise MediaError(f"{where}.source.url: Field required")
        return ImageInfo(None, None, None, position, f"{where}.source.url")
    if kind == "base64":
        at = f"{where}.source.base64"
        declared = source.get("media_type")
        if declared not in IMAGE_TYPES:
            raise MediaError(f"{at}.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'")
        data = source.get("data")
        if isinstance(data, str) and len(data) > MAX_IMAGE_BASE64:
            raise MediaError(f"{at}: image exceeds 5 MB maximum: {len(data)} bytes > {MAX_IMAGE_BASE64} bytes")
        raw = _decode(data, at)
    elif kind == "file":
        at = f"{where}.source.file"
        declared, raw = _file(source, at, files)
        if declared not in IMAGE_TYPES:
            raise MediaError(f"{at}: The file {source['file_id']} is a {declared} file, not an image")
    else:
        raise MediaError(
            f"{where}.source: Input tag '{kind}' found using 'type' does not match any of the expected tags: "
            "'base64', 'file', 'url'"
        )
    actual = sniff_image(raw)
    if actual is None:
        raise MediaError("Could not process image")
    if actual != declared:
        raise MediaError(
            f"{at}: The image was specified using the {declared} media type, "
            f"but the image appears to be a {actual} image"
        )
    try:
        width, height = image_size(raw, actual)
    except ValueError:
        raise MediaError("Could not process image") from None
    return ImageInfo(actual, width, height, position, f"{at}.data")


def _pdf(raw: bytes, at: str) -> tuple[str, ...]:
    if len(raw) > MAX_PDF_BYTES:
        raise MediaError(f"{at}: PDF exceeds 32 MB maximum: {len(raw)} bytes > {MAX_PDF_BYTES} bytes")
    try:
        return tuple(pdf_pages(raw))
    except PdfError:
        raise MediaError(f"{at}.data: The PDF specified was not valid.") from None


def _document(block: Mapping[str, Any], where: str, index: int, files: FileLookup, images: list[ImageInfo]) -> DocumentInfo:
    source = block.get("source")
    if not isinstance(source, Mapping):
        raise MediaError(f"{where}.source: Field required")
    kind, file_id, fetched = source.get("type"), None, True
    if kind == "base64":
        if source.get("media_type") != "application/pdf":
            raise MediaError(f"{where}.source.base64.media_type: Input should be 'application/pdf'")
        # The API names a PDF's path "...pdf.source.base64", not "...document.source.base64".
        pdf_at = f"{where.removesuffix('.document')}.pdf.source.base64"
        kind, parts = "pdf", _pdf(_decode(source.get("data"), pdf_at), pdf_at)
    elif kind == "text":
        data = source.get("data")
        if not isinstance(data, str):
            raise MediaError(f"{where}.source.text.data: Field required")
        kind, parts = "text", (data,)
    elif kind == "content":
        content = source.get("content")
        if isinstance(content, str):
            content = [{"type": "text", "text": content}]
        if not isinstance(content, list) or not content:
            raise MediaError(f"{where}.source.content: Field required")
        texts: list[str] = []
        for i, item in enumerate(content):
            if isinstance(item, Mapping) and item.get("type") == "image":
                images.append(_image(item, f"{where}.source.content.{i}", files))
                texts.append("")
            elif isinstance(item, Mapping) and item.get("type") == "text" and isinstance(item.get("text"), str):
                texts.append(item["text"])
            else:
                raise MediaError(f"{where}.source.content.{i}: Input should be a text or an image block")
        kind, parts = "content", tuple(texts)
    elif kind == "url":
        if not isinstance(source.get("url"), str):
            raise MediaError(f"{where}.source.url: Field required")
        kind, parts, fetched = "pdf", ("",), False
    elif kind == "file":
        at = f"{where}.source.file"
        mime_type, raw = _file(source, at, files)
        file_id = source["file_id"]
        if mime_type == "application/pdf":
            kind, parts = "pdf", _pdf(raw, at)
        elif mime_type.startswith("text/"):
            kind, parts = "text", (raw.decode("utf-8", errors="replace"),)
        else:
            raise MediaError(f"{at}: The file {file_id} is a {mime_type} file; documents take PDF or plain text files")
    else:
        raise MediaError(
            f"{where}.source: Input tag '{kind}' found using 'type' does not match any of the expected tags: "
            "'base64', 'content', 'file', 'text', 'url'"
        )
    citations = block.get("citations")
    title = block.get("title")
    return DocumentInfo(
        index=index,
        kind=kind,
        parts=parts,
        title=title if isinstance(title, str) else None,
        file_id=file_id,
        citations=isinstance(citations, Mapping) and citations.get("enabled") is True,
        fetched=fetched,
    )


def _blocks(messages: Any) -> Iterator[tuple[Mapping[str, Any], str]]:
    """Every content block that can hold media, with its path, tool_result contents included."""
    for i, message in enumerate(messages if isinstance(messages, list) else []):
        content = message.get("content") if isinstance(message, Mapping) else None
        for j, block in enumerate(content if isinstance(content, list) else []):
            if not isinstance(block, Mapping):
                continue
            where = f"messages.{i}.content.{j}"
            if block.get("type") == "tool_result" and isinstance(block.get("content"), list):
                for k, inner in enumerate(block["content"]):
                    if isinstance(inner, Mapping):
                        # The API's messages say "tool_result.content.k"; its error details "content.k".
                        yield inner, f"{where}.tool_result.content.{k}"
            else:
                yield block, where


def inspect_media(body: Mapping[str, Any], files: FileLookup) -> Media:
    """Check every image and document of a request; raise :class:`MediaError` as the API would."""
    media = Media()
    for block, where in _blocks(body.get("messages")):
        if block.get("type") == "image":
            media.images.append(_image(block, where, files))
        elif block.get("type") == "document":
            media.documents.append(_document(block, f"{where}.document", len(media.documents), files, media.images))
    if len({d.citations for d in media.documents}) > 1:
        # The citations guide: "citations must be enabled on all or none of the documents within a request".
        raise MediaError("Citations must be enabled on all or none of the documents within a request.")
    if media.pages + len(media.images) > MAX_MEDIA:
        raise MediaError(f"Too much media: {media.pages} document pages + {len(media.images)} images > {MAX_MEDIA}")
    limit = MANY_IMAGES_SIDE if len(media.images) > MANY_IMAGES else MAX_SIDE
    too_large = [i for i in media.images if i.width is not None and max(i.width, i.height or 0) > limit]
    if too_large:
        many = " for many-image requests" if limit == MANY_IMAGES_SIDE else ""
        raise MediaError(
            f"{too_large[0].path}: At least one of the image dimensions exceed max allowed size{many}: {limit} pixels",
            details={
                "error_code": "image_dimensions_too_large",
                "max_side_length_pixels": limit,
                "paths": [i.block.replace(".tool_result.", ".") for i in too_large],
            },
        )
    return media
