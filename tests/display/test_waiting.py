"""The waiting line before the first token: ticks, pauses for a real notice, ends at the first text."""

from __future__ import annotations

import asyncio

from claude_magic.core.lanes import Ending, Notice, Text
from claude_magic.display.lanes import LaneRenderer
from claude_magic.display.waiting import WAITING, WaitTicker, waiting_line


class Recorder(LaneRenderer):
    def __init__(self, every: float) -> None:
        super().__init__()
        self._waiting = WaitTicker(self._show_waiting, every=every)
        self.log: list[tuple[str, str]] = []

    def text(self, delta: str) -> None:
        self.log.append(("text", delta))

    def notice(self, line: str) -> None:
        self.log.append(("notice", line))

    def finish(self, text: str, *, footer: str, error: str | None) -> None:
        self.stop_waiting()
        self.log.append(("finish", text))


def test_waiting_line_counts_whole_seconds() -> None:
    assert waiting_line(2.7) == f"{WAITING} 2 s" == "waiting for the first token… 2 s"


def test_ticks_until_the_first_text_then_clears_once_and_stays_quiet() -> None:
    async def scenario() -> list[tuple[str, str]]:
        sink = Recorder(every=0.02)
        sink.begin()
        await asyncio.sleep(0.07)
        sink.push(Text("Hello"))
        await asyncio.sleep(0.06)
        sink.end(Ending("footer"))
        return sink.log

    log = asyncio.run(scenario())
    first_text = log.index(("text", "Hello"))
    ticks = [entry for entry in log[:first_text] if entry[0] == "notice" and entry[1]]
    assert len(ticks) >= 2 and all(line.startswith(WAITING) for _, line in ticks)
    assert log[first_text - 1] == ("notice", "")  # cleared just before the text
    assert log[first_text + 1:] == [("finish", "Hello")]  # no tick after the text


def test_a_retry_notice_pauses_the_wait_and_clearing_it_resumes() -> None:
    async def scenario() -> list[tuple[str, str]]:
        sink = Recorder(every=0.02)
        sink.begin()
        sink.push(Notice("Overloaded (529): retrying in 0.1 s"))
        await asyncio.sleep(0.07)
        paused = list(sink.log)
        sink.push(Notice(""))
        await asyncio.sleep(0.05)
        sink.end(Ending("footer"))
        return paused, sink.log

    paused, log = asyncio.run(scenario())
    assert paused == [("notice", "Overloaded (529): retrying in 0.1 s")]
    resumed = log[len(paused) + 1:-1]
    assert resumed and all(line.startswith(WAITING) for _, line in resumed)


def test_no_tick_before_one_interval_so_fast_answers_cost_nothing() -> None:
    async def scenario() -> list[tuple[str, str]]:
        sink = Recorder(every=1.0)
        sink.begin()
        sink.push(Text("quick"))
        sink.end(Ending("f"))
        await asyncio.sleep(0)
        return sink.log

    assert asyncio.run(scenario()) == [("text", "quick"), ("finish", "quick")]
