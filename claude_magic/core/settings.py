"""The settings the core reads, and their defaults: one place for both.

``ClaudeMagic``'s traitlets (``%config ClaudeMagic``) take their defaults from
:data:`DEFAULTS`, and the Chat uses :data:`DEFAULTS` when no magic is loaded, so the two can
never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["Settings", "Defaults", "DEFAULTS", "think_option", "request_options"]


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
    think: bool | int
    effort: str | None
    cache: bool
    cache_ttl: str

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
    #: False, True (thinking on), or a thinking budget in tokens.
    think: bool | int = False
    effort: str | None = None
    cache: bool = True
    cache_ttl: str = "5m"

    @property
    def usage_log(self) -> str | None:
        # Resolved when read, so XDG_DATA_HOME set after import still counts.
        from ..usage.log import default_log_path

        return str(default_log_path())


DEFAULTS = Defaults()


def think_option(value: bool | int | None) -> tuple[bool, int | None]:
    """``ClaudeMagic.think`` (False, True or a budget) as (thinking on, budget or None)."""
    if value is None or value is False:
        return False, None
    if value is True:
        return True, None
    return True, int(value)


def request_options(settings: Settings) -> dict[str, Any]:
    """The CellSpec fields that come from settings alone: thinking, effort, caching."""
    think, budget = think_option(settings.think)
    return {"think": think, "think_budget": budget, "effort": settings.effort, "cache": settings.cache,
            "cache_ttl": settings.cache_ttl}
