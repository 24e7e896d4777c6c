"""The live widget in a real JupyterLab: streams visibly, never runs model HTML, Stop reaches Python."""

from __future__ import annotations

import time
from typing import Any

from claude_magic.display.sinks import answer_bundle, footer_bundle

STREAM = """
import asyncio, threading
from claude_magic.core.lanes import Notice, Text
from claude_magic.display.widget import WidgetSink

answer = {answer!r}
loop = asyncio.get_running_loop()
stop = asyncio.Event()
stopped_on = []

def on_stop():
    # Runs on whichever thread handles the comm message; hand over to the cell's loop.
    stopped_on.append(threading.current_thread().name)
    loop.call_soon_threadsafe(stop.set)

sink = WidgetSink(on_stop=on_stop)
sink.begin()
{before}
shown = 0
for shown in range(0, len(answer), {step}):
    if stop.is_set():
        break
    sink.push(Text(answer[shown:shown + {step}]))
    await asyncio.sleep({pace})
else:
    shown = len(answer)
sink.finish(answer[:shown], footer=f"stopped={{stop.is_set()}} on={{stopped_on}}", error=None)
"""

ANSWER = """# Live answer

A first paragraph with **bold** text that streams in small pieces.

- apple
- banana
- cherry

```python
def greet(name):
    return f"hello {name}"
```

The last paragraph ends the answer.
"""


def _stream_cell(answer: str, *, step: int, pace: float, before: str = "") -> str:
    return STREAM.format(answer=answer, step=step, pace=pace, before=before)


def _live_text(nb: Any, index: int) -> str:
    # all_inner_texts does not wait: the live area may be gone by now.
    return "".join(nb.cell(index).locator(".claude-live-body").all_inner_texts())


def test_answer_streams_into_the_page_then_stays_as_rendered_html(open_notebook, lab) -> None:
    waiting = 'sink.push(Notice("Waiting for the first token…"))\nawait asyncio.sleep(1)\nsink.push(Notice(""))'
    nb = open_notebook([_stream_cell(ANSWER, step=4, pace=0.05, before=waiting)])
    nb.run(0)
    nb.cell(0).locator(".claude-live-notice", has_text="Waiting for the first token…").wait_for(timeout=15_000)
    nb.cell(0).locator(".claude-live-body li").first.wait_for(timeout=15_000)
    assert nb.cell(0).locator(".claude-live-notice").inner_text() == ""
    nb.screenshot("live")
    seen_while_running = []
    while nb.running(0):
        seen_while_running.append(len(_live_text(nb, 0)))
        nb.page.wait_for_timeout(100)
    nb.wait_done(0)
    # Several growing snapshots of the live area, all taken while the cell was still running.
    partial = [n for n in seen_while_running if 0 < n < len(ANSWER) - 10]
    assert len(set(partial)) >= 3, seen_while_running
    # (Not monotonic: "**bo" shows its stars until "**bold**" renders as bold.)

    output = nb.cell(0).locator(".jp-OutputArea")
    assert output.locator(".claude-live").count() == 0
    assert "Error displaying widget" not in output.inner_text()
    answer = output.locator(".claude-answer").first
    assert answer.locator("h1").inner_text() == "Live answer"
    assert answer.locator("li").all_inner_texts() == ["apple", "banana", "cherry"]
    assert "hello {name}" in answer.locator("pre code").inner_text()
    assert "stopped=False" in output.inner_text()
    nb.screenshot("final")

    # Saved, the notebook holds plain outputs only: what GitHub, nbconvert and nbval can show.
    saved = nb.save(lab.root)
    # nbformat stores multi-line strings as lists of lines.
    outputs = [{mime: "".join(value) if isinstance(value, list) else value
                for mime, value in o["data"].items()} for o in saved["cells"][0]["outputs"]]
    assert outputs[0] == {"text/plain": ""}  # the live area, emptied
    assert outputs[1] == answer_bundle(ANSWER)  # HTML from the one renderer, and the text
    assert outputs[2] == footer_bundle("stopped=False on=[]")
    assert "widgets" not in saved["metadata"]


ATTACK = """Here is some HTML: <img src=x onerror="window.__pwned=1"> and a script
<script>window.__pwned=2</script> and a link [click](javascript:window.__pwned=3).

<img src=y onerror="window.__pwned=4">

Some more text so that the stream lasts a little while, with `<b>code</b>` kept as code.
"""


def test_model_html_never_runs_live_or_in_the_final_output(open_notebook) -> None:
    control = "from IPython.display import Markdown\nMarkdown('<img src=z onerror=\"window.__pwned=5\">')"
    nb = open_notebook([_stream_cell(ATTACK, step=3, pace=0.02), control])
    pwned = "() => window.__pwned"
    nb.run(0)
    nb.cell(0).locator(".claude-live-body").wait_for(timeout=15_000)
    while nb.running(0):
        assert nb.page.evaluate(pwned) is None
        nb.page.wait_for_timeout(50)
    nb.wait_done(0)
    nb.page.wait_for_timeout(500)  # an image's error event would have fired by now
    assert nb.page.evaluate(pwned) is None

    text = nb.cell(0).locator(".jp-OutputArea").inner_text()
    for literal in ('<img src=x onerror="window.__pwned=1">', "<script>window.__pwned=2</script>",
                    "[click](javascript:window.__pwned=3)", '<img src=y onerror="window.__pwned=4">'):
        assert literal in text
    assert nb.page.locator('.jp-OutputArea a[href^="javascript"]').count() == 0
    assert nb.cell(0).locator(".jp-OutputArea img").count() == 0
    assert nb.cell(0).locator(".jp-OutputArea code").first.inner_text() == "<b>code</b>"

    # Control: the same kind of HTML displayed as plain Markdown does run, so the test can fail.
    nb.run(1)
    nb.wait_done(1)
    nb.page.wait_for_function("() => window.__pwned === 5", timeout=5_000)


def test_stop_reaches_python_while_the_cell_runs(open_notebook) -> None:
    words = "".join(f"word{i} " for i in range(400))
    nb = open_notebook([_stream_cell(words, step=6, pace=0.1)])  # about 40 s if never stopped
    nb.run(0)
    nb.cell(0).locator(".claude-live-body", has_text="word10 ").wait_for(timeout=15_000)
    assert nb.running(0)
    clicked = time.monotonic()
    nb.cell(0).locator(".claude-live-stop").click()
    nb.wait_done(0, timeout=10)
    elapsed = time.monotonic() - clicked
    text = nb.cell(0).locator(".jp-OutputArea").inner_text()
    print(f"\nStop: cell ended {elapsed:.2f} s after the click; footer: {text.splitlines()[-1]}")
    assert elapsed < 5
    assert "stopped=True" in text
    assert "word399" not in text


BLOCKING = """
import threading, time
from claude_magic.core.lanes import Notice, Text
from claude_magic.display.widget import WidgetSink

stop = threading.Event()
stopped_on = []

def on_stop():
    stopped_on.append(threading.current_thread().name)
    stop.set()

sink = WidgetSink(on_stop=on_stop)
sink.begin()
for i in range(400):  # the main thread never yields to the kernel: only a subshell can help
    if stop.is_set():
        break
    sink.push(Text(f"word{i} "))
    time.sleep(0.1)
sink.finish("stopped early", footer=f"stopped={stop.is_set()} at={i} on={stopped_on}", error=None)
"""


def test_stop_reaches_python_while_the_main_thread_is_blocked(open_notebook) -> None:
    nb = open_notebook([BLOCKING])
    nb.run(0)
    nb.cell(0).locator(".claude-live-body", has_text="word10 ").wait_for(timeout=15_000)
    clicked = time.monotonic()
    nb.cell(0).locator(".claude-live-stop").click()
    nb.wait_done(0, timeout=10)
    elapsed = time.monotonic() - clicked
    text = nb.cell(0).locator(".jp-OutputArea").inner_text()
    print(f"\nStop (blocked main thread): cell ended {elapsed:.2f} s after the click; {text.splitlines()[-1]}")
    assert elapsed < 5
    assert "stopped=True" in text and "on=['subshell-" in text


FAST_8K = """
import asyncio
from claude_magic.core.lanes import Notice, Text
from claude_magic.display.widget import WidgetSink
section = "## Part {n}\\n\\nA paragraph about part {n} with **bold** and `code`.\\n\\n- one\\n- two\\n\\n"
answer = "".join(section.format(n=n) for n in range(200))[:8000]
sink = WidgetSink()
sink.begin()
for i in range(0, 8000, 4):  # 2,000 deltas, as fast as a 1 ms await allows
    sink.push(Text(answer[i:i + 4]))
    await asyncio.sleep(0.001)
sink.finish(answer, footer="done", error=None)
"""


def test_browser_receives_little_for_a_fast_8k_answer(open_notebook) -> None:
    nb = open_notebook(["import claude_magic.display.widget", FAST_8K])
    nb.run(0)
    nb.wait_done(0)
    nb.page.wait_for_timeout(500)
    start = time.monotonic()
    nb.run(1)
    nb.wait_done(1)
    nb.page.wait_for_timeout(500)
    frames = [size for at, size in nb.frames if at >= start]
    print(f"\nbrowser received {len(frames)} websocket frames, {sum(frames)} bytes "
          f"for an 8,000-byte answer in 2,000 deltas")
    assert sum(frames) < 100_000
    assert len(frames) < 80
    assert nb.cell(1).locator(".claude-answer h2").count() > 50
