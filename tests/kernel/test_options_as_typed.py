"""Options as a user types them, in a real kernel: what is sent, and one line for each mistake."""

from __future__ import annotations

from conftest import use_script
from test_claude_cell import assert_one_line_usage_error, messages_posted


def test_quoted_system_prompt_is_sent_without_quotes_and_mistakes_send_nothing(kernel, emulator):
    use_script(emulator, [{"blocks": [{"type": "text", "text": "Brief."}]}])
    run = kernel.run('%%claude -s "be brief"\nhello')
    assert run.status == "ok", run.all_text
    assert messages_posted(emulator)[-1].body["system"] == "be brief"
    sent = len(messages_posted(emulator))
    assert_one_line_usage_error(kernel.run('%%claude -s "x\nhello'), "close the quote")
    assert_one_line_usage_error(kernel.run("%%claude -o __builtins__\nhello"), "__builtins__")
    assert_one_line_usage_error(kernel.run("%%claude -o class\nhello"), "class")
    line = assert_one_line_usage_error(kernel.run("%%claude\n{" + "a" * 1_000_000 + "}"), "is not defined")
    assert len(line) < 300
    # A lone surrogate comes from a bad decode or paste, here through a variable.
    kernel.run('pasted = "broken \\ud800 text"')
    assert_one_line_usage_error(kernel.run("%%claude\nSummarise {pasted}"), "U+D800")
    assert len(messages_posted(emulator)) == sent
    assert kernel.run("print(len(dir(__builtins__)) > 10)").stdout.strip() == "True"
