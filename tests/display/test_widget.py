"""The live widget's Python side: what it sends, what it leaves behind, how Stop gets in."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.events import EventManager, available_events

from claude_magic.display import widget as _widget
from claude_magic.display.html import render_answer_fragment as render_html
from claude_magic.display.widget import (
    LiveArea,
    _LiveText,
    widget_frontend_available,
)


def _feed(*batches: str) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    live = _LiveText(sent.append)
    for batch in batches:
        live.feed(batch)
    return sent


def test_finished_blocks_are_sent_once_as_html_and_the_tail_as_raw_text() -> None:
    sent = _feed("# Title\n", "\nSome *text", "* here.\n\nNext")
    assert sent[0] == {"more": "# Title\n"}
    # "Some *text" is an unfinished line: it could still turn out to be inside the heading's block.
    assert sent[1] == {"more": "\nSome *text"}
    # The heading finished: its HTML, and the browser drops its raw text (9 characters).
    assert sent[2] == {"add": [[render_html("# Title\n\n"), False]], "cut": 9, "more": "* here.\n\nNext"}


def _finished(sent: list[dict[str, Any]]) -> dict[str, Any]:
    """The message ``finish`` sends after ``sent`` (the last block, rendered)."""
    tail = _browser(sent)[1]
    out: list[dict[str, Any]] = []
    live = _LiveText(out.append)
    live.feed(tail)
    live.finish()
    return out[-1]


def _browser(sent: list[dict[str, Any]]) -> tuple[list[str], str]:
    """What widget.js shows after these messages: the blocks' HTML and the raw tail."""
    blocks: list[str] = []
    raw = ""
    for message in sent:
        blocks += [html for html, _join in message.get("add", [])]
        raw = raw.encode("utf-16-le")[2 * message.get("cut", 0):].decode("utf-16-le") + message.get("more", "")
    return blocks, raw


def test_the_browser_holds_each_block_rendered_and_the_rest_raw_whatever_the_batches() -> None:
    text = "Intro with an emoji 🔧 and é.\n\n- one 🔧\n- two\n\n```py\nx = '🔧'\n```\n\nLast 🔧 words"
    for size in (1, 3, 7, 50):
        batches = [text[i : i + size] for i in range(0, len(text), size)]
        blocks, raw = _browser(_feed(*batches))
        from claude_magic.display.markdown import split_blocks

        finished, tail = split_blocks(text)
        assert blocks == [render_html(b) for b in finished], size
        assert raw == tail, size


def test_each_character_is_sent_raw_at_most_once() -> None:
    text = "Para " * 300 + "\n\n" + "```\n" + "line\n" * 400 + "```\n\nend"
    sent = _feed(*[text[i : i + 9] for i in range(0, len(text), 9)])
    assert sum(len(m.get("more", "")) for m in sent) <= len(text)


def test_items_of_one_list_are_marked_to_join() -> None:
    sent = _feed("Fruit:\n\n- apple\n- ban", "ana\n- cher", "ry\n1. one\n")
    added = [join for message in sent for _html, join in message.get("add", [])]
    assert added == [False, False, True, True]  # Fruit:, apple, banana, cherry


def test_traffic_grows_linearly_with_the_answer() -> None:
    import json

    def cost(n: int) -> int:
        paragraphs = "".join(f"Paragraph {i} " + "word " * 60 + "\n\n" for i in range(n))
        code = "```\n" + "line\n" * (40 * n) + "```\n"
        text = paragraphs + code
        batches = [text[i : i + 20] for i in range(0, len(text), 20)]
        return sum(len(json.dumps(m)) for m in _feed(*batches))

    small, large = cost(10), cost(40)
    assert large < 4.5 * small  # four times the text, about four times the bytes


def test_model_html_is_escaped_in_every_message() -> None:
    sent = _feed('<img src=x onerror="alert(1)">\n\n', "[x](javascript:alert(1)) <script>")
    sent.append(_finished(sent))
    # HTML travels in "add" only (raw text in "more" is set as text by widget.js).
    html = "".join(h for m in sent for h, _join in m.get("add", []))
    assert "&lt;img" in html and "&lt;script" in html
    assert "<img" not in html and "<script" not in html and "href" not in html


def test_live_area_text_is_deterministic() -> None:
    area = LiveArea()
    try:
        assert repr(area) == "LiveArea()"
        bundle = area._repr_mimebundle_()
        assert bundle is not None
        data, _metadata = bundle
        assert data["text/plain"] == ""
        assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == area.model_id
    finally:
        area.close()


def test_stop_message_calls_on_stop() -> None:
    calls: list[str] = []
    area = LiveArea(on_stop=lambda: calls.append("stop"))
    try:
        area._handle_custom(area, {"other": 1}, [])
        area._handle_custom(area, {"stop": True}, [])
        assert calls == ["stop"]
    finally:
        area.close()


def test_stop_messages_go_where_the_front_end_sends_them() -> None:
    # ipykernel 7.4 would send them to the shell that last published on the comm (the busy one).
    class FakeComm:
        def _reply_subshell_for(self, data: Any, default: str | None) -> str | None:
            return None

    from claude_magic.display.widget import _let_front_end_choose_subshell

    comm = FakeComm()
    _let_front_end_choose_subshell(comm)
    assert comm._reply_subshell_for({"method": "custom"}, "subshell-1") == "subshell-1"


def test_no_widget_front_end_outside_a_kernel() -> None:
    assert widget_frontend_available() is False


# --- what "auto" learns about the front end ------------------------------------------------

class _Shell:
    def __init__(self) -> None:
        self.events = EventManager(self, available_events)

    def finish_cell(self) -> None:
        self.events.trigger("post_run_cell", None)


@pytest.fixture
def front_end(monkeypatch: pytest.MonkeyPatch) -> Any:
    import IPython

    shell = _Shell()
    fresh = _widget._FrontEnd()
    monkeypatch.setattr(_widget, "_front_end", fresh)
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    fresh.test_shell = shell
    return fresh


def test_nothing_known_until_an_area_ends(front_end: Any) -> None:
    assert front_end.renders is None
    area = LiveArea()
    assert front_end.renders is None
    front_end.retire(area)
    assert front_end.renders is False  # ended without a view: nothing renders widgets here
    assert area.comm is not None  # but it stays open for a late "rendered"
    area.close()


def test_a_late_rendered_flips_the_kernel_to_widgets_and_closes_the_area(front_end: Any) -> None:
    area = LiveArea()
    front_end.retire(area)
    assert front_end.renders is False
    area._handle_custom(area, {"rendered": True}, [])
    assert front_end.renders is True
    assert area.comm is None and front_end.waiting == 0


def test_once_rendered_the_kernel_stays_with_widgets(front_end: Any) -> None:
    first = LiveArea()
    first._handle_custom(first, {"rendered": True}, [])
    front_end.retire(first)
    assert first.comm is None  # it rendered: closed at once
    fast = LiveArea()
    front_end.retire(fast)  # a fast cell ends before its view renders
    assert front_end.renders is True
    assert fast.comm is not None
    fast.close()


def test_unrendered_areas_close_after_the_next_cell(front_end: Any) -> None:
    shell = front_end.test_shell
    areas = [LiveArea(), LiveArea()]
    for area in areas:
        front_end.retire(area)
    shell.finish_cell()  # the cell that showed them
    assert all(a.comm is not None for a in areas)
    shell.finish_cell()  # a later cell
    assert all(a.comm is None for a in areas) and front_end.waiting == 0
    assert shell.events.callbacks["post_run_cell"] == []  # nothing left behind


def test_auto_uses_markdown_once_an_area_ended_unrendered(front_end: Any) -> None:
    from claude_magic.display.choose import choose_sink
    from claude_magic.display.sinks import MarkdownSink

    front_end.renders = False
    assert isinstance(choose_sink(in_kernel=True, mode="auto", on_stop=lambda: None), MarkdownSink)
    assert isinstance(choose_sink(in_kernel=True, mode="widget", on_stop=lambda: None), _widget.WidgetSink)


def test_finish_renders_the_tail_that_was_shown_raw() -> None:
    sent: list[dict[str, Any]] = []
    live = _LiveText(sent.append)
    code = "```python\n" + "x = 1\n" * 300
    live.feed(code)
    live.feed("y = 2\n")
    live.finish()
    assert sent[-1] == {"add": [[render_html(code + "y = 2\n"), False]], "cut": len(code) + 6}
    assert _browser(sent) == ([render_html(code + "y = 2\n")], "")


def test_answers_of_a_feed_group_leave_together_one_message_an_interval() -> None:
    import asyncio

    from claude_magic.display.widget import FeedGroup

    batches: list[list[dict[str, Any]]] = []

    async def stream() -> None:
        group = FeedGroup(batches.append, interval=0.05)
        feeds = {name: group.feed(lambda m, name=name: {"answer": name, **m}) for name in "abc"}
        for i in range(40):
            for name, feed in feeds.items():
                feed.push(f"{name}{i} ")
            await asyncio.sleep(0.005)
        for feed in feeds.values():
            feed.finish()

    asyncio.run(stream())
    # 0.2 s of text at one flush per 50 ms: a handful of messages for three answers, not 120.
    assert 3 <= len(batches) <= 10, len(batches)
    assert any({m["answer"] for m in batch} == set("abc") for batch in batches)
    for name in "abc":
        sent = [{k: v for k, v in m.items() if k != "answer"} for batch in batches for m in batch if m["answer"] == name]
        blocks, raw = _browser(sent)
        assert (blocks, raw) == ([render_html("".join(f"{name}{i} " for i in range(40)))], "")
