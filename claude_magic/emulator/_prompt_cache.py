"""Prompt caching: which part of a request was written to the cache, and which was read from it.

A request's prefix runs tools, then system, then messages, block by block. Each block with
``cache_control`` is a breakpoint; a top-level ``cache_control`` marks the last block of the
last message. A breakpoint's prefix (model and every block up to it, exactly) is read when
an earlier request wrote it within its TTL (``5m`` or ``1h``; a read renews it), otherwise
written; as in the API, each breakpoint also reads an entry that ends up to 20 blocks before
it (so marking only the last turn of a conversation reads the earlier turns), and a
``cache_control`` marker is not part of the prefix. Prefixes shorter than the model's
minimum are not cached at all, as in the API.
Token counts use the emulator's estimate, so ``input_tokens + cache_creation_input_tokens +
cache_read_input_tokens`` is the whole request.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ._answer import estimate_input_tokens

__all__ = ["CacheUsage", "PromptCache"]

_TTL_S = {"5m": 300.0, "1h": 3600.0}
#: How many blocks before a breakpoint the API looks for an earlier cache entry.
LOOKBACK_BLOCKS = 20


@dataclass(frozen=True)
class CacheUsage:
    """How a request's input tokens split: uncached, written (per TTL) and read."""

    input_tokens: int
    read: int = 0
    written_5m: int = 0
    written_1h: int = 0

    @property
    def written(self) -> int:
        return self.written_5m + self.written_1h


def _chunks(body: Mapping[str, Any]) -> Iterator[tuple[Any, Mapping[str, Any] | None]]:
    """Each cacheable piece in prefix order, with its ``cache_control`` (or None)."""
    for tool in body.get("tools") or []:
        yield ("tool", tool), tool.get("cache_control") if isinstance(tool, Mapping) else None
    system = body.get("system")
    if isinstance(system, str) and system:
        yield ("system", system), None
    for block in system if isinstance(system, list) else []:
        yield ("system", block), block.get("cache_control") if isinstance(block, Mapping) else None
    messages = body.get("messages") or []
    top = body.get("cache_control")
    for i, message in enumerate(messages):
        content = message.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])
        for j, block in enumerate(blocks):
            control = block.get("cache_control") if isinstance(block, Mapping) else None
            if control is None and top is not None and i == len(messages) - 1 and j == len(blocks) - 1:
                control = top  # top-level cache_control: the last cacheable block
            yield (message.get("role"), block), control


def _unmarked(chunk: Any) -> Any:
    """A piece as the prefix sees it: a ``cache_control`` marker does not change the prompt."""
    kind, piece = chunk
    if isinstance(piece, Mapping) and "cache_control" in piece:
        return kind, {k: v for k, v in piece.items() if k != "cache_control"}
    return chunk


def _tokens(chunk: Any) -> int:
    """Estimated tokens of one piece, with the same rule as the request estimate."""
    kind, piece = chunk
    if kind == "tool":
        return estimate_input_tokens({"tools": [piece]})
    if kind == "system":
        return estimate_input_tokens({"system": piece if isinstance(piece, str) else [piece]})
    return estimate_input_tokens({"messages": [{"role": kind, "content": [piece]}]})


class PromptCache:
    """The cache entries of one server: prefix digest -> expiry time."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._expiry: dict[str, float] = {}
        self._clock = clock
        self._lock = threading.Lock()

    def use(self, body: Mapping[str, Any], *, min_tokens: int) -> CacheUsage:
        """Read and write ``body``'s breakpoints; say how its input tokens split."""
        total = estimate_input_tokens(body)
        digest = hashlib.sha256(str(body.get("model")).encode("utf-8", "surrogatepass"))
        seen = 0
        boundaries: list[tuple[str, int]] = []  # (prefix digest, tokens up to it) after every block
        breakpoints: list[tuple[int, str]] = []  # (index in boundaries, ttl)
        for chunk, control in _chunks(body):
            digest.update(json.dumps(_unmarked(chunk), sort_keys=True, default=str).encode())
            seen += _tokens(chunk)
            boundaries.append((digest.hexdigest(), seen))
            if isinstance(control, Mapping):
                breakpoints.append((len(boundaries) - 1, str(control.get("ttl") or "5m")))
        now = self._clock()
        read, written = 0, {"5m": 0, "1h": 0}
        with self._lock:
            self._expiry = {k: at for k, at in self._expiry.items() if at > now}
            # Like the API, each breakpoint also finds an entry written up to LOOKBACK_BLOCKS blocks
            # before it: a conversation whose last turn is marked reads the turns before it.
            hits = [
                i for at, _ in breakpoints for i in range(max(0, at - LOOKBACK_BLOCKS), at + 1)
                if boundaries[i][0] in self._expiry
            ]
            hit = max(hits, default=-1)
            if hit >= 0:
                read = boundaries[hit][1]
                self._expiry[boundaries[hit][0]] = max(self._expiry[boundaries[hit][0]], now + 300.0)
            boundary = read
            for at, ttl in breakpoints:
                key, upto = boundaries[at]
                if at <= hit:
                    self._expiry[key] = max(self._expiry.get(key, 0), now + _TTL_S.get(ttl, 300.0))
                    continue
                if upto < min_tokens:
                    continue  # too short to cache: the API silently does not
                written[ttl if ttl in written else "5m"] += upto - boundary
                boundary = upto
                self._expiry[key] = now + _TTL_S.get(ttl, 300.0)
        cached = read + written["5m"] + written["1h"]
        # The estimate of the whole can round below the sum of its pieces' estimates.
        uncached = max(total - cached, 0) if cached < total else 0
        return CacheUsage(
            input_tokens=uncached if cached else total,
            read=read,
            written_5m=written["5m"],
            written_1h=written["1h"],
        )
