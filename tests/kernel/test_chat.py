"""claude_magic.Chat in a real kernel, answering from the emulator over HTTP.

The Python methods are driven from cells; the widget's own events (Send, Stop) are sent as a
front end sends them: comm messages on the shell channel while no cell runs.
"""

from __future__ import annotations

import json
import time
from typing import Any

from conftest import use_script
from kernel_harness import Kernel

from claude_magic.core.errors import MISSING_KEY_MESSAGE

ANSWER = "# Hello\n\nA first paragraph of the answer.\n\n- one\n- two\n\nThe end of the answer."
LONG = "".join(f"word{i} " for i in range(600))


def _chat_updates(run: Any) -> list[dict[str, Any]]:
    """The chat's messages to the front end, those sent together ({"answers": [...]}) one by one."""
    sent = [m["content"]["data"]["content"] for _, m in run.of_type("comm_msg")
            if m["content"]["data"].get("method") == "custom"]
    return [one for message in sent for one in message.get("answers", [message])]


def _front_end_sends(kernel: Kernel, comm_id: str, content: dict[str, Any]) -> None:
    """What JupyterLab sends for ``model.send(content)``: a comm_msg on the shell channel."""
    data = {"method": "custom", "content": content}
    msg = kernel.client.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
    kernel.client.shell_channel.send(msg)


def _wait_for(kernel: Kernel, expression: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = kernel.value(expression)
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{expression} stayed falsy for {timeout} s")


def test_send_streams_the_answer_records_usage_and_keeps_the_conversation(kernel, emulator):
    use_script(emulator, [{"blocks": [{"type": "text", "text": ANSWER}], "delta_chars": 4}])
    shown = kernel.run("import claude_magic\nchat = claude_magic.Chat(system='Be brief.')\nchat")
    assert shown.status == "ok", shown.all_text
    assert shown.data("text/plain") == ["Chat(model='claude-sonnet-4-6')"]  # no address: nbval-safe

    run = kernel.run("answers = await chat.send('Say hello')")
    assert run.status == "ok", run.all_text
    assert kernel.value("answers[0].text") == ANSWER
    assert kernel.value("answers[0].error") is None
    assert kernel.value("chat.messages") == [{"role": "user", "content": "Say hello"},
                                             {"role": "assistant", "content": ANSWER}]
    record = kernel.value("claude_magic.history[-1].as_dict()")
    assert record["model"] == "claude-sonnet-4-6" and record["status"] == "ok"
    assert record["output_tokens"] > 0 and record["cell"] == kernel.value("answers[0].record.cell")
    assert isinstance(record["cell"], int)
    body = [r for r in emulator.requests if r.path == "/v1/messages"][-1].body
    assert body["system"] == "Be brief." and body["messages"][-1] == {"role": "user", "content": "Say hello"}

    # The transcript got the prompt, the answer as safe HTML in pieces, then the footer.
    updates = _chat_updates(run)
    assert updates[0] == {"turn": 1, "prompt": "Say hello", "models": ["claude-sonnet-4-6"]}
    added = [html for u in updates for html, _join in u.get("add", [])]
    assert "<h1>Hello</h1>\n" in added
    done = updates[-1]
    assert done["done"] is True and done["footer"].startswith("claude-sonnet-4-6 · ")
    # Only new text travels: far less than resending the answer with every update.
    assert len(json.dumps(updates)) < 4 * len(ANSWER) + 1500

    # The next prompt carries the conversation.
    kernel.run("await chat.send('And again')")
    sent = [r for r in emulator.requests if r.path == "/v1/messages"][-1].body["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]


def test_compare_sends_one_prompt_to_two_models_at_once(kernel, emulator):
    use_script(emulator, [
        {"model": "claude-sonnet-4-6", "blocks": [{"type": "text", "text": "Sonnet says hi."}], "ttft": 0.5},
        {"model": "claude-haiku-4-5", "blocks": [{"type": "text", "text": "Haiku says hi."}], "ttft": 0.5},
    ])
    kernel.run("import claude_magic\n"
               "pair = claude_magic.Chat(compare=['claude-sonnet-4-6', 'claude-haiku-4-5'])\n"
               "before = len(claude_magic.history)")
    run = kernel.run("answers = await pair.send('Hi both')")
    assert run.status == "ok", run.all_text
    # At the same time: both requests reached the server before either answer began
    # (each waits 0.5 s before its first delta), which one after the other cannot do.
    first, second = [r for r in emulator.requests if r.path == "/v1/messages"][-2:]
    first_delta = min(at for r in (first, second) for at, kind in r.sent if kind == "content_block_delta")
    assert second.received_at < first_delta, "the two requests did not run at the same time"
    assert kernel.value("[(a.model, a.text) for a in answers]") == [
        ["claude-sonnet-4-6", "Sonnet says hi."], ["claude-haiku-4-5", "Haiku says hi."]]
    records = kernel.value("[r.as_dict() for r in claude_magic.history[before:]]")
    assert sorted(r["model"] for r in records) == ["claude-haiku-4-5", "claude-sonnet-4-6"]
    assert all(r["status"] == "ok" for r in records)
    assert kernel.value("pair.threads") == {
        "claude-sonnet-4-6": [{"role": "user", "content": "Hi both"}, {"role": "assistant", "content": "Sonnet says hi."}],
        "claude-haiku-4-5": [{"role": "user", "content": "Hi both"}, {"role": "assistant", "content": "Haiku says hi."}],
    }
    assert kernel.value("repr(pair)") == "Chat(compare=['claude-sonnet-4-6', 'claude-haiku-4-5'])"


def test_send_and_stop_from_the_widget_run_on_the_kernel_loop_while_idle(kernel, emulator):
    use_script(emulator, [{"blocks": [{"type": "text", "text": LONG}], "tokens_per_second": 60}])
    kernel.run("import claude_magic\nchat = claude_magic.Chat()\nbefore = len(claude_magic.history)")
    comm_id = kernel.value("chat.comm.comm_id")
    _front_end_sends(kernel, comm_id, {"send": "Talk for a while"})  # no cell is running
    _wait_for(kernel, "chat.busy")
    time.sleep(1.0)
    _front_end_sends(kernel, comm_id, {"stop": True})
    _wait_for(kernel, "len(claude_magic.history) > before and not chat.busy", timeout=10)
    record = kernel.value("claude_magic.history[-1].as_dict()")
    assert record["status"] == "interrupted" and record["cell"] is None
    partial = kernel.value("chat.messages[-1]['content']")
    assert partial.startswith("word0 word1 ") and "word599" not in partial
    # The stream ran on the kernel's own loop, where cells run.
    assert kernel.value("chat._task.get_loop() is __import__('asyncio').get_running_loop()") is True


def test_no_key_shows_the_magics_message_in_the_transcript(bare_kernel):
    bare_kernel.run("import claude_magic\nchat = claude_magic.Chat()")
    run = bare_kernel.run("answers = await chat.send('hello')")
    assert run.status == "ok", run.all_text
    # One pipeline: the same line as a cell's, with the SDK's reason after it.
    line = bare_kernel.value("answers[0].error")
    assert line.startswith(MISSING_KEY_MESSAGE) and "\n" not in line
    assert {"turn": 1, "error": line} in _chat_updates(run)
    assert bare_kernel.value("len(claude_magic.history)") == 0


def test_chat_usage_lands_in_the_usage_log_and_temperature_reaches_the_request(kernel, emulator):
    kernel.run("import claude_magic\nchat = claude_magic.Chat(temperature=0.4)")
    run = kernel.run("answers = await chat.send('Warm or cold?')")
    assert run.status == "ok", run.all_text
    assert kernel.value("answers[0].error") is None
    request = [r for r in emulator.requests if r.path == "/v1/messages"][-1]
    assert request.body["temperature"] == 0.4
    assert request.headers["anthropic-version"] == "2023-06-01"
    logged = kernel.value("[r.request_id for r in claude_magic.usage.log.UsageLog("
                          "get_ipython().find_magic('claude').__self__.usage_log).read_all()]")
    assert kernel.value("answers[0].record.request_id") in logged
