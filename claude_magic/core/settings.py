"""The settings the core reads, and their defaults: one place for both.

``ClaudeMagic``'s traitlets (``%config ClaudeMagic``) take their defaults from
:data:`DEFAULTS`, and the Chat uses :data:`DEFAULTS` when no magic is loaded, so the two can
never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["Settings", "Defaults", "DEFAULTS"]


class Settings(Protocol):
    """What the pipeline reads (``ClaudeMagic`` is one; :class:`Defaults` another)."""

    model: str
    max_tokens: int
    system: str | None
    temperature: float | None
    display: str
    prices: dict[str, Any]
    budget_usd: float | None
    max_retries: int
    retry_cap_s: float
    stall_timeout: float
    tools: list[str]
    max_tool_rounds: int

    @property
    def usage_log(self) -> str | None: ...


@dataclass
class Defaults:
    model: str = "claude-sonnet-4-6"
    max_tokens: int = 1024
    system: str | None = None
    temperature: float | None = None
    display: str = "auto"
    prices: dict[str, Any] = field(default_factory=dict)
    budget_usd: float | None = None
    max_retries: int = 4
    retry_cap_s: float = 30.0
    stall_timeout: float = 60.0
    tools: list[str] = field(default_factory=list)
    max_tool_rounds: int = 10

    @property
    def usage_log(self) -> str | None:
        # Resolved when read, so XDG_DATA_HOME set after import still counts.
        from ..usage.log import default_log_path

        return str(default_log_path())


DEFAULTS = Defaults()
