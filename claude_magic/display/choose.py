"""Which display streams an answer: the widget, the plain display, or the terminal."""

from __future__ import annotations

from typing import Callable

from ..core.lanes import Sink
from .sinks import MarkdownSink, TerminalSink

__all__ = ["choose_sink"]


def choose_sink(*, in_kernel: bool, mode: str, on_stop: Callable[[], None]) -> Sink:
    """Widget where a front end renders widgets, plain display elsewhere, print in a terminal."""
    if not in_kernel:
        return TerminalSink()
    if mode == "text":
        return MarkdownSink(markdown=False)
    if mode == "markdown":
        return MarkdownSink()
    from .widget import WidgetSink, widget_frontend_available

    if mode == "widget" or widget_frontend_available():
        return WidgetSink(on_stop=on_stop)
    return MarkdownSink()
