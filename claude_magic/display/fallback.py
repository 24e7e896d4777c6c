"""When a live area's front end never answers: stream on as plain output in the same place.

A live area's JavaScript says "rendered" as soon as the front end creates it. Silence means
nothing shows it and nobody can press its Stop: no widget support, or (Notebook 7, with the
tab that created the notebook still open) comms that the front end closed at once. After
:data:`SILENCE_S` without a word the cell's answer goes on as the plain display, repainted
through the area's own display id, so it takes the area's place: no second output, and the
notebook saves exactly as it would have. A transient line says why and what to do.
"""

from __future__ import annotations

from typing import Any, Callable

from IPython.display import display as ipython_display

from .sinks import MarkdownSink

__all__ = ["SILENCE_S", "SILENCE_HINT", "plain_in_place", "after_silence"]

#: Longer than a loaded browser takes to create a view (a few hundred ms), short enough that
#: a user still waiting for the first words sees them.
SILENCE_S = 4.0
SILENCE_HINT = ("The live area did not start or was closed by its front end: the answer streams as plain "
                "output; stop it with the kernel's stop button. In Notebook 7, close the tab that opened "
                "this notebook and reload.")


def plain_in_place(handle: Any, so_far: str) -> MarkdownSink:
    """A plain display that repaints ``handle``'s output, already showing ``so_far``."""

    def display(bundle: Any, *, raw: bool = False, display_id: Any = None) -> Any:
        if display_id:
            handle.update(bundle, raw=raw)
            return handle
        return ipython_display(bundle, raw=raw)

    sink = MarkdownSink(display=display)
    sink.begin()
    sink.stop_waiting()
    sink.notice(SILENCE_HINT)
    if so_far:
        sink.text(so_far)
    return sink


def after_silence(rendered: Callable[[], bool], fall_back: Callable[[], None]) -> Any:
    """Call ``fall_back`` in :data:`SILENCE_S` unless ``rendered()`` by then; returns the timer."""
    import asyncio

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None  # driven without a loop: nothing to watch with

    def check() -> None:
        if not rendered():
            fall_back()

    return loop.call_later(SILENCE_S, check)
