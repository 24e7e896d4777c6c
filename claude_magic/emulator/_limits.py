"""What the emulator holds a client to: body sizes, read deadlines, and how much it remembers.

The size caps are the API's own (its overview and errors pages): 32 MB for Messages and Token
Counting, 256 MB for a Message Batch, 500 MB for a file; past them the API answers 413
``request_too_large``. The deadlines are the emulator's: a room server must not keep a
connection open for a client that sends its headers or body a byte at a time, or stops.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MB", "Limits"]

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Caps and deadlines for one emulator (``Emulator(limits=Limits(...))``)."""

    #: Largest body for ``/v1/messages``, ``count_tokens`` and every route not named below.
    max_request_bytes: int = 32 * MB
    max_batch_bytes: int = 256 * MB
    max_file_bytes: int = 500 * MB
    #: Seconds a client may take to send its headers, or stay silent in the middle of a body.
    client_timeout: float = 10.0
    #: Seconds a whole body may take to arrive, however steadily it trickles.
    body_timeout: float = 60.0
    #: How many requests ``Emulator.requests`` keeps (the oldest go first).
    keep_requests: int = 1000
    #: Bodies larger than this are summarized once a newer request arrives.
    keep_body_bytes: int = 64 * 1024

    def max_body(self, path: str) -> int:
        """The cap for a request to ``path``."""
        if path.startswith("/v1/messages/batches"):
            return self.max_batch_bytes
        if path.startswith("/v1/files"):
            return self.max_file_bytes
        return self.max_request_bytes
