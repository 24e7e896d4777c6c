"""Just enough PDF reading for the emulator: the pages, in order, and the text each shows.

Objects are found by their ``N G obj ... endobj`` markers (and inside object streams),
pages by walking the catalogue's ``/Pages`` tree (falling back to every ``/Type /Page``
object in file order), and text from the ``Tj``/``TJ``/``'``/``"`` operators of each page's
content streams, FlateDecode ones included (zlib is in the standard library). Fonts with
custom encodings give odd text; the page count is what must be right.
"""

from __future__ import annotations

import re
import zlib

__all__ = ["PdfError", "pdf_pages"]


class PdfError(ValueError):
    """The bytes are not a PDF the emulator can read pages from."""


_OBJ = re.compile(rb"(\d+)\s+(\d+)\s+obj\b(.*?)\bendobj", re.DOTALL)
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\n?endstream", re.DOTALL)
_REF = re.compile(rb"(\d+)\s+\d+\s+R")
_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
_TOKEN = re.compile(rb"\((?:\\.|[^\\)])*\)|\([^)]*|<[0-9A-Fa-f\s]*>|\[|\]|/[^\s/\[\]()<>]+|[^\s/\[\]()<>]+", re.DOTALL)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _stream(body: bytes) -> bytes | None:
    """An object's stream data, inflated when it is FlateDecode; None without a stream."""
    match = _STREAM.search(body)
    if match is None:
        return None
    data = match.group(1)
    if b"/FlateDecode" in body[: match.start()]:
        try:
            data = zlib.decompressobj().decompress(data)
        except zlib.error as exc:
            raise PdfError("a stream does not inflate") from exc
    return data


def _objects(raw: bytes) -> dict[int, bytes]:
    """Every object's body by number, those packed in object streams included."""
    objects = {int(m.group(1)): m.group(3) for m in _OBJ.finditer(raw)}
    for body in list(objects.values()):
        if re.search(rb"/Type\s*/ObjStm", body) is None:
            continue
        data = _stream(body)
        first = re.search(rb"/First\s+(\d+)", body)
        if data is None or first is None:
            continue
        header = data[: int(first.group(1))].split()
        offsets = [(int(header[i]), int(header[i + 1])) for i in range(0, len(header) - 1, 2)]
        base = int(first.group(1))
        for n, (number, offset) in enumerate(offsets):
            end = base + offsets[n + 1][1] if n + 1 < len(offsets) else len(data)
            objects.setdefault(number, data[base + offset : end])
    return objects


def _page_order(objects: dict[int, bytes]) -> list[int]:
    """Page object numbers in reading order: the /Pages tree, else file order."""
    pages = [n for n, body in objects.items() if _PAGE.search(body)]
    root = next((body for body in objects.values() if re.search(rb"/Type\s*/Catalog", body)), None)
    top = re.search(rb"/Pages\s+(\d+)\s+\d+\s+R", root) if root else None
    if top is None:
        return pages
    ordered: list[int] = []
    seen: set[int] = set()

    def walk(number: int) -> None:
        if number in seen or number not in objects:
            return
        seen.add(number)
        body = objects[number]
        kids = re.search(rb"/Kids\s*\[(.*?)\]", body, re.DOTALL)
        if _PAGE.search(body):
            ordered.append(number)
        elif kids:
            for ref in _REF.finditer(kids.group(1)):
                walk(int(ref.group(1)))

    walk(int(top.group(1)))
    return ordered if len(ordered) == len(pages) else pages


def _literal(token: bytes) -> bytes:
    out, i, inner = bytearray(), 0, token[1:-1] if token.endswith(b")") else token[1:]
    while i < len(inner):
        char = inner[i : i + 1]
        if char != b"\\":
            out += char
            i += 1
            continue
        nxt = inner[i + 1 : i + 2]
        octal = re.match(rb"[0-7]{1,3}", inner[i + 1 : i + 4])
        if octal:
            out.append(int(octal.group(0), 8) & 0xFF)
            i += 1 + len(octal.group(0))
            continue
        out += _ESCAPES.get(nxt, nxt if nxt != b"\n" else b"")
        i += 2
    return bytes(out)


def _show(token: bytes) -> str:
    if token.startswith(b"("):
        return _literal(token).decode("latin-1")
    digits = re.sub(rb"\s", b"", token[1:-1])
    return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode()).decode("latin-1")


#: A TJ adjustment this wide (thousandths of an em, negative moves right) reads as a space.
_WORD_GAP = 200


def _is_number(token: bytes) -> bool:
    return re.fullmatch(rb"[-+]?(\d+\.?\d*|\.\d+)", token) is not None


def _content_text(data: bytes) -> str:
    """The text a content stream shows; a line break for each new text line or block."""
    text: list[str] = []
    operands: list[bytes] = []
    for token in _TOKEN.findall(data):
        if token.startswith((b"(", b"<")) or token in (b"[", b"]") or token[:1].isdigit() or token[:1] in b"-+.":
            operands.append(token)
            continue
        if token in (b"Tj", b"TJ", b"'", b'"'):
            if token in (b"'", b'"') and text and not text[-1].endswith("\n"):
                text.append("\n")
            for operand in operands:
                if operand.startswith((b"(", b"<")):
                    text.append(_show(operand))
                elif token == b"TJ" and _is_number(operand) and float(operand) <= -_WORD_GAP:
                    text.append(" ")  # a wide gap in a TJ array is how typesetters space words
        elif token in (b"T*", b"Td", b"TD", b"ET") and text and not text[-1].endswith("\n"):
            text.append("\n")
        operands = [] if not token.startswith(b"/") else operands
    return re.sub(r"[ \t]+\n", "\n", "".join(text)).strip()


def _page_text(body: bytes, objects: dict[int, bytes]) -> str:
    contents = re.search(rb"/Contents\s*(\[[^\]]*\]|\d+\s+\d+\s+R)", body)
    if contents is None:
        return ""
    parts: list[str] = []
    for ref in _REF.finditer(contents.group(1)):
        stream = _stream(objects.get(int(ref.group(1)), b""))
        if stream:
            parts.append(_content_text(stream))
    return "\n".join(part for part in parts if part)


def pdf_pages(raw: bytes) -> list[str]:
    """The text of each page, in order; raises :class:`PdfError` for what is not a readable PDF."""
    # The header may follow up to 1 KB of junk (PDF 32000-1, annex H); the trailer ends it.
    if b"%PDF-" not in raw[:1024] or b"%%EOF" not in raw[-2048:]:
        raise PdfError("no PDF header or trailer")
    # The API reads no password-protected PDF; an encrypted file names its /Encrypt dictionary.
    if re.search(rb"/Encrypt\s*(\d+\s+\d+\s+R|<<)", raw):
        raise PdfError("encrypted")
    try:
        objects = _objects(raw)
        order = _page_order(objects)
        if not order:
            raise PdfError("no pages")
        return [_page_text(objects[number], objects) for number in order]
    except (ValueError, IndexError, KeyError, RecursionError) as exc:
        # A damaged file is the sender's mistake, answered with a 400, never a server error.
        raise PdfError(f"unreadable: {exc}") from exc
