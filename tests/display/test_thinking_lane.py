"""The thinking lane on the plain display and the terminal: apart from the answer, folded when
the answer starts, kept collapsed in the final output, and never rendered as HTML."""

from __future__ import annotations

import io
from typing import Any

from claude_magic.core.lanes import Ending, Text, Thinking
from claude_magic.display.sinks import MarkdownSink, TerminalSink
from claude_magic.display.thinking import OMITTED_NOTE, REDACTED_NOTE

HOSTILE = 'I could write <img src=x onerror="alert(1)"> here.'


class FakeDisplay:
    """``IPython.display.display`` as the sinks call it: outputs, and updates of display ids."""

    def __init__(self) -> None:
        self.outputs: list[dict[str, str]] = []
        self.updates: list[dict[str, str]] = []

    def __call__(self, bundle: dict[str, str], *, raw: bool, display_id: bool = False) -> Any:
        assert raw
        self.outputs.append(bundle)
        if display_id:
            return self
        return None

    def update(self, bundle: dict[str, str], *, raw: bool) -> None:
        self.updates.append(bundle)


def run_sink(lanes: list[Any]) -> FakeDisplay:
    shown = FakeDisplay()
    sink = MarkdownSink(display=shown, interval=0)
    sink.begin()
    for lane in lanes:
        sink.push(lane)
    sink.end(Ending("footer line"))
    return shown


def test_thinking_shows_open_above_the_answer_then_folds_when_the_answer_starts():
    shown = run_sink([Thinking("Weighing "), Thinking("options."), Text("The answer.")])
    live = [u["text/html"] for u in shown.updates if "text/html" in u]
    assert live[0].startswith('<details class="claude-thinking" style="opacity: 0.75" open>')
    assert "Weighing" in live[0]
    folded = live[-1]
    assert "<details" in folded and " open>" not in folded
    assert folded.index("options.") < folded.index("The answer.")  # thinking above the answer


def test_the_final_output_keeps_the_thinking_collapsed_under_the_answer():
    shown = run_sink([Thinking("Step one."), Text("Done.")])
    answer, thinking, footer = shown.outputs[1:]
    assert answer["text/plain"] == "Done."
    assert thinking["text/html"].startswith('<details class="claude-thinking" style="opacity: 0.75"><summary>')
    assert "<p>Step one.</p>" in thinking["text/html"]
    assert thinking["text/plain"] == "Thinking:\nStep one."
    assert footer["text/plain"] == "footer line"  # and escaped HTML beside it (see sinks.line_bundle)


def test_thinking_text_is_never_rendered_as_html_live_or_saved():
    shown = run_sink([Thinking(HOSTILE), Text("ok")])
    for html in [u["text/html"] for u in shown.updates if "text/html" in u] + [shown.outputs[2]["text/html"]]:
        assert "<img" not in html and "&lt;img" in html


def test_redacted_and_omitted_thinking_say_so():
    shown = run_sink([Thinking("", redacted=True), Thinking("", omitted=True), Text("ok")])
    saved = shown.outputs[2]["text/plain"]
    assert REDACTED_NOTE in saved and OMITTED_NOTE in saved


def test_an_answer_without_thinking_has_no_thinking_output():
    shown = run_sink([Text("Just this.")])
    assert [o.get("text/plain") for o in shown.outputs[1:]] == ["Just this.", "footer line"]
    assert all("claude-thinking" not in u.get("text/html", "") for u in shown.updates)


def test_the_terminal_prints_thinking_dim_and_apart_before_the_answer():
    out = io.StringIO()
    sink = TerminalSink(stream=out)
    sink.begin()
    for lane in (Thinking("Hmm, "), Thinking("yes."), Text("Answer.")):
        sink.push(lane)
    sink.end(Ending("footer"))
    assert out.getvalue() == "\x1b[2m💭 Hmm, yes.\x1b[0m\n\nAnswer.\nfooter\n"
