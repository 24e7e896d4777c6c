"""Every fault the emulator can produce, seen from a real kernel: the end state of the cell."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from conftest import TEST_KEY, use_script
from test_claude_cell import assert_one_line_usage_error, messages_posted

TEXT = "One two three four five six seven eight nine ten eleven twelve."


def last_record(kernel):
    return kernel.value("claude_magic.history[-1].as_dict()")


def live_updates(run) -> str:
    return json.dumps([m["content"]["data"] for _, m in run.of_type("update_display_data")])


def assert_next_cell_runs(kernel, emulator):
    use_script(emulator, [{"blocks": [{"type": "text", "text": "Back to normal."}]}])
    run = kernel.run("%%claude --once\nAre you there?")
    assert run.status == "ok" and "Back to normal." in run.data("text/plain")


@pytest.mark.parametrize("status,name", [(529, "Overloaded (529)"), (429, "Rate limited (429)"), (500, "API error (500)")])
def test_retryable_status_is_retried_with_a_visible_line_then_answers(kernel, emulator, status, name):
    use_script(emulator, [{"status": status, "times": 2, "retry_after_ms": 100, "blocks": [{"type": "text", "text": TEXT}]}])
    run = kernel.run("%%claude\nhello")
    assert len(messages_posted(emulator)) == 3
    updates = live_updates(run)
    assert f"{name}: retrying in 0.1 s, retry 1 of 4" in updates
    assert f"{name}: retrying in 0.1 s, retry 2 of 4" in updates
    assert run.data("text/plain")[1] == TEXT
    assert last_record(kernel)["status"] == "ok"
    assert_next_cell_runs(kernel, emulator)


def test_retry_after_header_sets_the_wait(kernel, emulator):
    use_script(emulator, [{"status": 429, "times": 1, "retry_after": 1, "blocks": [{"type": "text", "text": TEXT}]}])
    started = time.monotonic()
    run = kernel.run("%%claude\nhello")
    assert time.monotonic() - started >= 1.0
    assert "Rate limited (429): retrying in 1.0 s, retry 1 of 4" in live_updates(run)


def test_retries_stop_at_max_retries_with_one_line(kernel, emulator):
    kernel.run("%config ClaudeMagic.max_retries = 2")
    use_script(emulator, [{"status": 529, "retry_after_ms": 10}])
    run = kernel.run("%%claude\nhello")
    assert run.status == "ok" and not run.errors
    assert len(messages_posted(emulator)) == 3
    assert "⚠ Overloaded (529) after 3 attempts" in run.all_text
    record = last_record(kernel)
    assert record["status"] == "error" and record["error"] == "overloaded_error"
    assert_next_cell_runs(kernel, emulator)


def test_mid_stream_overloaded_error_keeps_partial_text(kernel, emulator):
    use_script(emulator, [{"error_after": 5, "blocks": [{"type": "text", "text": TEXT}]}])
    run = kernel.run("%%claude\nhello")
    assert len(messages_posted(emulator)) == 1  # never retried once text was shown
    partial = run.data("text/plain")[1]
    assert partial and TEXT.startswith(partial) and partial != TEXT
    assert "overloaded_error" in run.all_text and "%claude_retry --continue" in run.all_text
    record = last_record(kernel)
    assert record["status"] == "error" and record["error"] == "overloaded_error"
    assert record["output_tokens"] > 0
    assert_next_cell_runs(kernel, emulator)


def test_dropped_connection_keeps_partial_text(kernel, emulator):
    use_script(emulator, [{"drop_after": 4, "blocks": [{"type": "text", "text": TEXT}]}])
    run = kernel.run("%%claude\nhello")
    assert len(messages_posted(emulator)) == 1
    partial = run.data("text/plain")[1]
    assert partial and TEXT.startswith(partial) and partial != TEXT
    assert "connection dropped" in run.all_text
    assert last_record(kernel)["error"] == "connection_error"
    assert_next_cell_runs(kernel, emulator)


def test_stall_past_the_timeout_ends_the_cell_with_partial_text(kernel, emulator):
    kernel.run("%config ClaudeMagic.stall_timeout = 1.0")
    use_script(emulator, [{"stall_after": 3, "blocks": [{"type": "text", "text": TEXT}]}])
    started = time.monotonic()
    run = kernel.run("%%claude\nhello")
    assert time.monotonic() - started < 10
    assert TEXT.startswith(run.data("text/plain")[1])
    assert "No data arrived for 1 s" in run.all_text
    record = last_record(kernel)
    assert record["status"] == "error" and record["error"] == "timeout"
    assert_next_cell_runs(kernel, emulator)


@pytest.mark.parametrize(
    "status,fix",
    [
        (400, "check this cell's options"),
        (401, "set a valid ANTHROPIC_API_KEY"),
        (403, "permissions"),
        (404, "check the model name"),
        (413, "shorten the prompt"),
    ],
)
def test_client_errors_give_one_line_with_the_fix_and_no_retry(kernel, emulator, status, fix):
    use_script(emulator, [{"status": status, "echo_key": True}])
    run = kernel.run("%%claude\nhello")
    assert len(messages_posted(emulator)) == 1
    assert not run.errors
    (line,) = [text for text in run.data("text/plain") if text.startswith("⚠")]
    assert f"({status})" in line and fix in line and "\n" not in line
    assert TEST_KEY not in json.dumps([m for _, m in run.messages], default=str)
    assert last_record(kernel)["status"] == "error"
    assert_next_cell_runs(kernel, emulator)


def test_unknown_model_is_a_404_naming_the_fix(kernel, emulator):
    run = kernel.run("%%claude -m claude-nonexistent-9\nhello")
    assert "Not found (404)" in run.all_text and "check the model name" in run.all_text


def test_unreachable_server_is_retried_then_says_what_to_do(kernel, tmp_path):
    kernel.run("%config ClaudeMagic.max_retries = 1\n%config ClaudeMagic.retry_cap_s = 0.2")
    kernel.run("import os; os.environ['ANTHROPIC_BASE_URL'] = 'http://127.0.0.1:9'")
    run = kernel.run("%%claude\nhello")
    assert "Connection failed: retrying in" in live_updates(run)
    assert "Cannot reach http://127.0.0.1:9 after 2 attempts" in run.all_text
    assert last_record(kernel)["error"] == "connection_error"
    assert not run.errors  # a line, not a traceback


def test_claude_retry_runs_the_failed_cell_again(kernel, emulator):
    use_script(emulator, [{"drop_after": 4, "times": 1, "blocks": [{"type": "text", "text": TEXT}]}])
    first = kernel.run("%%claude -o answer\nhello")
    assert "connection dropped" in first.all_text
    retry = kernel.run("%claude_retry")
    assert retry.data("text/plain")[1] == TEXT
    assert kernel.value("answer") == TEXT
    assert messages_posted(emulator)[-1].body["messages"] == [{"role": "user", "content": "hello"}]


def test_claude_retry_continue_sends_the_partial_text_as_the_assistant_start(kernel, emulator):
    use_script(emulator, [{"error_after": 4, "times": 1, "blocks": [{"type": "text", "text": TEXT}]}])
    # A model that still takes a prefill: Claude 4.6 and later refuse it, like the API.
    first = kernel.run("%%claude -m claude-haiku-4-5\nhello")
    partial = first.data("text/plain")[1]
    use_script(emulator, [{"blocks": [{"type": "text", "text": " and the rest."}]}])
    retry = kernel.run("%claude_retry --continue")
    sent = messages_posted(emulator)[-1].body["messages"]
    assert sent[-1] == {"role": "assistant", "content": partial.rstrip()}
    assert retry.data("text/plain")[1] == partial + " and the rest."


def test_interrupt_aborts_the_cells_queued_after_it(kernel, emulator):
    use_script(emulator, [{"stall_after": 2, "stall_s": 30, "blocks": [{"type": "text", "text": TEXT}]}])
    streaming = kernel.execute("%%claude\nhello")
    queued = kernel.execute("queued_cell_ran = True")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (
        messages_posted(emulator) and any(k == "content_block_delta" for _, k in messages_posted(emulator)[-1].sent)
    ):
        time.sleep(0.05)
    kernel.interrupt()
    kernel.collect(streaming, timeout=20)
    aborted = kernel.collect(queued, timeout=20)
    assert aborted.status == "aborted"
    assert kernel.value("'queued_cell_ran' in globals()") is False
    assert last_record(kernel)["status"] == "interrupted"


def test_empty_prompt_and_unreadable_objects_are_refused_before_any_request(kernel, emulator):
    assert_one_line_usage_error(kernel.run("%%claude\n   \n"), "empty")
    kernel.run("class Opaque: pass\nthing = Opaque()")
    assert_one_line_usage_error(kernel.run("%%claude\nDescribe {thing}"), "thing")
    assert not messages_posted(emulator)


def test_the_key_never_reaches_outputs_records_or_the_usage_log(kernel, emulator):
    use_script(emulator, [{"status": 429, "echo_key": True, "retry_after_ms": 1}])
    kernel.run("%config ClaudeMagic.max_retries = 1")
    run = kernel.run("%%claude\nhello")
    use_script(emulator, [{"error_after": 2, "echo_key": True, "blocks": [{"type": "text", "text": TEXT}]}])
    run2 = kernel.run("%%claude\nhello again")
    shown = json.dumps([m for _, m in run.messages + run2.messages], default=str)
    assert "Rate limited (429)" in shown
    assert TEST_KEY not in shown
    assert TEST_KEY not in json.dumps(kernel.value("[r.as_dict() for r in claude_magic.history]"))
    log_path = Path(kernel.value("get_ipython().find_magic('claude').__self__.usage_log"))
    assert log_path.exists() and TEST_KEY.encode() not in log_path.read_bytes()
    # The sentinel did travel back inside the server's error body: redaction kept it out.
    import anthropic

    use_script(emulator, [{"status": 429, "echo_key": True}])
    with anthropic.Anthropic(base_url=emulator.url, api_key=TEST_KEY, max_retries=0) as client:
        with pytest.raises(anthropic.RateLimitError) as raised:
            client.messages.create(model="claude-sonnet-4-6", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    assert TEST_KEY in str(raised.value.body)


def test_a_cut_stream_counts_its_deltas_as_output_tokens(kernel, emulator):
    use_script(emulator, [{"drop_after": 6, "blocks": [{"type": "text", "text": TEXT}]}])
    kernel.run("%%claude\nhello")
    record = last_record(kernel)
    # message_start says 1 output token; six deltas arrived before the drop: at least six.
    assert record["status"] == "error"
    assert 6 <= record["output_tokens"] < len(TEXT.split())


def test_retries_count_in_the_time_to_first_token_and_show_in_the_footer(kernel, emulator):
    use_script(emulator, [{"status": 529, "times": 1, "retry_after_ms": 200, "blocks": [{"type": "text", "text": TEXT}]}])
    run = kernel.run("%%claude\nhello")
    assert last_record(kernel)["ttft_s"] >= 0.2  # the wait for the retry is part of it
    footer = next(text for text in run.data("text/plain") if text.startswith("claude-sonnet-4-6 · "))
    assert footer.endswith("· 1 retry")
