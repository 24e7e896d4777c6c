"""What %claude_usage shows (a table with a total row), its CSV/JSON export, and the cell footer."""

from __future__ import annotations

import csv
import functools
import html
import math
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..secrets import redact
from .footer import count as _count
from .footer import money as _money
from .record import RECORD_FIELDS, TOKEN_FIELDS, UsageHistory, UsageRecord

__all__ = ["COLUMNS", "HEADINGS", "UsageTable", "usage_table", "export_usage"]

#: The table's columns, in order, each with its short heading (narrow, so the table fits a
#: notebook without scrolling). ``rounds`` and ``request_id`` are left to the export.
HEADINGS: dict[str, str] = {
    "cell": "cell",
    "model": "model",
    "backend": "via",
    "status": "status",
    "input_tokens": "in",
    "output_tokens": "out",
    "cache_creation_input_tokens": "cache w",
    "cache_read_input_tokens": "cache r",
    "cache_hit": "hit",
    "ttft_s": "ttft s",
    "duration_s": "time s",
    "output_tokens_per_s": "tok/s",
    "cost_usd": "cost",
    "stop_reason": "stop",
    "error": "error",
    "started_at": "started",
}
COLUMNS: tuple[str, ...] = tuple(HEADINGS)

_NUMERIC = frozenset((*TOKEN_FIELDS, "cache_hit", "ttft_s", "duration_s", "output_tokens_per_s", "cost_usd"))


def cache_hit(counts: dict[str, Any]) -> float | None:
    """The share of the prompt read from the cache; None for a prompt of no tokens."""
    prompt = counts["input_tokens"] + counts["cache_creation_input_tokens"] + counts["cache_read_input_tokens"]
    return counts["cache_read_input_tokens"] / prompt if prompt else None
_TEXT_ERROR_WIDTH = 40
#: Shown in the text form even when empty or zero.
_ALWAYS = frozenset(("cell", "model", "input_tokens", "output_tokens", "cost_usd"))
#: Rows under the records: real spend, then what emulated answers would have cost.
TOTAL, EMULATED = "total", "emulated"


def _summary(label: str, records: Sequence[UsageRecord], backend: str) -> dict[str, Any]:
    totals = UsageHistory(records).totals()
    durations = [r.duration_s for r in records if r.duration_s is not None]
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update({name: totals[name] for name in TOKEN_FIELDS})
    row.update(cell=label, model="", backend=backend, duration_s=sum(durations) if durations else None)
    row["cost_usd"] = totals["emulated_cost_usd" if backend == "emulator" else "cost_usd"]
    row["cache_hit"] = cache_hit(row)
    return row


def _rows(records: Sequence[UsageRecord]) -> list[dict[str, Any]]:
    """One dict per record, then the total row of API answers (real spend) and, when there are
    emulated answers, their own row: the emulator's "costs" are never added to real spend."""
    # Model names, stop reasons and error types come from outside: no secret in them reaches
    # the table, whichever form (DataFrame, HTML, text) shows it.
    rows = []
    for record in records:
        row = {name: _redacted(getattr(record, name)) for name in COLUMNS if name != "cache_hit"}
        row["cache_hit"] = cache_hit(row)
        rows.append(row)
    rows.append(_summary(TOTAL, [r for r in records if not r.emulated], "api"))
    emulated = [r for r in records if r.emulated]
    if emulated:
        rows.append(_summary(EMULATED, emulated, "emulator"))
    return rows


def _redacted(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


def _summary_rows(rows: list[dict[str, Any]]) -> int:
    return sum(1 for row in rows if row["cell"] in (TOTAL, EMULATED))


def _text(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name in TOKEN_FIELDS:
        return _count(value)
    if name == "cache_hit":
        return f"{value:.0%}"
    if name in ("ttft_s", "duration_s"):
        return f"{value:.2f}"
    if name == "output_tokens_per_s":
        return f"{value:.1f}"
    if name == "cost_usd":
        return _money(value)
    if name == "backend":
        return "emu" if value == "emulator" else str(value)  # narrow: "via" is a short column
    if name == "started_at":
        # "2026-11-30T09:12:40+00:00" → "11-30 09:12:40": the date matters for --all.
        return str(value)[5:19].replace("T", " ")
    return str(value)


def _plain(name: str, value: Any) -> str:
    """A value for the text table: on one line, and a long error cut short."""
    text = _text(name, value)
    # A newline would break the alignment of every later column.
    text = " ".join(text.split()) if "\n" in text else text
    # Keep the table one screen wide: the full error is in the HTML and the export.
    if name == "error" and len(text) > _TEXT_ERROR_WIDTH:
        text = text[: _TEXT_ERROR_WIDTH - 1] + "…"
    return text


def _shown_columns(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Leave out columns with nothing to say (no cache use, no error, every answer ending at
    "end_turn"), so the table fits a notebook or a terminal without scrolling."""
    return [c for c in COLUMNS if c in _ALWAYS or any(
        row[c] not in (None, "", 0) and not (c == "stop_reason" and row[c] == "end_turn") for row in rows)]


def _html_table(rows: Sequence[dict[str, Any]]) -> str:
    """nowrap: a model id must not break at its hyphens onto three lines; text left-aligned
    (JupyterLab right-aligns every cell), numbers right-aligned."""

    def style(column: str) -> str:
        return "white-space: nowrap" + ("" if column in _NUMERIC else "; text-align: left")

    columns = _shown_columns(rows)
    head = "".join(f'<th style="{style(c)}">{html.escape(HEADINGS[c])}</th>' for c in columns)
    body = []
    for row in rows:
        cells = "".join(f'<td style="{style(c)}">{html.escape(_text(c, row[c]))}</td>' for c in columns)
        body.append(f"<tr>{cells}</tr>")
    summaries = _summary_rows(list(rows))
    return (
        f'<table class="claude-usage"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body[:-summaries])}</tbody><tfoot>{''.join(body[-summaries:])}</tfoot></table>"
    )


@functools.lru_cache(maxsize=1)
def _usage_frame_class() -> Any:
    import pandas as pd

    class UsageFrame(pd.DataFrame):  # type: ignore[misc]
        """A plain DataFrame of the records that displays as the compact usage table."""

        def _repr_html_(self) -> str | None:
            fields = {heading: field for field, heading in HEADINGS.items()}
            if list(self.columns) != [HEADINGS[c] for c in COLUMNS]:
                own: str | None = super()._repr_html_()  # reshaped by the user: pandas' own view
                return own
            rows = [{fields[h]: None if _missing(v) else v for h, v in record.items()}
                    for record in self.to_dict("records")]
            return _html_table(rows)

    return UsageFrame


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


class UsageTable:
    """The usage table without pandas: HTML for notebooks, aligned text for terminals."""

    def __init__(self, records: Sequence[UsageRecord]) -> None:
        self.rows: list[dict[str, Any]] = _rows(records)
        self.columns: tuple[str, ...] = COLUMNS

    def _repr_html_(self) -> str:
        return _html_table(self.rows)

    def __str__(self) -> str:
        columns = _shown_columns(self.rows)
        cells = [[_plain(c, row[c]) for c in columns] for row in self.rows]
        days = {str(row["started_at"])[:10] for row in self.rows if row["started_at"]}
        if "started_at" in columns and len(days) == 1:
            # One day: the time of day is enough.
            at = columns.index("started_at")
            for line in cells:
                line[at] = line[at][6:]
        headings = [HEADINGS[c] for c in columns]
        widths = [max(len(h), *(len(line[i]) for line in cells)) for i, h in enumerate(headings)]

        def fmt(values: Sequence[str]) -> str:
            # Numbers right-aligned, text (model, status, error) left-aligned.
            parts = [v.rjust(w) if c in _NUMERIC else v.ljust(w) for c, v, w in zip(columns, values, widths)]
            return "  ".join(parts).rstrip()

        summaries = _summary_rows(self.rows)
        rule = "  ".join("-" * w for w in widths)
        lines = [fmt(headings), rule, *(fmt(line) for line in cells[:-summaries]), rule,
                 *(fmt(line) for line in cells[-summaries:])]
        return "\n".join(lines)

    __repr__ = __str__


def usage_table(records: Sequence[UsageRecord], *, use_pandas: bool | None = None) -> Any:
    """A ``pandas.DataFrame`` when pandas is importable (unless ``use_pandas=False``), else a
    :class:`UsageTable`. Either way one row per record, headed by :data:`HEADINGS`, then the
    "total" row (API answers: real spend) and, if any, the "emulated" row."""
    if use_pandas is not False:
        try:
            import pandas  # noqa: F401 - is it there?
        except ImportError:
            if use_pandas:
                raise ImportError(
                    "use_pandas=True needs pandas: install it with `pip install pandas`"
                ) from None
        else:
            rows = [{HEADINGS[name]: row[name] for name in COLUMNS} for row in _rows(records)]
            return _usage_frame_class()(rows, columns=[HEADINGS[name] for name in COLUMNS])
    return UsageTable(records)


def export_usage(
    records: Sequence[UsageRecord],
    *,
    csv_path: str | os.PathLike[str] | None = None,
    json_path: str | os.PathLike[str] | None = None,
) -> Path:
    """Write every field of every record to ``csv_path`` or ``json_path`` (give exactly one).

    CSV has a header row of the record fields, ``rounds`` as JSON text and empty cells for
    ``None``; JSON is an indented list of record dicts. Returns the path written.
    """
    if (csv_path is None) == (json_path is None):
        raise ValueError("export_usage needs exactly one of csv_path= or json_path=")
    target = csv_path if csv_path is not None else json_path
    assert target is not None
    path = Path(target).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    dicts = [r.as_dict() for r in records]
    if json_path is not None:
        path.write_text(json.dumps(dicts, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=RECORD_FIELDS)
        writer.writeheader()
        for row in dicts:
            row["rounds"] = json.dumps(row["rounds"])
            writer.writerow(row)
    return path
