"""The live answer area as an anywidget: the browser receives only what is new, as safe HTML.

Finished blocks arrive once as HTML from ``html.py`` (the one renderer of model text); the
unfinished block grows as raw text that the browser shows as text only, until it finishes.

Where "auto" shows it (``ClaudeMagic.display = "auto"``), decided per kernel from what the
front end says, because a kernel cannot ask whether anything renders its widgets:

* Before anything is known, an ipykernel gets the widget.
* The live area's JavaScript sends ``{"rendered": true}`` once, as soon as the front end has
  created the area (anywidget's ``initialize``: a view's ``render`` would miss a cell that
  ends at once, whose output is replaced before any view renders). Hearing it marks the
  kernel "front end renders widgets" for good.
* A live area whose cell ends without having heard it marks the kernel "front end does not
  render widgets" (nbclient, nbval, a front end without the widget extension), unless a
  "rendered" arrived at some point; from then on "auto" streams into a plain HTML display.
* A cell can end before the browser renders its view, so such an area's comm stays open for
  a late "rendered", which still flips the kernel back to widgets: it is closed when that
  arrives, or when the next cell has finished. Only the areas of the last cell wait.

The notebook keeps the same outputs either way: the area's first display has ``text/plain``
"" beside the widget view (nbval compares text/plain and skips the view), and it is emptied
to ``{"text/plain": ""}`` at the end, before the answer is displayed as HTML.
"""

from __future__ import annotations

import pathlib
import re
import threading
from collections.abc import Callable
from typing import Any

import anywidget
import ipywidgets
import traitlets
from IPython.display import DisplayHandle, display

from ..secrets import redact
from .coalesce import Coalescer
from .html import render_answer_fragment
from .lanes import LaneRenderer
from .markdown import list_marker, split_blocks
from .sinks import EMPTY_BUNDLE, show_final
from .fallback import after_silence, plain_in_place
from .waiting import WAITING

__all__ = [
    "FeedGroup", "LiveArea", "LiveFeed", "ThinkingFeed", "WidgetSink", "front_end_renders_widgets",
    "widget_frontend_available",
]

_HERE = pathlib.Path(__file__).parent
#: 180 ms: five and a half updates a second reads as live, and each update costs about 600
#: bytes of message envelope whatever it carries, so fewer updates is most of the byte budget
#: (the first text is still sent at once: the coalescer never holds back the first batch).
LIVE_INTERVAL_S = 0.18


_COMMENTS = re.compile(r"^[ \t]*(?://[^\n]*|/\*[\s\S]*?\*/[ \t]*)\n", re.MULTILINE)


def shipped_source(path: pathlib.Path) -> str:
    """A front-end file as sent to the browser: its whole-line comments left out.

    The module travels with every live area (IOPub budget: see tests/display/test_widget_traffic.py);
    its comments are for readers of the file, and stay there.
    """
    return _COMMENTS.sub("", path.read_text(encoding="utf-8"))


class LiveArea(anywidget.AnyWidget):
    """Shows a streamed answer: finished blocks appended once, the unfinished tail replaced.

    Python sends it custom messages (see ``widget.js``); the Stop button calls ``on_stop``,
    on a kernel subshell's thread when the front end uses subshells, so it must be thread-safe.
    """

    _esm = shipped_source(_HERE / "widget.js")
    _css = shipped_source(_HERE / "widget.css")
    notice = traitlets.Unicode("").tag(sync=True)

    def __init__(self, *, on_stop: Callable[[], None] | None = None, **kwargs: Any) -> None:
        # One Layout for every area: DOMWidget would open (and never close) a Layout comm each.
        kwargs.setdefault("layout", _shared_layout())
        super().__init__(**kwargs)
        self._on_stop = on_stop
        #: The front end has said "rendered" for this area.
        self.rendered = False
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
        if not isinstance(content, dict):
            return
        if content.get("rendered"):
            _front_end.heard_rendered(self)
        if content.get("stop") and self._on_stop is not None:
            self._on_stop()


_layout: ipywidgets.Layout | None = None


def _shared_layout() -> ipywidgets.Layout:
    global _layout
    if _layout is None or _layout.comm is None:
        _layout = ipywidgets.Layout()
    return _layout


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


class _FrontEnd:
    """What this kernel has learnt about its front end (see the module docstring).

    "rendered" can arrive on a subshell's thread while the cell's thread retires the area,
    hence the lock.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: None: nothing known yet; True: a view rendered; False: an area ended unrendered.
        self.renders: bool | None = None
        #: Areas whose cell ended before they rendered, each with "its cell has finished".
        self._waiting: dict[LiveArea, bool] = {}
        self._shell: Any = None

    def heard_rendered(self, area: LiveArea) -> None:
        with self._lock:
            self.renders = True
            area.rendered = True
            waiting = self._waiting.pop(area, None) is not None
        if waiting:
            area.close()

    def retire(self, area: LiveArea) -> None:
        """The area's cell is over: close it, or keep it open for a late "rendered"."""
        with self._lock:
            if not area.rendered:
                if self.renders is None:
                    self.renders = False
                self._waiting[area] = False
                self._watch_cells()
                return
        area.close()

    def _watch_cells(self) -> None:
        if self._shell is not None:
            return
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None:
            return
        self._shell = shell
        shell.events.register("post_run_cell", self._cell_finished)

    def _cell_finished(self, _result: Any = None) -> None:
        # The first post_run_cell is the retiring cell's own; the next is a later cell's.
        with self._lock:
            due = [area for area, seen in self._waiting.items() if seen]
            self._waiting = {area: True for area, seen in self._waiting.items() if not seen}
            shell = self._shell if not self._waiting else None
            if shell is not None:
                self._shell = None
        if shell is not None:
            shell.events.unregister("post_run_cell", self._cell_finished)
        for area in due:
            area.close()

    @property
    def waiting(self) -> int:
        return len(self._waiting)


_front_end = _FrontEnd()


def front_end_renders_widgets() -> bool | None:
    """What this kernel knows: True (a live area rendered), False (one ended unrendered), None."""
    return _front_end.renders


def utf16_length(text: str) -> int:
    """The length of ``text`` as JavaScript counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


class _LiveText:
    """Turns the growing answer into the few messages that update the browser's copy.

    Each character travels as raw text once (appended to the tail, shown as text) and as
    HTML once (in its finished block): nothing is ever re-sent, so a live update costs what
    is new, whatever the length of the answer or of its unfinished block.
    """

    def __init__(self, send: Callable[[dict[str, Any]], None]) -> None:
        self._send = send
        self._pending = ""  # the text after the blocks already sent: the browser's raw tail
        self._marker: str | None = None  # list marker of the last finished block

    def feed(self, batch: str) -> None:
        shown = self._pending
        # A key or token in the model's text never reaches the browser (see secrets.redact).
        self._pending = redact(self._pending + batch)
        blocks, tail = split_blocks(self._pending)
        message: dict[str, Any] = {}
        if blocks:
            message["add"] = [self._rendered(block) for block in blocks]
            consumed = len(self._pending) - len(tail)
            # The browser drops the raw text that these blocks now show rendered.
            message["cut"] = utf16_length(shown[:consumed])
            shown = shown[consumed:]
            self._pending = tail
        more = self._pending[len(shown):]
        if more:
            message["more"] = more
        if message:
            self._send(message)

    def finish(self) -> None:
        """The answer is complete: its last block, rendered, replaces the raw tail."""
        if self._pending:
            self._send({"add": [self._rendered(self._pending)], "cut": utf16_length(self._pending)})
            self._pending = ""

    def _rendered(self, block: str) -> list[Any]:
        marker = list_marker(block)
        joined = marker is not None and marker == self._marker
        self._marker = marker
        return [render_answer_fragment(block), joined]


class LiveFeed:
    """Text deltas in, a few linear-cost live updates out: the live area's and the Chat's.

    In a :class:`FeedGroup` the feed keeps its deltas until the group's interval is up, and
    its messages leave together with the other answers' (one envelope for all).
    """

    def __init__(self, send: Callable[[dict[str, Any]], None], *, interval: float = LIVE_INTERVAL_S,
                 group: FeedGroup | None = None) -> None:
        self._live = _LiveText(send)
        self._group = group
        self._pending: list[str] = []
        self._coalescer = group._coalescer if group is not None else Coalescer(self._live.feed, interval=interval)

    def push(self, delta: str) -> None:
        if self._group is not None and delta:
            self._pending.append(delta)
        self._coalescer.push(delta)

    def finish(self) -> None:
        """Send what is still pending, then the last block rendered."""
        if self._group is None:
            self._coalescer.drain()
            self._live.finish()
            return
        self._feed_pending()
        self._live.finish()
        self._group.send_now()

    def cancel(self) -> None:
        if self._group is None:
            self._coalescer.cancel()
        self._pending.clear()

    def _feed_pending(self) -> None:
        if self._pending:
            batch = "".join(self._pending)
            self._pending.clear()
            self._live.feed(batch)


class FeedGroup:
    """Live answers shown side by side (a Chat comparing models) that flush together.

    Each interval, one message carries what is new in every answer, so three answers cost one
    message envelope an update instead of three. ``send`` gets the answers' messages in order.
    """

    def __init__(self, send: Callable[[list[dict[str, Any]]], None], *, interval: float = LIVE_INTERVAL_S) -> None:
        self._send = send
        self._feeds: list[LiveFeed] = []
        self._outbox: list[dict[str, Any]] = []
        self._coalescer = Coalescer(lambda _new: self._flush(), interval=interval)

    def feed(self, wrap: Callable[[dict[str, Any]], dict[str, Any]]) -> LiveFeed:
        """A member feed; ``wrap`` turns its messages into the group's (adds which answer)."""
        feed = LiveFeed(lambda message: self._outbox.append(wrap(message)), group=self)
        self._feeds.append(feed)
        return feed

    def send_now(self) -> None:
        if self._outbox:
            batch, self._outbox = self._outbox, []
            self._send(batch)

    def _flush(self) -> None:
        for feed in self._feeds:
            feed._feed_pending()
        self.send_now()


class ThinkingFeed:
    """Thinking deltas in, the live area's ``{thinking: ...}`` messages out, and the fold.

    The thinking streams like the answer (finished blocks as safe HTML, only new text sent),
    into its own area above the answer; ``fold`` sends what is pending, then folds it away.
    """

    def __init__(self, send: Callable[[dict[str, Any]], None], *, interval: float = LIVE_INTERVAL_S) -> None:
        self._send = send
        self._feed = LiveFeed(lambda message: send({"thinking": message}), interval=interval)

    def push(self, delta: str) -> None:
        self._feed.push(delta)

    def fold(self) -> None:
        self._feed.finish()
        self._send({"fold": True})

    def cancel(self) -> None:
        self._feed.cancel()


class WidgetSink(LaneRenderer):
    """The Sink of docs/DESIGN.md for JupyterLab and other widget front ends.

    While streaming, a widget shows the answer; at the end it is emptied (and closed once the
    front end has rendered it: see the module docstring), and the answer is displayed as plain
    HTML outputs (``_sinks.show_final``) that survive saving without widget state.
    """

    def __init__(self, *, on_stop: Callable[[], None] | None = None) -> None:
        super().__init__()
        self._on_stop = on_stop
        self._widget: LiveArea | None = None
        self._handle: DisplayHandle | None = None
        self._feed: LiveFeed | None = None
        self._thinking_feed: ThinkingFeed | None = None
        #: Set when the front end never answered: the plain display that took the area's place.
        self._plain: Any = None
        self._silence: Any = None

    def begin(self) -> None:
        # The waiting line travels in the area's first state: no extra message.
        self._widget = LiveArea(on_stop=self._on_stop, notice=WAITING)
        self._feed = LiveFeed(self._widget.send)
        self._thinking_feed = ThinkingFeed(self._widget.send)
        self._handle = display(self._widget, display_id=True)
        self.start_waiting(shown=True)
        widget = self._widget
        self._silence = after_silence(lambda: widget.rendered, self._fall_back)
        _on_front_end_close(widget, self._fall_back)

    def _fall_back(self) -> None:
        """The front end never answered (see ``fallback.py``): go on as plain output."""
        if self._widget is None or self._handle is None:
            return
        if self._feed is not None:
            self._feed.cancel()
        _front_end.retire(self._widget)
        self.stop_waiting()  # the hint takes the notice's place
        self._plain = plain_in_place(self._handle, self.transcript)
        self._widget = self._feed = None

    def text(self, delta: str) -> None:
        if self._plain is not None:
            self._plain.text(delta)
        elif self._feed is not None:
            self._feed.push(delta)

    def thinking(self, delta: str) -> None:
        if self._thinking_feed is not None:
            self._thinking_feed.push(delta)

    def fold_thinking(self) -> None:
        if self._thinking_feed is not None:
            self._thinking_feed.fold()

    def notice(self, line: str) -> None:
        if self._plain is not None:
            self._plain.notice(line)
        elif self._widget is not None:
            self._widget.notice = line

    def finish(self, text: str, *, footer: str, error: str | None) -> None:
        self.stop_waiting()
        if self._silence is not None:
            self._silence.cancel()
        if self._plain is not None:
            plain, self._plain, self._handle = self._plain, None, None
            plain.finish(text, footer=footer, error=error)
            return
        for feed in (self._feed, self._thinking_feed):
            if feed is not None:
                feed.cancel()  # the final output replaces whatever is still pending
        if self._handle is not None:
            self._handle.update(EMPTY_BUNDLE, raw=True)
        if self._widget is not None:
            _front_end.retire(self._widget)
        self._widget = self._handle = self._feed = self._thinking_feed = None
        show_final(text, footer=footer, error=error, thinking=self.thinking_transcript)


def _on_front_end_close(area: LiveArea, fall_back: Callable[[], None]) -> None:
    """A front end that closes the area's comm (Notebook 7 with the creating tab open) leaves
    Stop dead: fall back at once. The close may arrive on a subshell's thread."""
    import asyncio

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    if area.comm is not None:
        area.comm.on_close(lambda _msg: loop.call_soon_threadsafe(fall_back))


def widget_frontend_available() -> bool:
    """Whether "auto" should show the widget: in an ipykernel, unless the front end did not
    render one (see the module docstring)."""
    if _front_end.renders is False:
        return False
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
