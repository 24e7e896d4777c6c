"""Before a slow first token the plain live area says it is waiting, once a second."""

from __future__ import annotations

import json

from conftest import use_script


def test_slow_first_token_shows_a_ticking_wait_then_the_text_takes_its_place(kernel, emulator):
    use_script(emulator, [{"ttft": 2.4, "blocks": [{"type": "text", "text": "Here it is."}]}])
    run = kernel.run("%%claude\nThink hard")
    assert run.status == "ok", run.all_text
    updates = [json.dumps(m["content"]["data"]) for _, m in run.of_type("update_display_data")]
    waits = [u for u in updates if "waiting for the first token" in u]
    assert any("1 s" in u for u in waits) and any("2 s" in u for u in waits), updates
    assert len(waits) <= 3  # about once a second, not per event
    first_text = next(i for i, u in enumerate(updates) if "Here" in u)
    assert "waiting" not in updates[first_text]  # the text replaces the line, in the same place
    assert run.outputs[0]["data"] == {"text/plain": ""}  # the live area still ends empty (nbval)
