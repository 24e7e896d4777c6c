"""A live area that no front end answers falls back to the plain display, in its own place."""

from __future__ import annotations

import json

from conftest import use_script

TEXT = " ".join(f"word{i}" for i in range(60))


def test_a_widget_nobody_renders_streams_on_as_plain_output_with_a_hint(kernel, emulator):
    # This harness is a front end without widgets: the area never hears "rendered".
    use_script(emulator, [{"blocks": [{"type": "text", "text": TEXT}], "tokens_per_second": 12}])
    kernel.run("%config ClaudeMagic.display = 'widget'")
    run = kernel.run("%%claude\nTalk slowly", timeout=60)
    assert run.status == "ok", run.all_text
    area = run.of_type("display_data")[0][1]["content"]
    assert "application/vnd.jupyter.widget-view+json" in area["data"]
    area_id = area["transient"]["display_id"]
    updates = [m["content"] for _, m in run.of_type("update_display_data")
               if m["content"]["transient"]["display_id"] == area_id]
    plain = [json.dumps(u["data"]) for u in updates if "text/html" in u["data"]]  # the plain display: HTML
    assert plain and "did not start or was closed by its front end" in plain[0]
    assert any("word40" in u for u in plain)  # the rest of the answer streamed in the area's place
    assert updates[-1]["data"] == {"text/plain": ""}  # and it ends empty, as ever
    displays = run.of_type("display_data")
    assert len(displays) == 3  # the area, the answer, the footer: no second live output
    assert run.data("text/plain")[1] == TEXT


CLOSED_MID_STREAM = """
import asyncio
from claude_magic.core.lanes import Ending, Text
from claude_magic.display.widget import WidgetSink

sink = WidgetSink()
sink.begin()
sink.push(Text("before "))
# What the kernel does with a front end's comm_close (Notebook 7 closing a new widget's comm).
sink._widget.comm.handle_close({"content": {"comm_id": sink._widget.comm.comm_id, "data": {}}})
await asyncio.sleep(0.2)
sink.push(Text("after"))
sink.end(Ending("footer"))
"""


def test_a_live_area_closed_by_its_front_end_falls_back_at_once(kernel):
    run = kernel.run(CLOSED_MID_STREAM)
    assert run.status == "ok", run.all_text
    area_id = run.of_type("display_data")[0][1]["content"]["transient"]["display_id"]
    updates = [json.dumps(m["content"]["data"]) for _, m in run.of_type("update_display_data")
               if m["content"]["transient"]["display_id"] == area_id]
    assert any("before after" in u and "closed by its front end" in u for u in updates), updates
    assert run.data("text/plain")[1] == "before after"
