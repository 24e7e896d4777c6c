"""The live answer area as an anywidget: the browser receives only what is new, as safe HTML."""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import Any

import anywidget
import traitlets
from IPython.display import DisplayHandle, display

from ._coalesce import Coalescer
from ._markdown import list_marker, render_html, split_blocks
from ._sinks import EMPTY_BUNDLE, answer_bundle, error_bundle, footer_bundle

__all__ = ["LiveArea", "WidgetSink", "widget_frontend_available"]

_HERE = pathlib.Path(__file__).parent
#: A tail (the unfinished block) is re-rendered and resent whole while it is at most this long;
#: past that only its new text is sent, raw, so traffic stays linear in the answer's length.
TAIL_RENDER_LIMIT = 1500


class LiveArea(anywidget.AnyWidget):
    """Shows a streamed answer: finished blocks appended once, the unfinished tail replaced.

    Python sends it custom messages (see ``_widget.js``); the Stop button calls ``on_stop``,
    on a kernel subshell's thread when the front end uses subshells, so it must be thread-safe.
    """

    _esm = _HERE / "_widget.js"
    _css = _HERE / "_widget.css"
    notice = traitlets.Unicode("").tag(sync=True)

    def __init__(self, *, on_stop: Callable[[], None] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_stop = on_stop
        self.on_msg(self._handle_custom)
        _let_front_end_choose_subshell(self.comm)

    def __repr__(self) -> str:
        # anywidget's repr holds a memory address; nbval compares text/plain.
        return "LiveArea()"

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        # The first display of the live area must be the same every run (nbval compares it);
        # the widget-view part is skipped by nbval and replaced at the end anyway.
        return {**data, "text/plain": ""}, metadata

    def _handle_custom(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("stop") and self._on_stop is not None:
            self._on_stop()


def _let_front_end_choose_subshell(comm: Any) -> None:
    """Let Stop reach Python while the cell's thread is busy.

    JupyterLab sends comm messages to a kernel subshell, whose own thread can run the handler
    during a cell. ipykernel 7.4 overrides that choice with the shell that last published on
    the comm (``BaseComm._reply_subshell_for``), here the busy main shell, so a click would wait
    for the cell to end unless the cell happens to be awaiting. Our messages expect no replies,
    so the front end's choice is kept. Without subshells (or on other kernels) this does nothing.
    """
    if comm is not None and hasattr(comm, "_reply_subshell_for"):
        comm._reply_subshell_for = lambda _data, requested: requested


class _LiveText:
    """Turns the growing answer into the few messages that update the browser's copy."""

    def __init__(self, send: Callable[[dict[str, Any]], None]) -> None:
        self._send = send
        self._pending = ""  # the text after the blocks already sent: the unfinished tail
        self._shown = 0  # how much of the tail the browser shows
        self._raw = False  # the tail grew past TAIL_RENDER_LIMIT: only raw text is appended
        self._marker: str | None = None  # list marker of the last finished block

    def feed(self, batch: str) -> None:
        self._pending += batch
        blocks, tail = split_blocks(self._pending)
        message: dict[str, Any] = {}
        if blocks:
            added = []
            for block in blocks:
                marker = list_marker(block)
                added.append([render_html(block), marker is not None and marker == self._marker])
                self._marker = marker
            message["add"] = added
            self._pending = tail
            self._shown, self._raw = 0, False
        if self._raw:
            message["more"] = tail[self._shown :]
        else:
            # One last full render when the tail crosses the limit, then raw appends only.
            message["tail"] = render_html(tail)
            message["join"] = self._marker is not None and list_marker(tail) == self._marker
            self._raw = len(tail) > TAIL_RENDER_LIMIT
        self._shown = len(tail)
        self._send(message)


class WidgetSink:
    """The Sink of docs/DESIGN.md for JupyterLab and other widget front ends.

    While streaming, a widget shows the answer; at the end it is emptied and closed, and the
    answer is displayed as plain Markdown outputs that survive saving without widget state.
    """

    def __init__(self, *, on_stop: Callable[[], None] | None = None) -> None:
        self._on_stop = on_stop
        self._widget: LiveArea | None = None
        self._handle: DisplayHandle | None = None
        self._live: _LiveText | None = None
        self._coalescer: Coalescer | None = None

    def begin(self) -> None:
        self._widget = LiveArea(on_stop=self._on_stop)
        self._live = _LiveText(self._widget.send)
        self._coalescer = Coalescer(self._live.feed)
        self._handle = display(self._widget, display_id=True)

    def text(self, delta: str) -> None:
        if self._coalescer is not None:
            self._coalescer.push(delta)

    def notice(self, line: str) -> None:
        if self._widget is not None:
            self._widget.notice = line

    def end(self, text: str, *, footer: str, error: str | None) -> None:
        if self._coalescer is not None:
            self._coalescer.cancel()  # the final output replaces whatever is still pending
        if self._handle is not None:
            self._handle.update(EMPTY_BUNDLE, raw=True)
        if self._widget is not None:
            self._widget.close()
        self._widget = self._handle = self._live = self._coalescer = None
        # The same outputs as every other sink, so a notebook saves alike whatever showed it.
        if text:
            display(answer_bundle(text), raw=True)
        if footer:
            display(footer_bundle(footer), raw=True)
        if error:
            display(error_bundle(error), raw=True)


def widget_frontend_available() -> bool:
    """True in an ipykernel session whose comm manager works, so a widget can be shown."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None or getattr(shell, "kernel", None) is None:
            return False
        import comm

        manager = comm.get_comm_manager()
    except Exception:
        return False
    # The comm package's stand-in manager (outside ipykernel) silently drops every message.
    return type(manager).__module__.startswith("ipykernel")
