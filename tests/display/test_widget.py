"""The live widget's Python side: what it sends, what it leaves behind, how Stop gets in."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.events import EventManager, available_events

from claude_magic.display import widget as _widget
from claude_magic.display.html import render_answer_fragment as render_html
from claude_magic.display.widget import (
    TAIL_RENDER_LIMIT,
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


def test_finished_blocks_are_sent_once_and_the_tail_is_replaced() -> None:
    sent = _feed("# Title\n", "\nSome *text", "* here.\n\nNext")
    assert sent[0] == {"tail": render_html("# Title\n"), "join": False}
    # "Some *text" is an unfinished line: it could still turn out to be inside the heading's block.
    assert sent[1] == {"tail": render_html("# Title\n\nSome *text"), "join": False}
    assert sent[2] == {"add": [[render_html("# Title\n\n"), False]],
                       "tail": render_html("Some *text* here.\n\nNext"), "join": False}


def test_items_of_one_list_are_marked_to_join() -> None:
    sent = _feed("Fruit:\n\n- apple\n- ban", "ana\n- cher", "ry\n1. one\n")
    added = [join for message in sent for _html, join in message.get("add", [])]
    assert added == [False, False, True, True]  # Fruit:, apple, banana, cherry
    assert [m["join"] for m in sent] == [
        False,  # tail "- apple\n- ban" follows a paragraph
        True,  # tail "- banana\n- cher" goes on with apple's list
        False,  # tail "1. one" starts a new list
    ]


def test_a_long_tail_is_rendered_once_then_only_appended() -> None:
    code = "```python\n" + "x = 1\n" * (TAIL_RENDER_LIMIT // 6 + 10)
    sent = _feed(code, "y = 2\n", "z = 3\n", "```\n")
    assert "tail" in sent[0]
    assert sent[1] == {"more": "y = 2\n"} and sent[2] == {"more": "z = 3\n"}
    assert sent[3]["add"] == [[render_html(code + "y = 2\nz = 3\n```\n"), False]]
    assert sent[3]["tail"] == ""  # a new, empty tail is rendered again


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
    text = "".join(str(m) for m in sent)
    assert "<img" not in text and "<script" not in text and "href" not in text


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


def test_an_unchanged_tail_is_not_sent_again() -> None:
    sent = _feed("Some text", "   ", " more")
    assert [set(m) for m in sent] == [{"tail", "join"}, {"tail", "join"}]
    assert sent[1]["tail"] == render_html("Some text    more")


def test_finish_renders_a_long_tail_that_was_appended_raw() -> None:
    sent: list[dict[str, Any]] = []
    live = _LiveText(sent.append)
    code = "```python\n" + "x = 1\n" * (TAIL_RENDER_LIMIT // 6 + 10)
    live.feed(code)
    live.feed("y = 2\n")
    live.finish()
    assert sent[-1] == {"tail": render_html(code + "y = 2\n"), "join": False}


def test_code_in_the_tail_is_sent_plain_and_coloured_once_its_block_is_finished() -> None:
    sent: list[dict[str, Any]] = []
    live = _LiveText(sent.append)
    live.feed("```python\ndef f():\n")
    assert sent[-1]["tail"] == render_html("```python\ndef f():\n", highlight=False)
    assert "<span" not in sent[-1]["tail"]
    live.feed("    return 1\n```\n\n```python\nimport os\n")
    assert "<span style=" in sent[-1]["add"][0][0]  # the finished block, coloured
    assert "<span" not in sent[-1]["tail"]
    live.finish()  # the answer ends inside the tail: its last block is coloured as well
    assert sent[-1] == {"tail": render_html("```python\nimport os\n"), "join": False}
    assert "<span style=" in sent[-1]["tail"]


def test_a_key_in_the_answer_never_reaches_the_live_area(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "sk-ant-oat01-unit-token-0123")
    sent = _feed("Your token: sk-ant-oat01-", "unit-token-0123 and more\n\nNext")
    assert "unit-token" not in str(sent) and "[redacted key]" in str(sent)
