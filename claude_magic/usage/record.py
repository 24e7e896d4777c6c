"""Usage records: what one %%claude run cost and how fast it streamed."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Iterable, Literal

__all__ = ["TokenCounts", "UsageRecord", "UsageHistory", "RECORD_FIELDS", "TOKEN_FIELDS"]

Status = Literal["ok", "error", "interrupted"]
#: Where the answer came from: the Anthropic API, or claude_magic's local emulator.
Backend = Literal["api", "emulator"]


@dataclass
class TokenCounts:
    """The API's token counts: the one place they are declared.

    ``cache_creation_1h_input_tokens`` is the part of ``cache_creation_input_tokens`` written
    with the 1-hour TTL (the usage's ``cache_creation`` breakdown), priced apart.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_1h_input_tokens: int = 0

    def tokens(self) -> TokenCounts:
        """Just the counts (of a record or a round, which extend this class)."""
        return TokenCounts(**{name: getattr(self, name) for name in TOKEN_FIELDS})

    def __add__(self, other: TokenCounts) -> TokenCounts:
        return TokenCounts(**{name: getattr(self, name) + getattr(other, name) for name in TOKEN_FIELDS})

    @classmethod
    def total(cls, items: Iterable[TokenCounts]) -> TokenCounts:
        return sum((item.tokens() for item in items), TokenCounts())


TOKEN_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(TokenCounts))


@dataclass(kw_only=True)
class UsageRecord(TokenCounts):
    """One request (or one tool loop) of one cell. Token counts are the API's own."""

    cell: int | None
    model: str
    ttft_s: float | None = None
    duration_s: float | None = None
    output_tokens_per_s: float | None = None
    stop_reason: str | None = None
    status: Status = "ok"
    error: str | None = None
    cost_usd: float | None = None
    request_id: str | None = None
    started_at: str = ""
    #: Retries before the first token, over every round.
    retries: int = 0
    #: Per-round figures of a tool loop (each a dict of the token fields); empty for one round.
    rounds: list[dict[str, Any]] = field(default_factory=list)
    #: The ``--map`` job this request belongs to (None for a plain cell).
    job: str | None = None
    #: What the prompt attached, e.g. "2 images, 1 PDF (14 pages)"; empty for text alone.
    attachments: str = ""
    #: Seconds from the first thinking to the first answer text; None when it did not think.
    thinking_s: float | None = None
    #: "emulator": answered offline; its cost is what the API would have charged, never spent.
    backend: Backend = "api"

    @property
    def emulated(self) -> bool:
        return self.backend == "emulator"

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UsageRecord:
        known = {f.name for f in dataclasses.fields(cls)}
        # A row logged before records had a backend reads as an API answer (the field's default).
        return cls(**{k: v for k, v in data.items() if k in known and not (k == "backend" and v is None)})


RECORD_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(UsageRecord))



class UsageHistory(list):  # type: ignore[type-arg]
    """``claude_magic.history``: a plain list of :class:`UsageRecord`, oldest first."""

    def totals(self) -> dict[str, Any]:
        """Summed tokens and cost over every record (cost counts only priced records).

        ``cost_usd`` is real spend: API answers only. Emulated answers' would-be cost is kept
        apart in ``emulated_cost_usd`` (None when there are none).
        """
        sums: dict[str, Any] = dataclasses.asdict(TokenCounts.total(self))
        sums["cost_usd"] = _priced(r for r in self if not r.emulated)
        sums["emulated_cost_usd"] = _priced(r for r in self if r.emulated)
        sums["runs"] = len(self)
        return sums

    def total_cost(self) -> float:
        """Dollars really spent (what a budget counts): emulated answers cost nothing."""
        return sum(r.cost_usd or 0.0 for r in self if not r.emulated)


def _priced(records: Iterable[UsageRecord]) -> float | None:
    costs = [r.cost_usd for r in records if r.cost_usd is not None]
    return sum(costs) if costs else None
