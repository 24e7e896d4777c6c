"""A notebook's values as the content blocks Claude reads best: images, tables, documents.

``{fig}`` of a matplotlib Figure, a PIL Image, an ``IPython.display.Image`` or image bytes
becomes an image block; a pandas DataFrame or Series a compact CSV table with its shape and
dtypes, capped in rows and characters (the cap is said in the prompt and on screen); a
``pathlib.Path`` to a PDF or a text file (or ``--file PATH``) a document block. Anything
else is left to the prompt's text, as before. Pure: no request is sent here; a PDF too
large to send inline is marked for the Files API and uploaded by the pipeline.

The limits are the API's: an image's base64 text at most 5 MB and 8000 px a side (an image
over them is scaled down to the 1568 px the API reads anyway, and that is said), a PDF at
most 32 MB, at most 100 images and PDF pages in one request. matplotlib, PIL and pandas are
imported only when a value is one of theirs; Pillow is needed only to downscale.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from ..exceptions import UserError

__all__ = [
    "AttachmentError",
    "Attachment",
    "Table",
    "attach_value",
    "attach_path",
    "content_blocks",
    "describe",
    "image_attachment",
    "table_text",
    "MAX_IMAGE_BASE64",
    "INLINE_PDF_BYTES",
    "TABLE_ROWS",
    "TABLE_CHARS",
]

#: The API's per-image limit, counted on the base64 text as sent.
MAX_IMAGE_BASE64 = 5 * 1024 * 1024
MAX_IMAGE_SIDE = 8000
#: The API reads an image scaled to fit this long side: downscaling to it loses nothing.
FIT_SIDE = 1568
MAX_PDF_BYTES = 32 * 1024 * 1024
#: A PDF larger than this goes through the Files API instead of inline base64, which
#: grows it by a third inside a request the API caps at 32 MB.
INLINE_PDF_BYTES = 10 * 1024 * 1024
#: Images plus PDF pages in one request.
MAX_MEDIA = 100
TABLE_ROWS = 50
TABLE_CHARS = 6000

_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_TEXT_SUFFIXES = frozenset({
    ".txt", ".md", ".markdown", ".rst", ".csv", ".tsv", ".json", ".jsonl", ".py", ".log", ".yaml", ".yml",
    ".toml", ".ini", ".cfg", ".html", ".htm", ".xml", ".tex", ".sql", ".js", ".ts", ".r", ".sh",
})
_PILLOW_HINT = "install Pillow (pip install 'claude_magic[rich]')"


class AttachmentError(UserError, ValueError):
    """A value or file that cannot go to the model as it is (one line that says what to do)."""


Kind = Literal["image", "pdf", "text"]


@dataclass(frozen=True)
class Attachment:
    """One image or document block of a prompt, and what to tell the user about it."""

    kind: Kind
    block: dict[str, Any]
    #: Where it came from, for messages: ``{fig}``, ``--file report.pdf``.
    where: str
    #: A line for the screen (downscaled, capped), or None.
    note: str | None = None
    pages: int = 0
    #: A PDF too large to send inline: ``(filename, bytes)`` for the Files API.
    upload: tuple[str, bytes] | None = None

    def with_file_id(self, file_id: str) -> Attachment:
        block = {**self.block, "source": {"type": "file", "file_id": file_id}}
        return replace(self, block=block, upload=None)

    def cited(self) -> Attachment:
        if self.kind == "image":
            return self
        return replace(self, block={**self.block, "citations": {"enabled": True}})


@dataclass(frozen=True)
class Table:
    """A DataFrame's text in the prompt, and the line that says its cap on screen."""

    text: str
    note: str | None = None


# --- images -------------------------------------------------------------------------------


def sniff_image(data: bytes) -> str | None:
    """The media type of PNG, JPEG, GIF or WebP bytes, from their first bytes; else None."""
    for magic, media_type in _IMAGE_MAGIC:
        if data.startswith(magic):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _pil() -> Any:
    try:
        from PIL import Image
    except ImportError:
        return None
    return Image


def _b64_len(n: int) -> int:
    return 4 * ((n + 2) // 3)


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def image_attachment(data: bytes, where: str, *, media_type: str | None = None) -> Attachment:
    """An image block for PNG/JPEG/GIF/WebP bytes, scaled down when over the API's limits."""
    sniffed = sniff_image(data)
    if sniffed is None:
        raise AttachmentError(f"{where}: not a PNG, JPEG, GIF or WebP image; the API reads only those.")
    media_type, note = sniffed, None
    size = _side_lengths(data)
    over_size = _b64_len(len(data)) > MAX_IMAGE_BASE64
    over_side = size is not None and max(size) > MAX_IMAGE_SIDE
    if over_size or over_side:
        why = f"{_mb(len(data))}, over the API's 5 MB" if over_size else f"{size[0]}×{size[1]} px, over the API's {MAX_IMAGE_SIDE} px"  # type: ignore[index]
        data, media_type, shape = _downscale(data, where, why)
        note = f"{where}: image scaled down to {shape} ({why} limit); the API reads at most {FIT_SIDE} px a side anyway."
    block = {"type": "image", "source": {"type": "base64", "media_type": media_type,
                                         "data": base64.b64encode(data).decode("ascii")}}
    return Attachment("image", block, where, note)


def _side_lengths(data: bytes) -> tuple[int, int] | None:
    image = _pil()
    if image is None:
        return None
    try:
        with image.open(io.BytesIO(data)) as img:
            return int(img.width), int(img.height)
    except Exception:  # noqa: BLE001 - unreadable bytes: the API's own check will say so
        return None


def _downscale(data: bytes, where: str, why: str) -> tuple[bytes, str, str]:
    image = _pil()
    if image is None:
        raise AttachmentError(f"{where}: the image is {why} limit; {_PILLOW_HINT} to scale it down, or save it smaller.")
    try:
        with image.open(io.BytesIO(data)) as img:
            img.load()
            img.thumbnail((FIT_SIDE, FIT_SIDE))
            small = img.copy()
    except Exception as exc:  # noqa: BLE001 - any decoder failure is the same answer for the user
        raise AttachmentError(
            f"{where}: the image is {why} limit and cannot be read to scale it down "
            f"({type(exc).__name__}); save it smaller than 5 MB."
        ) from None
    out, media_type = _encode(small, "PNG"), "image/png"
    if _b64_len(len(out)) > MAX_IMAGE_BASE64:  # a photograph compresses far better as JPEG
        out, media_type = _encode(small.convert("RGB"), "JPEG"), "image/jpeg"
    return out, media_type, f"{small.width}×{small.height}"


def _encode(img: Any, fmt: str) -> bytes:
    buf = io.BytesIO()
    if fmt == "PNG" and img.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
        img = img.convert("RGBA")
    img.save(buf, format=fmt, **({"quality": 85} if fmt == "JPEG" else {}))
    return buf.getvalue()


def _figure_png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()


def _pil_png(img: Any) -> bytes:
    return _encode(img, "PNG")


def _ipython_image(value: Any, where: str) -> bytes:
    data = getattr(value, "data", None)
    if not isinstance(data, bytes):
        raise AttachmentError(
            f"{where}: this IPython Image has no bytes (made from a URL?); "
            "make it with Image(filename=...) or Image(data=...)."
        )
    return data


# --- tables -------------------------------------------------------------------------------


def table_text(value: Any, name: str, *, max_rows: int = TABLE_ROWS, max_chars: int = TABLE_CHARS) -> tuple[str, str | None]:
    """A DataFrame or Series as compact CSV with its shape and dtypes; the note says any cap."""
    frame = value.to_frame() if type(value).__name__ == "Series" else value
    kind = type(value).__name__
    rows, cols = frame.shape
    dtypes = ", ".join(f"{col} {dtype}" for col, dtype in frame.dtypes.items())
    shown = frame.head(max_rows)
    csv = shown.to_csv()
    lines = csv.splitlines(keepends=True)
    body: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) > max_chars and body:
            break
        body.append(line)
        used += len(line)
    shown_rows = len(body) - 1  # the header line
    cap: str | None = None
    if shown_rows < rows:
        limit = f"{max_chars:,} characters" if len(body) < len(lines) else f"{max_rows} rows"
        cap = f"the first {shown_rows:,} of {rows:,} rows (capped at {limit})"
    header = f"{name}: pandas {kind}, {rows:,} rows × {cols:,} columns; dtypes: {dtypes}"
    if cap:
        header += f"\nShowing {cap}."
    text = f"{header}\n```csv\n{''.join(body).rstrip()}\n```"
    note = f"{{{name}}}: sent {cap}." if cap else None
    return text, note


# --- documents ----------------------------------------------------------------------------


def _pdf_pages(raw: bytes, where: str) -> int:
    from ..emulator._pdf import PdfError, pdf_pages  # stdlib-only PDF reading, the emulator's own

    try:
        return len(pdf_pages(raw))
    except PdfError as exc:
        raise AttachmentError(f"{where}: not a readable PDF ({exc}); the API would refuse it.") from None


def pdf_attachment(raw: bytes, where: str, *, title: str) -> Attachment:
    if len(raw) > MAX_PDF_BYTES:
        raise AttachmentError(f"{where}: the PDF is {_mb(len(raw))}, over the API's 32 MB limit; split it.")
    pages = _pdf_pages(raw, where)
    block: dict[str, Any] = {"type": "document", "title": title}
    if len(raw) > INLINE_PDF_BYTES:
        block["source"] = {"type": "file", "file_id": ""}  # filled in once uploaded
        return Attachment("pdf", block, where, pages=pages, upload=(title, raw),
                          note=f"{where}: {_mb(len(raw))}, sent through the Files API.")
    block["source"] = {"type": "base64", "media_type": "application/pdf",
                       "data": base64.b64encode(raw).decode("ascii")}
    return Attachment("pdf", block, where, pages=pages)


def text_attachment(text: str, where: str, *, title: str) -> Attachment:
    if not text.strip():
        raise AttachmentError(f"{where}: the file is empty.")
    block = {"type": "document", "title": title,
             "source": {"type": "text", "media_type": "text/plain", "data": text}}
    return Attachment("text", block, where)


def attach_path(path: Path, where: str | None = None) -> Attachment:
    """A file as a document (PDF or text) or image block."""
    where = where or str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise AttachmentError(f"{where}: no such file.") from None
    except OSError as exc:
        raise AttachmentError(f"{where}: cannot be read ({exc.strerror or type(exc).__name__}).") from None
    if raw.startswith(b"%PDF") or path.suffix.lower() == ".pdf":
        return pdf_attachment(raw, where, title=path.name)
    if sniff_image(raw) is not None:
        return image_attachment(raw, where)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text or (path.suffix and path.suffix.lower() not in _TEXT_SUFFIXES and not _looks_textual(text)):
        raise AttachmentError(
            f"{where}: {path.suffix or 'this'} files cannot be attached; the API reads PDFs, text files "
            "and PNG, JPEG, GIF or WebP images (export it to one of those)."
        )
    return text_attachment(text, where, title=path.name)


def _looks_textual(text: str) -> bool:
    printable = sum(ch.isprintable() or ch in "\n\r\t" for ch in text[:4096])
    return printable >= 0.95 * min(len(text), 4096)


# --- any value ----------------------------------------------------------------------------


def _module(value: Any) -> str:
    return type(value).__module__ or ""


def attach_value(value: Any, name: str) -> Attachment | Table | None:
    """What ``{name}`` holding ``value`` becomes: an attachment, a table, or None (its text, as before)."""
    where = "{" + name + "}"
    module, cls = _module(value), type(value).__name__
    if module.startswith("matplotlib") and hasattr(value, "savefig"):
        return image_attachment(_figure_png(value), where)
    if module.startswith("PIL") and hasattr(value, "save") and hasattr(value, "mode"):
        return image_attachment(_pil_png(value), where)
    if module.startswith("IPython") and cls == "Image":
        return image_attachment(_ipython_image(value, where), where)
    if isinstance(value, (bytes, bytearray, memoryview)) and sniff_image(bytes(value[:16])) is not None:
        return image_attachment(bytes(value), where)
    if module.startswith("pandas") and cls in ("DataFrame", "Series"):
        return Table(*table_text(value, name))
    if isinstance(value, Path):
        return attach_path(value, where)
    return None


# --- the user turn ------------------------------------------------------------------------


def content_blocks(pieces: Iterable[str | Attachment]) -> list[dict[str, Any]]:
    """The user turn's content: text between the attachments, in order (no empty text blocks)."""
    blocks: list[dict[str, Any]] = []
    text: list[str] = []

    def flush() -> None:
        joined = "".join(text).strip()
        if joined:
            blocks.append({"type": "text", "text": joined})
        text.clear()

    for piece in pieces:
        if isinstance(piece, Attachment):
            flush()
            blocks.append(piece.block)
        else:
            text.append(piece)
    flush()
    return blocks


def check_media_count(attachments: Sequence[Attachment]) -> None:
    images = sum(a.kind == "image" for a in attachments)
    pages = sum(a.pages for a in attachments)
    if images + pages > MAX_MEDIA:
        raise AttachmentError(
            f"{images} images and {pages} PDF pages: the API takes at most {MAX_MEDIA} in one request; attach fewer."
        )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def describe(attachments: Sequence[Attachment]) -> str:
    """What was attached, for the footer and the usage record: ``2 images, 1 PDF (14 pages)``."""
    parts = []
    images = sum(a.kind == "image" for a in attachments)
    if images:
        parts.append(_plural(images, "image"))
    pdfs = [a for a in attachments if a.kind == "pdf"]
    if pdfs:
        parts.append(f"{len(pdfs)} PDF{'' if len(pdfs) == 1 else 's'} ({_plural(sum(a.pages for a in pdfs), 'page')})")
    texts = sum(a.kind == "text" for a in attachments)
    if texts:
        parts.append(_plural(texts, "text file"))
    return ", ".join(parts)
