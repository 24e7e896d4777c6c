"""What %claude_usage shows (a table with a total row), its CSV/JSON export, and the cell footer."""

from __future__ import annotations

import csv
import html
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..secrets import redact
from .footer import count as _count
from .footer import money as _money
from .record import RECORD_FIELDS, TOKEN_FIELDS, UsageHistory, UsageRecord

__all__ = ["COLUMNS", "UsageTable", "usage_table", "export_usage"]

#: The table's columns, in order (``rounds`` is left to the export: it does not fit a cell).
COLUMNS: tuple[str, ...] = (
    "cell",
    "model",
    "status",
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "cache_hit",
    "ttft_s",
    "duration_s",
    "output_tokens_per_s",
    "cost_usd",
    "stop_reason",
    "error",
    "request_id",
    "started_at",
)

_NUMERIC = frozenset((*TOKEN_FIELDS, "cache_hit", "ttft_s", "duration_s", "output_tokens_per_s", "cost_usd"))


def cache_hit(counts: dict[str, Any]) -> float | None:
    """The share of the prompt read from the cache; None for a prompt of no tokens."""
    prompt = counts["input_tokens"] + counts["cache_creation_input_tokens"] + counts["cache_read_input_tokens"]
    return counts["cache_read_input_tokens"] / prompt if prompt else None
_TEXT_ERROR_WIDTH = 40


def _rows(records: Sequence[UsageRecord]) -> list[dict[str, Any]]:
    """One dict per record, then the total row (tokens, duration and priced cost summed)."""
    # Model names, stop reasons, request ids and error types come from outside: no secret
    # in them reaches the table, whichever form (DataFrame, HTML, text) shows it.
    rows = []
    for record in records:
        row = {name: _redacted(getattr(record, name)) for name in COLUMNS if name != "cache_hit"}
        row["cache_hit"] = cache_hit(row)
        rows.append(row)
    totals = UsageHistory(records).totals()
    durations = [r.duration_s for r in records if r.duration_s is not None]
    total: dict[str, Any] = dict.fromkeys(COLUMNS)
    total.update({name: totals[name] for name in TOKEN_FIELDS})
    total["cell"] = "total"
    total["model"] = ""
    total["duration_s"] = sum(durations) if durations else None
    total["cost_usd"] = totals["cost_usd"]
    total["cache_hit"] = cache_hit(total)
    rows.append(total)
    return rows


def _redacted(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


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


class UsageTable:
    """The usage table without pandas: HTML for notebooks, aligned text for terminals."""

    def __init__(self, records: Sequence[UsageRecord]) -> None:
        self.rows: list[dict[str, Any]] = _rows(records)
        self.columns: tuple[str, ...] = COLUMNS

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = []
        for row in self.rows:
            cells = "".join(
                f"<td>{html.escape(_text(c, row[c]))}</td>" for c in self.columns
            )
            body.append(f"<tr>{cells}</tr>")
        foot = body.pop()
        return (
            f'<table class="claude-usage"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody><tfoot>{foot}</tfoot></table>"
        )

    def __str__(self) -> str:
        cells = [[_plain(c, row[c]) for c in self.columns] for row in self.rows]
        widths = [
            max(len(c), *(len(line[i]) for line in cells)) for i, c in enumerate(self.columns)
        ]

        def fmt(values: Sequence[str]) -> str:
            parts = [
                v.rjust(w) if c in _NUMERIC else v.ljust(w)
                for c, v, w in zip(self.columns, values, widths)
            ]
            return "  ".join(parts).rstrip()

        rule = "  ".join("-" * w for w in widths)
        lines = [fmt(self.columns), rule, *(fmt(line) for line in cells[:-1]), rule, fmt(cells[-1])]
        return "\n".join(lines)

    __repr__ = __str__


def usage_table(records: Sequence[UsageRecord], *, use_pandas: bool | None = None) -> Any:
    """A ``pandas.DataFrame`` when pandas is importable (unless ``use_pandas=False``), else a
    :class:`UsageTable`. Either way one row per record and a final "total" row."""
    if use_pandas is not False:
        try:
            import pandas as pd
        except ImportError:
            if use_pandas:
                raise ImportError(
                    "use_pandas=True needs pandas: install it with `pip install pandas`"
                ) from None
        else:
            return pd.DataFrame(_rows(records), columns=list(COLUMNS))
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
