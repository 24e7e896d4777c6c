"""What a kernel keeps for as long as it runs: usage history, the session, the settings in force.

It lives here, in a module that ``%reload_ext claude_magic`` does not re-execute (IPython
reloads only the top-level package), so a reload keeps what the kernel has spent (and so its
budget), its conversation and its emulator. The IPython layer registers its ``ClaudeMagic``
as the settings when the extension loads; the Chat and ``backend()`` read and write this state
instead of reaching into the magic, which keeps the import graph free of cycles.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ..usage.record import UsageHistory, UsageRecord
from .capabilities import CapabilityCache
from .session import KernelSession
from .settings import DEFAULTS, Settings

__all__ = ["KernelState", "kernel_state", "Answer", "KEPT_ANSWERS"]

#: How many answers ``claude_magic.answers`` keeps (their text stays in memory).
KEPT_ANSWERS = 20


@dataclass(frozen=True)
class Answer:
    """One finished answer as the kernel kept it: ``claude_magic.last`` after a page reload."""

    text: str
    record: UsageRecord
    footer: str = ""

    def __repr__(self) -> str:
        return f"{self.text}\n\n{self.footer}" if self.footer else self.text


@dataclass
class KernelState:
    history: UsageHistory = field(default_factory=UsageHistory)
    session: KernelSession = field(default_factory=KernelSession)
    #: The raw events of the last ``--raw`` cell (``claude_magic.events``).
    events: list[Any] = field(default_factory=list)
    #: The loaded ClaudeMagic (``%config ClaudeMagic``), or the defaults when none is loaded.
    settings: Settings = field(default_factory=lambda: DEFAULTS)
    #: The IPython shell while the extension is loaded (its user namespace feeds --map), else None.
    shell: Any = None
    #: A callable giving the current cell's number (set by the IPython layer).
    cell_number: Any = None
    #: What each model can do, asked once per endpoint and model.
    capabilities: CapabilityCache = field(default_factory=CapabilityCache)
    #: The last answers, oldest first (cells and the Chat alike): what a reloaded page lost.
    answers: deque[Answer] = field(default_factory=lambda: deque(maxlen=KEPT_ANSWERS))

    def current_cell(self) -> int | None:
        return self.cell_number() if self.cell_number is not None else None

    def use_backend(self, emulator: Any) -> None:
        """Point every request at ``emulator`` (None: the real API), stopping a previous one."""
        session = self.session
        if session.emulator is not None and session.emulator is not emulator:
            session.stop_emulator()
        session.emulator = emulator


_STATE = KernelState()


def kernel_state() -> KernelState:
    """This process's state (one kernel is one process)."""
    return _STATE
