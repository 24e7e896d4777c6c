"""``--estimate``: what a job would cost, from ``count_tokens`` on a sample of rows; nothing billable.

Input tokens are counted exactly on up to ``sample`` rows spread over the job and scaled to
the rows still to request. Output is not knowable in advance: the figure is the ceiling
(``max_tokens`` per row), beside the mean of rows the journal already holds when there are
any. Costs are list prices, live and at the Batches API's 50%.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import anthropic

from ..usage.pricing import cost_usd

__all__ = ["BATCH_DISCOUNT", "Estimate", "estimate"]

#: Message Batches are billed at half the list price.
BATCH_DISCOUNT = 0.5


@dataclass(frozen=True)
class Estimate:
    rows: int
    to_request: int
    sampled: int
    input_tokens: int
    output_ceiling: int
    output_observed: int | None
    observed_rows: int
    live_usd: float | None
    batch_usd: float | None
    model: str

    def __str__(self) -> str:
        per_row = self.input_tokens // self.to_request if self.to_request else 0
        lines = [
            f"Estimate for {self.to_request:,} of {self.rows:,} rows ({self.rows - self.to_request:,} already in the "
            f"journal), from count_tokens on {self.sampled} sampled rows; nothing billable was sent.",
            f"  input   ≈ {self.input_tokens:,} tokens ({per_row:,} per row)",
            f"  output  ≤ {self.output_ceiling:,} tokens (max_tokens per row)"
            + (f"; ≈ {self.output_observed:,} at the mean of {self.observed_rows:,} finished rows"
               if self.output_observed is not None else ""),
        ]
        if self.live_usd is None or self.batch_usd is None:
            lines.append(f"  cost    unknown: no price for {self.model} (add it to %config ClaudeMagic.prices)")
        else:
            lines.append(f"  cost    ≤ ${self.live_usd:,.4f} live · ≤ ${self.batch_usd:,.4f} with --batch "
                         f"({self.model} list prices)")
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


def _spread(items: Sequence[Any], n: int) -> list[Any]:
    if len(items) <= n:
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


async def estimate(
    client: anthropic.AsyncAnthropic,
    prompts: Sequence[str],
    request: Any,
    *,
    rows: int,
    model: str,
    max_tokens: int,
    observed_output: Sequence[int] = (),
    prices: Mapping[str, Any] | None = None,
    sample: int = 20,
) -> Estimate:
    """Count tokens of a sample of ``prompts`` (the rows left to request) and price the job."""
    picked = _spread(prompts, sample)

    async def count(prompt: str) -> int:
        params = {k: v for k, v in request(prompt).items() if k in ("model", "messages", "system")}
        return (await client.messages.count_tokens(**params)).input_tokens

    counted = await asyncio.gather(*(count(p) for p in picked))
    mean_in = sum(counted) / len(counted) if counted else 0
    input_tokens = round(mean_in * len(prompts))
    ceiling = max_tokens * len(prompts)
    observed = round(sum(observed_output) / len(observed_output) * len(prompts)) if observed_output else None
    live = cost_usd(model, input_tokens=input_tokens, output_tokens=ceiling, prices=prices)
    return Estimate(rows=rows, to_request=len(prompts), sampled=len(picked), input_tokens=input_tokens,
                    output_ceiling=ceiling, output_observed=observed, observed_rows=len(observed_output),
                    live_usd=live, batch_usd=None if live is None else live * BATCH_DISCOUNT, model=model)
