"""A turn's rounds added up: the answer's text and one usage record."""

from __future__ import annotations

import dataclasses
import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..usage.pricing import cost_usd
from ..usage.record import TokenCounts, UsageRecord
from .attachments import describe
from .session import CellSpec
from .stream import RoundResult

__all__ = ["TurnResult", "generation_rate", "MIN_RATE_SPAN_S", "MIN_RATE_TOKENS"]

#: A rate needs this much generation to mean anything: a one-token answer, or a short one that
#: arrives in one network read, would otherwise report thousands of tokens a second.
MIN_RATE_SPAN_S = 1.0
MIN_RATE_TOKENS = 10


def generation_rate(output_tokens: int, span_s: float) -> float | None:
    """Output tokens a second from the first text to the end; None under 1 s or 10 tokens."""
    if span_s < MIN_RATE_SPAN_S or output_tokens < MIN_RATE_TOKENS:
        return None
    return output_tokens / span_s


def _now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


@dataclass
class TurnResult:
    """Every request of one cell: one, or one per round of tool calls."""

    started_at: str = field(default_factory=_now_iso)
    rounds: list[RoundResult] = field(default_factory=list)
    tool_rounds: int = 0
    #: A line to show when the turn ended for a reason that is not an error (round limit).
    note: str | None = None

    @property
    def answer_text(self) -> str:
        """The model's text over every round, without the tool lines (for -o and history)."""
        return "\n\n".join(r.text.strip("\n") for r in self.rounds if r.text.strip())

    def assistant_content(self, text: str) -> str | list[dict[str, Any]]:
        """The assistant turn a conversation keeps for ``text``: the text alone, or, when the
        model thought, its signed thinking blocks first (the API checks their signatures and
        needs them back to go on thinking from where it was)."""
        for result in reversed(self.rounds):
            thoughts = [b for b in result.content if b.get("type") in ("thinking", "redacted_thinking")]
            if thoughts and all(b.get("type") == "redacted_thinking" or b.get("signature") for b in thoughts):
                return [*thoughts, {"type": "text", "text": text}]
        return text

    @property
    def thinking_s(self) -> float | None:
        times = [r.thinking_s for r in self.rounds if r.thinking_s is not None]
        return sum(times) if times else None

    def record(self, spec: CellSpec, *, status: str, error: str | None, prices: Mapping[str, Any],
               emulated: bool = False) -> UsageRecord:
        rounds = self.rounds or [RoundResult()]
        first, last = rounds[0], rounds[-1]
        sums = dataclasses.asdict(TokenCounts.total(rounds))
        first_text = next((r for r in rounds if r.first_text_at is not None), None)
        ended = last.ended
        tokens_per_s = None
        if first_text is not None and ended is not None:
            span = ended - first_text.first_text_at  # type: ignore[operator]
            tokens_per_s = generation_rate(sums["output_tokens"], span)
        return UsageRecord(
            cell=spec.cell,
            model=spec.model,
            **sums,
            ttft_s=first_text.ttft_s if first_text is not None else None,
            duration_s=None if ended is None else ended - first.started,
            output_tokens_per_s=tokens_per_s,
            stop_reason=last.stop_reason,
            status=status,  # type: ignore[arg-type]
            error=error,
            cost_usd=cost_usd(spec.model, prices=prices, **sums),
            request_id=last.request_id,
            started_at=self.started_at,
            retries=sum(r.attempts - 1 for r in rounds if r.attempts > 1),
            rounds=[_round_figures(r) for r in rounds] if len(rounds) > 1 else [],
            attachments=describe(spec.attachments),
            thinking_s=self.thinking_s,
            backend="emulator" if emulated else "api",
        )


def _round_figures(result: RoundResult) -> dict[str, Any]:
    figures = dataclasses.asdict(result.tokens())
    figures.update(
        stop_reason=result.stop_reason,
        request_id=result.request_id,
        ttft_s=result.ttft_s,
        duration_s=result.duration_s,
    )
    return figures


