"""What one kernel remembers between cells: conversation, usage, offline emulator, last cell."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from .attachments import Attachment
from .conversation import Conversation

__all__ = ["KernelSession", "CellSpec"]


@dataclass
class CellSpec:
    """A parsed %%claude cell: enough to run it again with %claude_retry."""

    prompt: str
    model: str
    max_tokens: int
    system: str | None
    temperature: float | None
    out: str | None
    new: bool
    once: bool
    raw: bool = False
    tools: str | None = None
    confirm: bool = False
    cell: int | None = None
    cell_key: str = ""
    #: An assistant prefix to continue from (%claude_retry --continue).
    continue_from: str | None = None
    #: The prompt as text pieces and attachments, in order (empty: ``prompt`` is all text).
    parts: tuple[Any, ...] = ()
    #: --code: the answer's Python code goes into a new cell.
    code: bool = False
    #: Thinking on (--think), with a budget (--think N) where the model takes budgets.
    think: bool = False
    think_budget: int | None = None
    #: output_config.effort (--effort).
    effort: str | None = None
    #: Top-level cache_control on the request (ClaudeMagic.cache, --no-cache) and its TTL.
    cache: bool = False
    cache_ttl: str = "5m"
    #: --json NAME: a claude_magic.core.structured.OutputSchema.
    output: Any = None

    @property
    def attachments(self) -> list[Attachment]:
        return [part for part in self.parts if isinstance(part, Attachment)]

    @property
    def json_schema(self) -> dict[str, Any] | None:
        return None if self.output is None else self.output.schema


@dataclass
class KernelSession:
    session_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    conversation: Conversation = field(default_factory=Conversation)
    emulator: Any = None  # claude_magic.emulator.Emulator while %claude_offline is on
    last_spec: CellSpec | None = None
    last_partial: str = ""

    @property
    def offline_url(self) -> str | None:
        return None if self.emulator is None else self.emulator.url

    def stop_emulator(self) -> None:
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None
