"""The ``%%claude --raw`` view: one compact row per raw stream event, as text and HTML.

Rows are built from whatever the stream yields: the SDK's event models, events of a type
the SDK does not know (it passes them through as some model with an unexpected ``type``),
or plain dicts. Dispatch is therefore on ``.type``, never on the Python class.

``render_html(rows)`` gives the ``<tr>`` elements of the table body, every value escaped
(the model and the server wrote them; no Markdown is involved), and ``render_text(rows)``
fixed-width lines that line up with ``TEXT_HEADER`` without seeing the other rows.

A table shows a bounded number of rows whatever the length of the stream (2,000 deltas are
2,000 rows): the counts, the first and the last rows, and a line saying how many are left
out and where they all are (``claude_magic.events``), so a saved notebook stays small.
"""

from __future__ import annotations

import html
import importlib.util
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..core.errors import redact

__all__ = [
    "EVENT_TYPES",
    "EventRow",
    "RawTable",
    "events_frame",
    "TEXT_HEADER",
    "event_row",
    "render_html",
    "render_text",
]

#: The six event types of a message stream, in the order they come.
EVENT_TYPES = (
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
)
_OTHER_KNOWN = ("ping", "error")

EXCERPT_LIMIT = 60

# Fixed widths, so rows rendered one batch at a time still line up. "content_block_delta"
# (19) and "input_json_delta" (16) are the longest names the API sends today.
_TEXT_ROW = "{ms:>9} {type:<19} {index:>3} {delta:<16} {excerpt}"
TEXT_HEADER = _TEXT_ROW.format(ms="ms", type="event", index="#", delta="delta", excerpt="excerpt")

#: Rows a table shows from the start and from the end of the stream (the rest are left out).
SHOWN_FIRST = 20
SHOWN_LAST = 20
#: Rows the live window shows: the first few and the latest.
LIVE_FIRST = 3
LIVE_LATEST = 12

_TABLE_STYLE = "font-family:monospace;font-size:12px;border-collapse:collapse"
_CELL_STYLE = "padding:0 6px"


@dataclass(frozen=True)
class EventRow:
    """One raw event, reduced to what a person scanning the stream needs."""

    ms: float  # since the request was sent
    type: str
    index: int | None  # content block index
    delta: str | None  # delta type, or block type for content_block_start
    excerpt: str  # one line, at most EXCERPT_LIMIT characters


def event_row(event: Any, *, ms: float) -> EventRow:
    """The row of one raw event (an SDK model, any object with ``.type``, or a dict)."""
    kind = str(_get(event, "type") or "unknown")
    index = _get(event, "index")
    index = index if isinstance(index, int) else None
    delta: str | None = None

    if kind == "message_start":
        message = _get(event, "message")
        excerpt = " ".join(
            part for part in (_get(message, "model"), _usage_text(_get(message, "usage"))) if part
        )
    elif kind == "content_block_start":
        block = _get(event, "content_block")
        delta = _get(block, "type")
        excerpt = " ".join(
            str(part) for part in (delta, _get(block, "name"), _get(block, "text")) if part
        )
    elif kind == "content_block_delta":
        payload = _get(event, "delta")
        delta = _get(payload, "type")
        excerpt = _delta_text(payload)
    elif kind == "message_delta":
        reason = _get(_get(event, "delta"), "stop_reason")
        usage = _usage_text(_get(event, "usage"))
        excerpt = " ".join(part for part in (f"stop_reason={reason}" if reason else "", usage) if part)
    elif kind == "error":
        error = _get(event, "error")
        excerpt = ": ".join(str(p) for p in (_get(error, "type"), _get(error, "message")) if p)
    elif kind in ("content_block_stop", "message_stop", "ping"):
        excerpt = ""
    else:
        excerpt = _compact_json({k: v for k, v in _as_dict(event).items() if k != "type"})

    return EventRow(
        ms=float(ms),
        type=kind,
        index=index,
        delta=str(delta) if delta is not None else None,
        excerpt=_one_line(excerpt),
    )


class RawTable:
    """The rows of one stream, with a count of events by type.

    Shows as a compact HTML table in a notebook and as aligned text elsewhere; only the
    ``ms`` column changes from run to run.
    """

    def __init__(self, rows: Iterable[EventRow] = ()) -> None:
        self.rows: list[EventRow] = list(rows)

    def add(self, event: Any, *, ms: float) -> EventRow:
        """Append the row of ``event`` and return it (a live view sends just that row)."""
        row = event_row(event, ms=ms)
        self.rows.append(row)
        return row

    def __len__(self) -> int:
        return len(self.rows)

    def counts(self) -> dict[str, int]:
        """Events by type: the six stream types always, ping/error/unknown when seen."""
        seen = Counter(row.type for row in self.rows)
        counts = {kind: seen.pop(kind, 0) for kind in EVENT_TYPES}
        for kind in _OTHER_KNOWN:
            if kind in seen:
                counts[kind] = seen.pop(kind)
        if seen:
            counts["unknown"] = sum(seen.values())
        return counts

    def summary(self) -> str:
        """'18 events: message_start 1, content_block_start 2, ...'."""
        parts = ", ".join(f"{kind} {count}" for kind, count in self.counts().items())
        noun = "event" if len(self.rows) == 1 else "events"
        return f"{len(self.rows)} {noun}: {parts}"

    def shown(self, first: int = SHOWN_FIRST, last: int = SHOWN_LAST) -> tuple[list[EventRow], int, list[EventRow]]:
        """The first rows, how many are left out, and the last rows."""
        if len(self.rows) <= first + last:
            return self.rows, 0, []
        return self.rows[:first], len(self.rows) - first - last, self.rows[-last:] if last else []

    def __repr__(self) -> str:
        head, left_out, tail = self.shown()
        lines = [TEXT_HEADER.rstrip()]
        if head:
            lines.append(render_text(head))
        if left_out:
            lines += [left_out_line(left_out, len(self.rows)), render_text(tail)]
        lines.append(self.summary())
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head_rows, left_out, tail = self.shown()
        head = "".join(
            f'<th style="{_CELL_STYLE};text-align:left">{name}</th>'
            for name in ("ms", "event", "#", "delta", "excerpt")
        )
        body = render_html(head_rows)
        if left_out:
            line = html.escape(left_out_line(left_out, len(self.rows)))
            body += f'<tr><td colspan="5" style="{_CELL_STYLE}"><em>{line}</em></td></tr>' + render_html(tail)
        return (
            f'<table class="claude-raw" style="{_TABLE_STYLE}">'
            f"<thead><tr>{head}</tr></thead>"
            f"<tbody data-raw-rows>{body}</tbody>"
            f'<tfoot><tr><td colspan="5" style="{_CELL_STYLE}">'
            f"{html.escape(self.summary())}</td></tr></tfoot></table>"
        )

    def live_html(self) -> str:
        """The live window: the counts, the first rows and the latest, as escaped text."""
        head, left_out, tail = self.shown(LIVE_FIRST, LIVE_LATEST)
        lines = [self.summary(), TEXT_HEADER.rstrip(), render_text(head)]
        if left_out:
            lines += [f"  … {left_out:,} more …", render_text(tail)]
        text = html.escape("\n".join(line for line in lines if line))
        return f'<pre class="claude-raw-live" style="font-size:12px">{text}</pre>'


def left_out_line(left_out: int, total: int) -> str:
    """Where the rows a table leaves out are."""
    line = f"… {left_out:,} rows left out: claude_magic.events holds all {total:,} events"
    if importlib.util.find_spec("pandas") is not None:
        line += " (claude_magic.events_frame() as a pandas DataFrame)"
    return line


def events_frame(events: Iterable[Any]) -> Any:
    """``events`` (raw stream events) as a pandas DataFrame: one row each, full text kept."""
    import pandas

    records = []
    for event in events:
        row = event_row(event, ms=0.0)
        payload = _get(event, "delta")
        records.append({"event": row.type, "index": row.index, "delta": row.delta,
                        "text": redact(_delta_text(payload)) if row.type == "content_block_delta" else row.excerpt})
    return pandas.DataFrame.from_records(records, columns=["event", "index", "delta", "text"])


def render_text(rows: Iterable[EventRow]) -> str:
    """Fixed-width lines for ``rows``, aligned with TEXT_HEADER."""
    return "\n".join(
        _TEXT_ROW.format(
            ms=f"{row.ms:.1f}",
            type=row.type,
            index="-" if row.index is None else row.index,
            delta=row.delta or "-",
            excerpt=row.excerpt,
        ).rstrip()
        for row in rows
    )


def render_html(rows: Iterable[EventRow]) -> str:
    """The ``<tr>`` elements for ``rows``; every value is escaped (the model wrote them)."""
    return "".join(
        "<tr>"
        + "".join(
            f'<td style="{_CELL_STYLE}{extra}">{html.escape(value)}</td>'
            for value, extra in (
                (f"{row.ms:.1f}", ";text-align:right"),
                # Text left-aligned: JupyterLab right-aligns table cells unless told otherwise.
                (row.type, ";text-align:left"),
                ("" if row.index is None else str(row.index), ";text-align:right"),
                (row.delta or "", ";text-align:left"),
                # pre keeps the spaces that start most text deltas visible.
                (row.excerpt, ";white-space:pre;text-align:left"),
            )
        )
        + "</tr>"
        for row in rows
    )


def _get(obj: Any, key: str) -> Any:
    """``obj[key]`` for a mapping, ``obj.key`` otherwise; None when absent."""
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def _as_dict(obj: Any) -> dict[str, Any]:
    if isinstance(obj, Mapping):
        return dict(obj)
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        # exclude_unset: the SDK fills the fields of the class it guessed with None.
        return dump(mode="json", exclude_unset=True, warnings=False)
    return dict(getattr(obj, "__dict__", {}))


def _usage_text(usage: Any) -> str:
    parts = []
    for field, label in (
        ("input_tokens", "in"),
        ("output_tokens", "out"),
        ("cache_read_input_tokens", "cache_read"),
        ("cache_creation_input_tokens", "cache_write"),
    ):
        value = _get(usage, field)
        if value is not None and (value or label in ("in", "out")):
            parts.append(f"{label}={value}")
    return " ".join(parts)


def _delta_text(payload: Any) -> str:
    for field in ("text", "partial_json", "thinking", "signature"):
        value = _get(payload, field)
        if isinstance(value, str):
            return value
    citation = _get(payload, "citation")
    if citation is not None:
        return str(_get(citation, "cited_text") or _compact_json(_as_dict(citation)))
    return _compact_json({k: v for k, v in _as_dict(payload).items() if k != "type"})


def _compact_json(value: Any) -> str:
    if not value:
        return ""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _one_line(text: str) -> str:
    # Excerpts quote the wire (tool input, error messages): no key or token is shown.
    text = redact(text)
    text = text.replace("\r\n", "⏎").replace("\n", "⏎").replace("\r", "⏎").replace("\t", " ")
    if len(text) > EXCERPT_LIMIT:
        return text[: EXCERPT_LIMIT - 1] + "…"
    return text
