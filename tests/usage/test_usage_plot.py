"""%claude_usage --plot draws a PNG with matplotlib, and says in one line when it cannot."""

from __future__ import annotations

import builtins
import sys

import pytest

from claude_magic.usage.plot import MATPLOTLIB_MISSING, usage_plot
from claude_magic.usage.record import UsageRecord

RECORDS = [
    UsageRecord(cell=1, model="claude-sonnet-4-6", input_tokens=12, output_tokens=85, ttft_s=0.3, cost_usd=0.0013),
    UsageRecord(cell=2, model="claude-haiku-4-5", input_tokens=900, output_tokens=30, ttft_s=0.2, cost_usd=0.0011,
                backend="emulator"),
    UsageRecord(cell=None, model="claude-sonnet-4-6", input_tokens=5, output_tokens=0, status="error"),
]


def test_plot_is_a_png_image_with_a_plain_text_form() -> None:
    plot = usage_plot(RECORDS)
    assert plot._repr_png_().startswith(b"\x89PNG\r\n\x1a\n") and len(plot.png) > 5_000
    assert repr(plot) == "Usage plot of 3 runs"


def test_without_matplotlib_the_error_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_matplotlib(name: str, *args: object, **kwargs: object) -> object:
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    for name in [n for n in sys.modules if n.startswith("matplotlib")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        usage_plot(RECORDS)
    assert "\n" not in MATPLOTLIB_MISSING
