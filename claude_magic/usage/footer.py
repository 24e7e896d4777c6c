"""The one line under every answer: model, tokens, timing, cost, and how it ended."""

from __future__ import annotations

from .record import UsageRecord

__all__ = ["format_footer", "count", "money"]


def count(n: int) -> str:
    return f"{n:,}"


def money(cost: float) -> str:
    # Haiku-sized requests cost fractions of a hundredth of a cent; "$0.0000" would read as free.
    if 0 < cost < 0.0001:
        return "<$0.0001"
    return f"${cost:.4f}"


def format_footer(record: UsageRecord, *, max_tokens: int | None = None) -> str:
    """One line under the answer. Parts, joined by " · ", each left out when unknown:

    ``MODEL[ · ATTACHED] · N in · N out[ · cache N write, N read][ · thought S.SS s] · first token S.SS s · S.SS s
    · R.R tok/s · $C.CCCC|<$0.0001|cost unknown[ · emulated][ · interrupted| · error][ · N retries]
    [ · stopped at max_tokens (N)]``

    Token counts use thousands separators ("1,234 in"); the cache part appears only when a
    cache count is non-zero, naming only the non-zero ones; ATTACHED says what the prompt
    attached ("2 images, 1 PDF (14 pages)"). "cost unknown" means ``record.cost_usd`` is
    ``None`` (a model with no known price). "emulated": the local emulator answered, so the
    cost is what the API would have charged, not money spent.
    """
    parts = [
        record.model,
        *([record.attachments] if record.attachments else []),
        f"{count(record.input_tokens)} in",
        f"{count(record.output_tokens)} out",
    ]
    cache = []
    if record.cache_creation_input_tokens:
        cache.append(f"{count(record.cache_creation_input_tokens)} write")
    if record.cache_read_input_tokens:
        cache.append(f"{count(record.cache_read_input_tokens)} read")
    if cache:
        parts.append("cache " + ", ".join(cache))
    if record.thinking_s is not None:
        parts.append(f"thought {record.thinking_s:.2f} s")
    if record.ttft_s is not None:
        parts.append(f"first token {record.ttft_s:.2f} s")
    if record.duration_s is not None:
        parts.append(f"{record.duration_s:.2f} s")
    if record.output_tokens_per_s is not None:
        parts.append(f"{record.output_tokens_per_s:.1f} tok/s")
    parts.append("cost unknown" if record.cost_usd is None else money(record.cost_usd))
    if record.emulated:
        parts.append("emulated")
    if record.status != "ok":
        parts.append(record.status)
    if record.retries:
        parts.append(f"{record.retries} {'retry' if record.retries == 1 else 'retries'}")
    if record.stop_reason == "max_tokens" and max_tokens is not None:
        parts.append(f"stopped at max_tokens ({max_tokens})")
    return " · ".join(parts)
