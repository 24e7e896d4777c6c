"""The %claude_usage table, its export, and the footer under each answer."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from claude_magic.usage.record import RECORD_FIELDS, UsageHistory, UsageRecord
from claude_magic.usage.footer import format_footer
from claude_magic.usage.table import COLUMNS, HEADINGS, export_usage, usage_table

FIRST = UsageRecord(
    cell=1,
    model="claude-sonnet-4-6",
    input_tokens=12,
    output_tokens=85,
    ttft_s=0.31,
    duration_s=2.4,
    output_tokens_per_s=35.4,
    stop_reason="end_turn",
    cost_usd=0.0013,
    request_id="req_1",
    started_at="2026-05-01T10:00:00+00:00",
)
SECOND = UsageRecord(
    cell=2,
    model="<b>odd</b>",
    input_tokens=1200,
    output_tokens=3,
    cache_read_input_tokens=100,
    duration_s=0.6,
    status="error",
    error="overloaded & <retry>",
    rounds=[{"input_tokens": 600}, {"input_tokens": 600}],
)
RECORDS = [FIRST, SECOND]

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")


def test_dataframe_has_a_row_per_record_and_a_total_row() -> None:
    df = usage_table(RECORDS)
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == [HEADINGS[c] for c in COLUMNS]
    assert max(len(name) for name in df.columns) <= 7  # short headings: no horizontal scroll
    assert list(df["cell"]) == [1, 2, "total"]
    total = df.iloc[-1]
    assert total["in"] == 1212
    assert total["out"] == 88
    assert total["cache r"] == 100
    assert total["time s"] == pytest.approx(3.0)
    # Only priced records count toward the cost.
    assert total["cost"] == pytest.approx(0.0013)
    assert not _ADDRESS.search(repr(df))


def test_text_table_is_aligned_and_totals_without_pandas() -> None:
    table = usage_table(RECORDS, use_pandas=False)
    assert not isinstance(table, pd.DataFrame)
    text = repr(table)
    assert str(table) == text
    lines = text.splitlines()
    # Columns with nothing to say (no cache writes) are left out of the text form.
    assert lines[0].split("  ")[0] == "cell" and "cache w" not in lines[0] and "cache r" in lines[0]
    # Rows: header, rule, two records, rule, total; every column starts at the same offset.
    assert len(lines) == 6
    assert lines[-1].startswith("total")
    assert re.search(r"\b1,212\b.*\b88\b.*\b100\b.*3\.00.*\$0\.0013", lines[-1])
    start = lines[0].index(" out ") + 1
    end = start + len("out")
    # Numbers are right-aligned under their heading.
    assert [line[start:end].strip() for line in lines[2:4]] == ["85", "3"]
    assert lines[2][end - 1] == "5" and lines[3][end - 1] == "3"
    assert not _ADDRESS.search(text)


def test_html_table_escapes_values_and_puts_total_in_the_footer() -> None:
    html = usage_table(RECORDS, use_pandas=False)._repr_html_()
    assert "<b>odd</b>" not in html
    assert "&lt;b&gt;odd&lt;/b&gt;" in html
    assert "overloaded &amp; &lt;retry&gt;" in html
    assert html.count("<tr>") == 4
    assert re.search(r"<tfoot><tr><td[^>]*>total</td>.*<td[^>]*>1,212</td>", html)
    assert html.count('<td style="white-space: nowrap') == html.count("<td")  # no model id wraps
    assert '<td style="white-space: nowrap; text-align: left">claude-sonnet-4-6</td>' in html


def test_text_table_keeps_a_long_multiline_error_on_one_short_line() -> None:
    record = UsageRecord(cell=1, model="m", status="error", error="first line\n" + "x" * 200)
    lines = str(usage_table([record], use_pandas=False)).splitlines()
    assert len(lines) == 5
    assert "first line x" in lines[2] and "x" * 100 not in lines[2]


def test_empty_history_still_shows_a_zero_total() -> None:
    lines = str(usage_table([], use_pandas=False)).splitlines()
    assert lines[-1].split()[:4] == ["total", "api", "0", "0"]
    assert list(usage_table([])["cell"]) == ["total"]


def test_csv_export_parses_back_to_the_records(tmp_path: Path) -> None:
    path = export_usage(RECORDS, csv_path=tmp_path / "out" / "usage.csv")
    assert path == tmp_path / "out" / "usage.csv"
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames or ()) == RECORD_FIELDS
        rows = list(reader)
    assert [row["model"] for row in rows] == ["claude-sonnet-4-6", "<b>odd</b>"]
    assert rows[0]["output_tokens"] == "85" and rows[0]["ttft_s"] == "0.31"
    assert rows[1]["error"] == "overloaded & <retry>" and rows[1]["cost_usd"] == ""
    assert json.loads(rows[1]["rounds"]) == SECOND.rounds


def test_json_export_parses_back_to_the_records(tmp_path: Path) -> None:
    path = export_usage(RECORDS, json_path=tmp_path / "usage.json")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("[\n  {")
    assert [UsageRecord.from_dict(d) for d in json.loads(text)] == RECORDS


def test_export_wants_exactly_one_destination(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        export_usage(RECORDS)
    with pytest.raises(ValueError, match="exactly one"):
        export_usage(RECORDS, csv_path=tmp_path / "a.csv", json_path=tmp_path / "a.json")


def test_footer_of_a_complete_answer() -> None:
    assert format_footer(FIRST) == (
        "claude-sonnet-4-6 · 12 in · 85 out · first token 0.31 s · 2.40 s · 35.4 tok/s"
        " · $0.0013"
    )


def test_footer_shows_nonzero_cache_counts_and_unknown_cost_and_error() -> None:
    assert format_footer(SECOND) == (
        "<b>odd</b> · 1,200 in · 3 out · cache 100 read · 0.60 s · cost unknown · error"
    )
    both = UsageRecord(
        cell=1, model="m", cache_creation_input_tokens=2048, cache_read_input_tokens=5, cost_usd=0.5
    )
    assert format_footer(both) == "m · 0 in · 0 out · cache 2,048 write, 5 read · $0.5000"


def test_footer_of_an_interrupted_cell_with_nothing_received() -> None:
    record = UsageRecord(
        cell=1, model="claude-haiku-4-5", input_tokens=9, status="interrupted", cost_usd=0.000009
    )
    assert format_footer(record) == "claude-haiku-4-5 · 9 in · 0 out · <$0.0001 · interrupted"


def test_footer_matches_the_documented_pattern() -> None:
    pattern = re.compile(
        r"(?P<model>\S+) · [\d,]+ in · [\d,]+ out"
        r"(?: · cache (?:[\d,]+ write)?(?:, )?(?:[\d,]+ read)?)?"
        r"(?: · first token \d+\.\d\d s)?(?: · \d+\.\d\d s)?(?: · \d+\.\d tok/s)?"
        r" · (?:\$\d+\.\d{4}|<\$0\.0001|cost unknown)(?: · emulated)?(?: · (?:interrupted|error))?"
    )
    for record in (FIRST, SECOND, EMULATED):
        assert pattern.fullmatch(format_footer(record)), format_footer(record)


EMULATED = UsageRecord(cell=3, model="claude-sonnet-4-6", input_tokens=10, output_tokens=20, cost_usd=0.5,
                       backend="emulator")


def test_emulated_costs_stay_out_of_real_spend_and_are_shown_apart() -> None:
    records = [FIRST, EMULATED]
    history = UsageHistory(records)
    assert history.total_cost() == pytest.approx(0.0013)  # what a budget counts
    assert history.totals()["cost_usd"] == pytest.approx(0.0013)
    assert history.totals()["emulated_cost_usd"] == pytest.approx(0.5)
    df = usage_table(records)
    assert list(df["cell"])[-2:] == ["total", "emulated"]
    assert df.iloc[-2]["cost"] == pytest.approx(0.0013) and df.iloc[-2]["in"] == 12
    assert df.iloc[-1]["cost"] == pytest.approx(0.5) and df.iloc[-1]["in"] == 10
    lines = str(usage_table(records, use_pandas=False)).splitlines()
    assert lines[-2].startswith("total") and "$0.0013" in lines[-2]
    assert lines[-1].startswith("emulated") and "$0.5000" in lines[-1]
    assert " emu " in lines[3]


def test_footer_marks_an_emulated_answer() -> None:
    assert format_footer(EMULATED) == "claude-sonnet-4-6 · 10 in · 20 out · $0.5000 · emulated"
    assert "emulated" not in format_footer(FIRST)


def test_text_table_of_a_demo_session_fits_100_columns_with_text_left_aligned() -> None:
    records = [UsageRecord(cell=n, model="claude-sonnet-4-6", input_tokens=120, output_tokens=850, ttft_s=0.03,
                           duration_s=0.5, output_tokens_per_s=41.5, cost_usd=0.0129, stop_reason="end_turn",
                           started_at="2026-11-30T09:12:40+00:00", backend="emulator") for n in range(1, 12)]
    lines = str(usage_table(records, use_pandas=False)).splitlines()
    assert max(map(len, lines)) <= 100, lines
    assert lines[2].index("claude-sonnet-4-6") == lines[0].index("model")


def test_no_rate_for_a_one_token_answer_or_under_a_second_of_generation() -> None:
    from claude_magic.core.turn import generation_rate

    assert generation_rate(1, 0.0003) is None  # once "3213.1 tok/s"
    assert generation_rate(400, 0.4) is None
    assert generation_rate(5, 3.0) is None
    assert generation_rate(120, 2.0) == pytest.approx(60.0)


def test_dataframe_displays_as_the_compact_table_on_one_line_per_model() -> None:
    df = usage_table(RECORDS)
    html = df._repr_html_()
    assert '<td style="white-space: nowrap; text-align: left">claude-sonnet-4-6</td>' in html
    assert "<th" in html and "cache w" not in html  # no cache writes: the column is left out
    assert df.head(1)._repr_html_().startswith("<div>")  # a reshaped frame: pandas' own view
