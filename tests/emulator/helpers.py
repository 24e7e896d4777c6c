"""Constants and small helpers shared by the emulator tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: Not in the SDK's deprecated list: a deprecated model warns, and warnings are errors here.
MODEL = "claude-opus-4-8"
KEY = "sk-ant-emulator-test-key"
FIXTURES = Path(__file__).parent.parent / "fixtures"


def user(text: str) -> list[dict[str, Any]]:
    """A one-message conversation."""
    return [{"role": "user", "content": text}]


def deltas(server: Any, index: int = -1) -> list[float]:
    """When each content delta of a recorded request's reply left the server."""
    return [at for at, kind in server.requests[index].sent if kind == "content_block_delta"]
