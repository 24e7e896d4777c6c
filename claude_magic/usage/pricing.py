"""Documented price table and the cost of one request.

Figures are USD per million tokens, from the "Model pricing" table of Anthropic's pricing page
(https://platform.claude.com/docs/en/about-claude/pricing) as published in October 2026, after
the 2026-10-07 launch of Haiku 5.5 and the Sonnet 5.5 cache-read cut. ``cache_write`` is the
5-minute cache write price (the API's default TTL); 1-hour cache writes cost twice the base
input price (the pricing page's "1h cache writes: 2x base input"). Batch, data residency
and fast mode are not priced here, so a figure is an estimate of standard API list prices.
Prices change: a user can override any model with the ``prices`` mapping.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ModelPrice", "PRICES", "PRICES_AS_OF", "price_for", "cost_usd"]

PRICES_AS_OF = "2026-10"

_PER_TOKEN = 1_000_000


@dataclass(frozen=True)
class ModelPrice:
    """USD per million tokens. A model billed by prompt length has a second, dearer band."""

    input: float
    output: float
    cache_write: float
    cache_read: float
    #: Prompts (input + cache writes + cache reads) above this many tokens pay ``long_prompt``
    #: on every token of the request, output included.
    long_prompt_over: int | None = None
    long_prompt: ModelPrice | None = None

    @property
    def cache_write_1h(self) -> float:
        """1-hour cache writes: twice the base input price."""
        return self.input * 2

    def band(self, prompt_tokens: int) -> ModelPrice:
        if self.long_prompt is not None and self.long_prompt_over is not None:
            if prompt_tokens > self.long_prompt_over:
                return self.long_prompt
        return self


def _table() -> dict[str, ModelPrice]:
    # A list, not a dict keyed by price: two families may one day cost the same.
    families: list[tuple[ModelPrice, tuple[str, ...]]] = [
        (ModelPrice(10.0, 50.0, 12.50, 0.25), ("claude-fable-5-1", "claude-mythos-5-1")),
        (ModelPrice(10.0, 50.0, 12.50, 1.00), ("claude-fable-5", "claude-mythos-5")),
        (ModelPrice(4.0, 20.0, 5.00, 0.20), ("claude-opus-5-5",)),
        (
            ModelPrice(5.0, 25.0, 6.25, 0.50),
            (
                "claude-opus-5",
                "claude-opus-4-8",
                "claude-opus-4-7",
                "claude-opus-4-6",
                "claude-opus-4-5",
            ),
        ),
        (
            ModelPrice(15.0, 75.0, 18.75, 1.50),
            ("claude-opus-4-1", "claude-opus-4-0", "claude-opus-4"),
        ),
        (ModelPrice(2.0, 10.0, 2.50, 0.10), ("claude-sonnet-5-5",)),
        (ModelPrice(2.0, 10.0, 2.50, 0.20), ("claude-sonnet-5",)),
        (
            ModelPrice(3.0, 15.0, 3.75, 0.30),
            (
                "claude-sonnet-4-6",
                "claude-sonnet-4-5",
                "claude-sonnet-4-0",
                "claude-sonnet-4",
                "claude-3-7-sonnet",
            ),
        ),
        # Haiku 5.5 is billed by prompt length: the <= 100k band, then the > 100k band.
        (
            ModelPrice(
                0.10,
                0.50,
                0.125,
                0.01,
                long_prompt_over=100_000,
                long_prompt=ModelPrice(0.50, 2.50, 0.625, 0.05),
            ),
            ("claude-haiku-5-5",),
        ),
        (ModelPrice(1.0, 5.0, 1.25, 0.10), ("claude-haiku-4-5",)),
        (ModelPrice(0.80, 4.0, 1.00, 0.08), ("claude-3-5-haiku",)),
        (ModelPrice(0.25, 1.25, 0.30, 0.03), ("claude-3-haiku",)),
    ]
    return {model: price for price, models in families for model in models}


#: Built-in list prices by API model id (without a date suffix).
PRICES: dict[str, ModelPrice] = _table()

# Dated snapshots (claude-sonnet-4-5-20250929) and -latest aliases cost what the family costs.
_SUFFIX = re.compile(r"-(?:\d{8}|latest)$")


def _candidates(model: str) -> list[str]:
    bare = _SUFFIX.sub("", model)
    return [model] if bare == model else [model, bare]


def _from_override(model: str, entry: Any) -> ModelPrice:
    if isinstance(entry, ModelPrice):
        return entry
    try:
        base = float(entry["input"])
        output = float(entry["output"])
        cache_write = float(entry.get("cache_write", base * 1.25))
        cache_read = float(entry.get("cache_read", base * 0.1))
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ValueError(
            f"price override for {model!r} must be a mapping with numeric 'input' and 'output' "
            "(USD per million tokens) and optional 'cache_write' and 'cache_read'"
        ) from None
    return ModelPrice(base, output, cache_write, cache_read)


def price_for(model: str, prices: Mapping[str, Any] | None = None) -> ModelPrice | None:
    """The price of ``model``: the user's ``prices`` first, then the built-in table.

    Each table is tried with the exact id, then the id without a ``-YYYYMMDD`` or ``-latest``
    suffix. ``None`` for a model neither table knows. A malformed override raises ValueError.
    """
    candidates = _candidates(model)
    if prices:
        for name in candidates:
            if name in prices:
                return _from_override(name, prices[name])
    for name in candidates:
        if name in PRICES:
            return PRICES[name]
    return None


def cost_usd(
    model: str,
    *,
    input_tokens: int,
    output_tokens: int,
    cache_creation_input_tokens: int = 0,
    cache_read_input_tokens: int = 0,
    cache_creation_1h_input_tokens: int = 0,
    prices: Mapping[str, Any] | None = None,
) -> float | None:
    """USD for one request at list price, or ``None`` when the model's price is unknown.

    ``cache_creation_1h_input_tokens`` is the part of the cache writes made with the 1-hour TTL.
    """
    price = price_for(model, prices)
    if price is None:
        return None
    prompt = input_tokens + cache_creation_input_tokens + cache_read_input_tokens
    band = price.band(prompt)
    return (
        input_tokens * band.input
        + output_tokens * band.output
        + (cache_creation_input_tokens - cache_creation_1h_input_tokens) * band.cache_write
        + cache_creation_1h_input_tokens * band.cache_write_1h
        + cache_read_input_tokens * band.cache_read
    ) / _PER_TOKEN
