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


def pdf(pages: list[list[str]], *, compress: bool = False) -> bytes:
    """A minimal PDF 1.4: one page per item, each line shown with Tj; a valid xref table."""
    objects: list[bytes] = []
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    font = 3 + 2 * len(pages)
    for i, lines in enumerate(pages):
        ops = ["BT", "/F1 12 Tf", "72 720 Td", "14 TL"]
        for n, line in enumerate(lines):
            ops.append(f"({_escape(line)}) Tj" if n == 0 else f"T* ({_escape(line)}) Tj")
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        extra = ""
        if compress:
            stream, extra = zlib.compress(stream), " /Filter /FlateDecode"
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode()
        )
        objects.append(f"<< /Length {len(stream)}{extra} >>\nstream\n".encode() + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
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
