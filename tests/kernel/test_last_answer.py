"""The kernel keeps the last answers: ``claude_magic.last`` after a page reload lost them."""

from __future__ import annotations

from conftest import use_script


def test_last_holds_the_finished_answer_its_record_and_footer(kernel, emulator):
    use_script(emulator, [{"match": "first", "blocks": [{"type": "text", "text": "One."}]},
                          {"match": "second", "blocks": [{"type": "text", "text": "Two."}]}])
    kernel.run("%%claude\nfirst")
    kernel.run("%%claude\nsecond")
    last = kernel.value("[claude_magic.last.text, claude_magic.last.record.status, claude_magic.last.footer]")
    assert last[0] == "Two." and last[1] == "ok" and last[2].startswith("claude-sonnet-4-6 · ")
    assert kernel.value("[a.text for a in claude_magic.answers]") == ["One.", "Two."]
    shown = kernel.run("claude_magic.last")
    assert "Two." in shown.data("text/plain")[0]
