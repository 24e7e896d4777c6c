"""Media the tests send: real PNGs and minimal PDFs written here, and the fixture images."""

from __future__ import annotations

import base64
import struct
import zlib
from pathlib import Path
from typing import Any

IMAGES = Path(__file__).parent.parent / "fixtures" / "images"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def png(width: int, height: int) -> bytes:
    """A real grayscale PNG of that size (all black), small for any size since it compresses."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = (b"\x00" + b"\x00" * width) * height  # filter byte 0, then one byte per pixel
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _page_objects(pages: list[list[str]], *, compress: bool) -> tuple[list[bytes], list[bytes], int]:
    """Catalog, page tree and pages (dictionaries), then content streams and the font."""
    count = len(pages)
    kids = " ".join(f"{3 + i} 0 R" for i in range(count))
    font = 3 + 2 * count
    dictionaries = [b"<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode()]
    streams: list[bytes] = []
    for i, lines in enumerate(pages):
        ops = ["BT", "/F1 12 Tf", "72 720 Td", "14 TL"]
        ops += [f"({_escape(line)}) Tj" if n == 0 else f"T* ({_escape(line)}) Tj" for n, line in enumerate(lines)]
        ops.append("ET")
        stream, extra = "\n".join(ops).encode("latin-1"), ""
        if compress:
            stream, extra = zlib.compress(stream), " /Filter /FlateDecode"
        dictionaries.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {3 + count + i} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode()
        )
        streams.append(f"<< /Length {len(stream)}{extra} >>\nstream\n".encode() + stream + b"\nendstream")
    streams.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    return dictionaries, streams, font


def pdf(pages: list[list[str]], *, compress: bool = False, object_stream: bool = False) -> bytes:
    """A minimal PDF: one page per item, each line shown with Tj, and a cross-reference table.

    ``object_stream`` writes PDF 1.5 as many producers do: the catalog, page tree and pages
    packed into a compressed object stream, found through a cross-reference stream.
    """
    dictionaries, streams, last = _page_objects(pages, compress=compress)
    out = bytearray(b"%PDF-1.5\n" if object_stream else b"%PDF-1.4\n")
    offsets: dict[int, int] = {}

    def write(number: int, body: bytes) -> None:
        offsets[number] = len(out)
        out.extend(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")

    if not object_stream:
        for number, body in enumerate(dictionaries + streams, start=1):
            write(number, body)
        xref = len(out)
        out += f"xref\n0 {last + 1}\n0000000000 65535 f \n".encode()
        out += b"".join(f"{offsets[n]:010d} 00000 n \n".encode() for n in range(1, last + 1))
        out += f"trailer\n<< /Size {last + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
        return bytes(out)
    for number, body in enumerate(streams, start=len(dictionaries) + 1):
        write(number, body)
    packed, header = b"", []
    for number, body in enumerate(dictionaries, start=1):
        header.append(f"{number} {len(packed)}")
        packed += body + b"\n"
    first = (" ".join(header) + "\n").encode()
    data = zlib.compress(first + packed)
    objstm, xref_number = last + 1, last + 2
    write(objstm, f"<< /Type /ObjStm /N {len(dictionaries)} /First {len(first)} /Length {len(data)} /Filter /FlateDecode >>\nstream\n".encode() + data + b"\nendstream")
    offsets[xref_number] = len(out)
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    for number in range(1, xref_number + 1):
        if number <= len(dictionaries):
            rows.append(struct.pack(">BIH", 2, objstm, number - 1))
        else:
            rows.append(struct.pack(">BIH", 1, offsets[number], 0))
    table = zlib.compress(b"".join(rows))
    write(
        xref_number,
        f"<< /Type /XRef /Size {xref_number + 1} /W [1 4 2] /Root 1 0 R /Length {len(table)} /Filter /FlateDecode >>\nstream\n".encode()
        + table
        + b"\nendstream",
    )
    out += f"startxref\n{offsets[xref_number]}\n%%EOF\n".encode()
    return bytes(out)


def image_block(data: bytes, media_type: str = "image/png") -> dict[str, Any]:
    return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": b64(data)}}


def pdf_block(data: bytes, *, cite: bool = False, title: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": b64(data)}}
    if cite:
        block["citations"] = {"enabled": True}
    if title:
        block["title"] = title
    return block


def ask(*blocks: dict[str, Any], text: str = "What is this?") -> list[dict[str, Any]]:
    """One user message carrying ``blocks`` and a question."""
    return [{"role": "user", "content": [*blocks, {"type": "text", "text": text}]}]
