"""``%claude_usage --plot``: cost, tokens and time to first token per run, and cost per model.

Drawn with matplotlib's object API on an Agg canvas (no pyplot, no global figure state, no
backend to configure) and shown as a PNG, so it works in any front end and saves with the
notebook. Emulated runs are hatched: their cost is what the API would have charged.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from .record import UsageRecord

__all__ = ["UsagePlot", "usage_plot", "MATPLOTLIB_MISSING"]

MATPLOTLIB_MISSING = "--plot needs matplotlib: install it with `pip install matplotlib` (or the `plot` extra)."


class UsagePlot:
    """The figure as PNG bytes; displays as an image with a one-line text form."""

    def __init__(self, png: bytes, runs: int) -> None:
        self.png = png
        self.runs = runs

    def __repr__(self) -> str:
        return f"Usage plot of {self.runs} runs"

    def _repr_png_(self) -> bytes:
        return self.png


def _label(record: UsageRecord, index: int) -> str:
    return str(record.cell) if record.cell is not None else f"#{index + 1}"


def usage_plot(records: Sequence[UsageRecord]) -> UsagePlot:
    """Raises ImportError with :data:`MATPLOTLIB_MISSING` when matplotlib is not installed."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(MATPLOTLIB_MISSING) from None
    models = sorted({r.model for r in records})
    colours = {m: f"C{i % 10}" for i, m in enumerate(models)}
    x = list(range(len(records)))
    labels = [_label(r, i) for i, r in enumerate(records)]
    hatch = ["//" if r.emulated else "" for r in records]
    figure = Figure(figsize=(10, 6.5), layout="constrained")
    FigureCanvasAgg(figure)
    cost, tokens, ttft, per_model = figure.subplots(2, 2).flat

    bars = cost.bar(x, [r.cost_usd or 0.0 for r in records], color=[colours[r.model] for r in records])
    for bar, pattern in zip(bars, hatch):
        bar.set_hatch(pattern)
    cost.set_title("cost per run (USD; hatched: emulated)")
    tokens.bar(x, [r.input_tokens for r in records], label="input", color="C0")
    tokens.bar(x, [r.output_tokens for r in records], bottom=[r.input_tokens for r in records],
               label="output", color="C1")
    tokens.set_title("tokens per run")
    tokens.legend(loc="upper left")
    ttft.bar(x, [r.ttft_s or 0.0 for r in records], color=[colours[r.model] for r in records])
    ttft.set_title("time to first token per run (s)")
    for axes in (cost, tokens, ttft):
        axes.set_xticks(x, labels)
        axes.set_xlabel("cell")
    totals = [sum(r.cost_usd or 0.0 for r in records if r.model == m) for m in models]
    per_model.barh(models, totals, color=[colours[m] for m in models])
    per_model.set_title("cost per model (USD)")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    return UsagePlot(buffer.getvalue(), len(records))

