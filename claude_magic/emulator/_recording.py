"""Recorded exchanges: one JSON file per request, and finding the recording of a request.

A recording holds the request (method, path, query, body, the ``anthropic-*`` headers) and the
answer: status, headers without secrets, and the body as chunks with the time each arrived,
in seconds after the request left. An SSE body is cut at its records, so each chunk is whole
text a teacher can read; the chunks joined are the bytes the upstream sent. No key is
written: auth headers are never kept, and the key is replaced in anything it appears in.

A request finds its recording by the fields that decide the answer (:data:`MATCH_FIELDS`);
``metadata``, headers and key do not count. The same request recorded twice replays its
recordings in order, then the last one again.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "MATCH_FIELDS",
    "Exchange",
    "Recordings",
    "cut_sse",
    "describe_request",
    "kept_request_headers",
    "match_key",
    "safe_headers",
    "sse_kind",
]

FORMAT = "claude_magic recording 1"

#: The fields of a Messages or count_tokens body that decide its answer.
MATCH_FIELDS = (
    "model", "messages", "system", "tools", "tool_choice", "max_tokens", "thinking", "output_config", "stream",
)  # fmt: skip

_SSE_RECORD = re.compile(rb".*?(?:\r?\n\r?\n|\Z)", re.DOTALL)
_SSE_EVENT = re.compile(rb"^event:\s?(.*?)\r?$", re.MULTILINE)
_REDACTED = "[redacted]"
# Never kept from a response: framing the replay redoes, and anything that names an account.
_DROPPED_RESPONSE_HEADERS = {
    "connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "date", "server",
    "set-cookie", "anthropic-organization-id", "alt-svc",
}  # fmt: skip
_SECRET_WORDS = ("key", "auth", "token", "cookie", "secret")
#: The request headers a recording keeps: what says which API version and betas were asked for.
_KEPT_REQUEST_HEADERS = ("anthropic-version", "anthropic-beta", "content-type")


def match_key(method: str, path: str, query: str, body: bytes) -> str:
    """A digest of what decides the answer to a request."""
    try:
        parsed: Any = json.loads(body) if body else None
    except (ValueError, RecursionError):
        parsed = None
    if isinstance(parsed, Mapping) and path.startswith("/v1/messages") and not path.startswith("/v1/messages/batches"):
        meaningful: Any = {name: parsed.get(name) for name in MATCH_FIELDS}
        meaningful["stream"] = bool(parsed.get("stream"))
    elif isinstance(parsed, Mapping):
        meaningful = {k: v for k, v in parsed.items() if k != "metadata"}
    else:
        meaningful = hashlib.sha256(body).hexdigest()
    canonical = json.dumps([method.upper(), path, query, meaningful], sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def describe_request(method: str, path: str, body: bytes) -> str:
    """One line naming a request: route, model, and the start of its last user message."""
    words = f"{method} {path}"
    try:
        parsed = json.loads(body) if body else None
    except (ValueError, RecursionError):
        return words
    if not isinstance(parsed, Mapping):
        return words
    if isinstance(parsed.get("model"), str):
        words += f" (model {parsed['model']}"
        text = _last_user_text(parsed.get("messages"))
        words += f', last user message "{text[:60]}{"..." if len(text) > 60 else ""}")' if text else ")"
    return words


def _last_user_text(messages: Any) -> str:
    if not isinstance(messages, list):
        return ""
    for message in reversed(messages):
        if isinstance(message, Mapping) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return " ".join(content.split())
            if isinstance(content, list):
                texts = [b.get("text", "") for b in content if isinstance(b, Mapping) and b.get("type") == "text"]
                return " ".join(" ".join(texts).split())
    return ""


def safe_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Response headers fit to keep and to send again: no framing, nothing secret."""
    return [
        (name, value)
        for name, value in headers
        if name.lower() not in _DROPPED_RESPONSE_HEADERS and not any(w in name.lower() for w in _SECRET_WORDS)
    ]


def kept_request_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: headers[name] for name in _KEPT_REQUEST_HEADERS if name in headers}


def cut_sse(data: bytes) -> tuple[list[bytes], bytes]:
    """Complete SSE records in ``data``, and the unfinished rest."""
    records = [chunk for chunk in _SSE_RECORD.findall(data) if chunk]
    if records and not records[-1].endswith((b"\n\n", b"\r\n\r\n")):
        return records[:-1], records[-1]
    return records, b""


def sse_kind(record: bytes) -> str:
    """The ``event:`` name of an SSE record ("" if it has none)."""
    match = _SSE_EVENT.search(record)
    return match.group(1).decode("utf-8", "replace").strip() if match else ""


@dataclass
class Exchange:
    """One recorded request and its answer."""

    method: str
    path: str
    query: str
    request_headers: dict[str, str]
    body: bytes
    status: int = 0
    headers: list[tuple[str, str]] = field(default_factory=list)
    headers_at: float = 0.0
    chunks: list[tuple[float, bytes]] = field(default_factory=list)
    name: str = ""

    @property
    def key(self) -> str:
        return match_key(self.method, self.path, self.query, self.body)

    @property
    def streamed(self) -> bool:
        return any(n.lower() == "content-type" and v.startswith("text/event-stream") for n, v in self.headers)

    def to_json(self, *, secret: str | None = None) -> str:
        """The file's text; ``secret`` (the key used) is replaced wherever it appears."""
        data = {
            "format": FORMAT,
            "key": self.key,
            "request": {
                "method": self.method,
                "path": self.path,
                "query": self.query,
                "headers": self.request_headers,
                **_encode_body(self.body),
            },
            "response": {
                "status": self.status,
                "headers": [list(h) for h in self.headers],
                "headers_at": round(self.headers_at, 6),
                "chunks": [{"at": round(at, 6), **_encode(chunk, "text")} for at, chunk in self.chunks],
            },
        }
        text = json.dumps(data, indent=1, ensure_ascii=False)
        if secret:
            text = text.replace(secret, _REDACTED).replace(json.dumps(secret)[1:-1], _REDACTED)
        return text

    @classmethod
    def from_json(cls, text: str, *, name: str = "") -> Exchange:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError(f"{name}: not a claude_magic recording (no format {FORMAT!r})")
        request, response = data["request"], data["response"]
        return cls(
            method=request["method"],
            path=request["path"],
            query=request.get("query", ""),
            request_headers=request.get("headers", {}),
            body=json.dumps(request["json"]).encode() if "json" in request else _decode(request, "body"),
            status=response["status"],
            headers=[(n, v) for n, v in response["headers"]],
            headers_at=response.get("headers_at", 0.0),
            chunks=[(chunk["at"], _decode(chunk, "text")) for chunk in response["chunks"]],
            name=name,
        )


def _encode_body(body: bytes) -> dict[str, Any]:
    """A JSON body as JSON (what a teacher reads); matching only needs its fields back."""
    try:
        return {"json": json.loads(body)} if body else {"body": ""}
    except (ValueError, RecursionError):
        return _encode(body, "body")


def _encode(data: bytes, name: str) -> dict[str, str]:
    """Text when it is UTF-8 (readable, diffable), else base64."""
    try:
        return {name: data.decode("utf-8")}
    except UnicodeDecodeError:
        return {f"{name}_base64": base64.b64encode(data).decode("ascii")}


def _decode(holder: Mapping[str, Any], name: str) -> bytes:
    if f"{name}_base64" in holder:
        return base64.b64decode(holder[f"{name}_base64"])
    return str(holder.get(name, "")).encode("utf-8")


class Recordings:
    """The exchanges of a recording folder, found by request; each ``next_for`` moves on."""

    def __init__(self, exchanges: Iterable[Exchange], *, name: str = "recordings") -> None:
        self.name = name
        self._by_key: dict[str, list[Exchange]] = {}
        for exchange in exchanges:
            self._by_key.setdefault(exchange.key, []).append(exchange)
        self._served: dict[str, int] = {}

    @classmethod
    def load(cls, folder: str | Path) -> Recordings:
        folder = Path(folder)
        files = sorted(folder.glob("*.json"))
        if not files:
            raise ValueError(f"{folder}: no recordings (*.json) in this folder; record some with --record")
        exchanges = []
        for path in files:
            try:
                exchanges.append(Exchange.from_json(path.read_text(encoding="utf-8"), name=path.name))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}: cannot read this recording: {exc}") from None
        return cls(exchanges, name=folder.name)

    def __len__(self) -> int:
        return sum(len(found) for found in self._by_key.values())

    def __iter__(self) -> Iterator[Exchange]:
        for found in self._by_key.values():
            yield from found

    def next_for(self, method: str, path: str, query: str, body: bytes) -> Exchange | None:
        """The recording to answer this request with, or None."""
        key = match_key(method, path, query, body)
        found = self._by_key.get(key)
        if not found:
            return None
        served = self._served.get(key, 0)
        self._served[key] = served + 1
        return found[min(served, len(found) - 1)]
