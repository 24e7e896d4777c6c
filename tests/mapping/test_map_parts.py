"""The pure parts of --map: rows and output alignment, templates, the gate, batch splitting, the bar."""

from __future__ import annotations

import asyncio
import json
import re

import pandas as pd
import pytest

from claude_magic.mapping._batch import split
from claude_magic.mapping._gate import Gate
from claude_magic.mapping._progress import Progress, Tally, progress_line
from claude_magic.mapping._rows import MapError, as_rows, build_output
from claude_magic.mapping._run import MapOptions
from claude_magic.mapping._template import custom_id, fingerprint, render


def test_a_frame_gives_its_columns_and_the_output_keeps_its_shuffled_string_index():
    frame = pd.DataFrame({"text": ["a", "b", "c"], "lang": ["en", "fr", "de"]}, index=["z9", "a1", "m5"])
    rows = as_rows(frame)
    assert [r.key for r in rows.rows] == ["z9", "a1", "m5"]
    assert rows.rows[1].values == {"text": "b", "lang": "fr"}
    out = build_output(rows, {"z9": "A", "m5": "C"}, {"a1": "Rate limited (429)"})
    assert list(out.index) == ["z9", "a1", "m5"] and out["z9"] == "A" and out["m5"] == "C"
    assert out.isna().tolist() == [False, True, False]
    assert out.attrs["errors"] == {"a1": "Rate limited (429)"}


def test_a_series_gives_item_and_its_name_and_a_list_gives_a_list_with_errors():
    series = pd.Series(["x", "y"], index=[10, 20], name="ticket")
    assert as_rows(series).rows[0].values == {"item": "x", "ticket": "x"}
    rows = as_rows(["one", {"text": "two"}])
    assert rows.rows[0].values == {"item": "one"} and rows.rows[1].values == {"text": "two"}
    out = build_output(rows, {"0": "1"}, {"1": "failed"})
    assert out == ["1", None] and out.errors == {1: "failed"}


def test_duplicate_keys_and_unmappable_inputs_are_refused_in_one_line():
    with pytest.raises(MapError, match="appears twice") as caught:
        as_rows(pd.Series(["a", "b"], index=["k", "k"]))
    assert "\n" not in str(caught.value)
    with pytest.raises(MapError, match="not int"):
        as_rows(3)


def test_templates_fill_row_names_first_then_the_namespace_and_name_the_row_that_fails():
    row = as_rows([{"text": "hello"}]).rows[0]
    assert render("{text} as {style}; {{literal}}", row, {"style": "haiku", "text": "shadowed"}) == (
        "hello as haiku; {literal}"
    )
    with pytest.raises(MapError, match=r"Row '0': name 'missing' is not defined"):
        render("{missing}", row, {})


def test_job_fingerprint_changes_with_template_or_options_and_custom_ids_fit_the_api():
    options = MapOptions(model="m", max_tokens=10)
    base = fingerprint("t {x}", options.identity())
    assert base == fingerprint("t {x}", MapOptions(model="m", max_tokens=10, concurrency=64).identity())
    assert base != fingerprint("t {x}!", options.identity())
    assert base != fingerprint("t {x}", MapOptions(model="m", max_tokens=11).identity())
    assert re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", custom_id("a key with spaces/and ünïcode" * 10))


def test_gate_halves_once_per_storm_pauses_everyone_and_recovers():
    async def main() -> None:
        now = [0.0]
        gate = Gate(8, clock=lambda: now[0])
        gate.rate_limited(2.0)
        gate.rate_limited(2.0)  # same storm: one halving
        assert gate.limit == 4 and gate.backoffs == 1 and gate.cooling_for() == 2.0
        now[0] = 2.5
        gate.rate_limited(1.0)  # a new storm
        assert gate.limit == 2 and gate.backoffs == 2
        now[0] = 4.0
        waiter = asyncio.ensure_future(gate.wait_turn(3))  # slot 3 waits while the limit is 2
        await asyncio.sleep(0)
        assert not waiter.done()
        for _ in range(2 + 3):  # 2 successes raise the limit to 3, 3 more to 4
            gate.succeeded()
        await asyncio.sleep(0)
        assert gate.limit == 4 and waiter.done()

    asyncio.run(main())


def test_gate_holds_every_slot_during_the_cooldown():
    async def main() -> float:
        gate = Gate(4)
        gate.rate_limited(0.2)
        started = asyncio.get_running_loop().time()
        await gate.wait_turn(0)
        return asyncio.get_running_loop().time() - started

    assert asyncio.run(main()) >= 0.19


def test_split_respects_the_request_count_and_byte_limits():
    items = [{"custom_id": f"r{i}", "params": {"x": "y" * 100}} for i in range(10)]
    assert [len(g) for g in split(items, max_requests=4)] == [4, 4, 2]
    one = len(json.dumps(items[0], separators=(",", ":"))) + 1
    groups = list(split(items, max_bytes=1024 + 3 * one))
    assert [len(g) for g in groups] == [3, 3, 3, 1]


def test_the_bar_shows_counts_rate_and_time_left_and_repaints_at_most_four_times_a_second():
    now = [0.0]
    tally = Tally(total=100, from_journal=10)
    progress = Progress("job", tally, where="none", clock=lambda: now[0])
    for step in range(200):
        now[0] = step * 0.01  # 2 s of changes, 200 of them
        tally.done = min(step, 80)
        progress.changed()
    assert progress.repaints <= 9
    tally.failed, tally.in_flight, tally.input_tokens, tally.cost_usd = 2, 8, 12_345, 0.0123
    line = progress_line("job", tally, elapsed=2.0)
    assert line.startswith("job ") and "92/100" in line and "2 failed" in line and "8 in flight" in line
    assert "12.3k tokens" in line and "$0.0123" in line and "41.0 rows/s" in line and "0 s left" in line


def test_an_output_that_needs_pandas_says_how_to_install_it(monkeypatch):
    rows = as_rows(pd.Series(["a"]))
    monkeypatch.setitem(__import__("sys").modules, "pandas", None)  # as if it were not installed
    with pytest.raises(MapError, match=r"^This needs pandas, which is not installed: pip install pandas\.$"):
        build_output(rows, {"0": "A"}, {})
