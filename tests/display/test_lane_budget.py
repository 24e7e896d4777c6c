"""A growing lane costs a few repaints, not one per fragment, and ends shown whole."""

from __future__ import annotations

from claude_magic.core.lanes import ToolInput
from claude_magic.display.lanes import LaneRenderer


class _Notices(LaneRenderer):
    def __init__(self) -> None:
        super().__init__()
        self.notices: list[str] = []

    def text(self, delta: str) -> None:
        pass

    def notice(self, line: str) -> None:
        self.notices.append(line)


def test_a_tool_input_of_2000_fragments_repaints_a_few_times_and_ends_complete() -> None:
    view = _Notices()
    fragments: list[str] = []
    view.push(ToolInput("search", ""))
    for i in range(2000):
        fragments.append(f'"k{i}":1,')
        view.push(ToolInput("search", fragments[-1], tuple(fragments)))
    view.push(ToolInput("search", "", tuple(fragments), done=True))
    # The start, at most one repaint in the (sub-second) loop, and the end.
    assert 2 <= len(view.notices) <= 4, view.notices
    assert view.notices[0] == "⚙ search(…)"
    assert view.notices[-1].startswith('⚙ search("k0":1,')
    assert view.notices[-1].endswith(")")


def test_throttled_shows_a_lane_again_once_its_interval_is_over() -> None:
    class Fast(_Notices):
        lane_interval = 0.0  # type: ignore[assignment]

    view = Fast()
    for i in range(5):
        view.throttled("thinking", lambda i=i: view.notice(str(i)))
    assert view.notices == ["0", "1", "2", "3", "4"]
    slow = _Notices()
    for i in range(5):
        slow.throttled("thinking", lambda i=i: slow.notice(str(i)))
    slow.throttled("thinking", lambda: slow.notice("last"), final=True)
    assert slow.notices == ["0", "last"]


def test_a_cell_that_never_awaits_still_gets_an_update_each_interval() -> None:
    import asyncio

    from claude_magic.display.coalesce import Coalescer

    async def blocked() -> list[str]:
        now = [0.0]
        sent: list[str] = []
        coalescer = Coalescer(sent.append, interval=0.18, clock=lambda: now[0])
        for i in range(10):
            coalescer.push(f"w{i} ")
            now[0] += 0.1  # time.sleep(0.1): the loop's timer cannot fire
        coalescer.cancel()
        return sent

    assert asyncio.run(blocked()) == ["w0 ", "w1 w2 ", "w3 w4 ", "w5 w6 ", "w7 w8 "]
