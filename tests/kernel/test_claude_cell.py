"""%%claude in a real kernel, streaming from the emulator over HTTP."""

from __future__ import annotations

import json
import time

import anthropic

from claude_magic._html import render_answer_html

from conftest import TEST_KEY, use_script

ANSWER = "# Plan\n\nFirst words arrive early. Then a pause, and the rest of the answer follows later."


def assert_one_line_usage_error(run, needle):
    """IPython prints a UsageError as one line on stderr: no traceback, the cell fails."""
    assert run.status == "error"
    assert not run.errors, "a traceback was shown"
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("UsageError: ") and needle in lines[0], run.stderr
    return lines[0]


def messages_posted(server):
    return [r for r in server.requests if r.path == "/v1/messages"]


def test_first_text_reaches_iopub_before_the_emulator_sends_the_rest(kernel, emulator):
    # The emulator pauses 1.5 s after five deltas: output with the first words must reach
    # IOPub during that pause, before the server has sent the sixth delta.
    use_script(emulator, [{"blocks": [{"type": "text", "text": ANSWER}], "stall_after": 5, "stall_s": 1.5}])
    run = kernel.run("%%claude\nPlan my day")
    assert run.status == "ok", run.all_text
    request = messages_posted(emulator)[-1]
    deltas = [t for t, kind in request.sent if kind == "content_block_delta"]
    assert len(deltas) > 6
    sixth_delta_sent = deltas[5]
    early = [
        t
        for t, msg in run.of_type("update_display_data")
        if "First" in json.dumps(msg["content"]["data"])
    ]
    assert early, "no live update carried the first words"
    assert early[0] < sixth_delta_sent


def test_final_answer_is_the_scripted_text_rendered_once_and_out_holds_it(kernel, emulator):
    use_script(emulator, [{"blocks": [{"type": "text", "text": ANSWER}]}])
    run = kernel.run("%%claude -o reply\nPlan my day")
    assert run.status == "ok", run.all_text
    assert run.data("text/plain")[1] == ANSWER  # [0] is the emptied live area
    # Shown as HTML from the one renderer; no Markdown left for a front end to parse again.
    assert run.data("text/html")[0] == render_answer_html(ANSWER)  # then the footer
    assert run.data("text/markdown") == []
    assert kernel.value("reply") == ANSWER


def test_live_area_starts_and_ends_empty_so_nbval_matches(kernel, emulator):
    use_script(emulator, [{"blocks": [{"type": "text", "text": ANSWER}], "tokens_per_second": 200}])
    run = kernel.run("%%claude\nPlan my day")
    first_display = run.of_type("display_data")[0][1]["content"]["data"]
    assert first_display == {"text/plain": ""}
    assert run.outputs[0]["data"] == {"text/plain": ""}
    # No update carries the whole text again for every token: far fewer updates than deltas.
    request = messages_posted(emulator)[-1]
    deltas = sum(1 for _, kind in request.sent if kind == "content_block_delta")
    assert len(run.of_type("update_display_data")) < deltas


def test_usage_record_holds_the_apis_own_numbers(kernel, emulator):
    use_script(emulator, [{"blocks": [{"type": "text", "text": ANSWER}], "usage": {"cache_read_input_tokens": 40}}])
    run = kernel.run("%%claude -m claude-sonnet-4-6\nPlan my day")
    assert run.status == "ok", run.all_text
    record = kernel.value("claude_magic.history[-1].as_dict()")
    body = messages_posted(emulator)[-1].body
    # Ask the emulator the same question without streaming: its usage is the reference.
    with anthropic.Anthropic(base_url=emulator.url, api_key=TEST_KEY, max_retries=0) as client:
        reference = client.messages.create(**{**body, "stream": False}).usage
    assert record["input_tokens"] == reference.input_tokens
    assert record["output_tokens"] == reference.output_tokens
    assert record["cache_read_input_tokens"] == 40
    assert record["status"] == "ok" and record["stop_reason"] == "end_turn"
    assert record["model"] == "claude-sonnet-4-6"
    assert record["cell"] == run.reply["content"]["execution_count"]
    assert record["request_id"].startswith("req_")
    assert record["ttft_s"] > 0 and record["duration_s"] >= record["ttft_s"]
    expected_cost = (reference.input_tokens * 3 + reference.output_tokens * 15 + 40 * 0.30) / 1e6
    assert abs(record["cost_usd"] - expected_cost) < 1e-12
    footer = run.data("text/plain")[2]
    assert footer.startswith("claude-sonnet-4-6 · ") and f"{reference.output_tokens} out" in footer


def test_cells_form_one_conversation_and_a_rerun_replaces_its_turn(kernel, emulator):
    use_script(emulator, [{"match": "capital", "blocks": [{"type": "text", "text": "Paris."}]},
                          {"blocks": [{"type": "text", "text": "About 2.1 million."}]}])
    kernel.run("%%claude\nWhat is the capital of France?", metadata={"cellId": "cell-a"})
    kernel.run("%%claude\nHow many people live there?", metadata={"cellId": "cell-b"})
    second = messages_posted(emulator)[-1].body["messages"]
    assert [m["role"] for m in second] == ["user", "assistant", "user"]
    assert second[1]["content"] == "Paris."
    # Re-running cell b (edited) replaces its turn rather than appending a copy.
    kernel.run("%%claude\nHow many people live in Paris?", metadata={"cellId": "cell-b"})
    rerun = messages_posted(emulator)[-1].body["messages"]
    assert [m["content"] for m in rerun if m["role"] == "user"] == [
        "What is the capital of France?",
        "How many people live in Paris?",
    ]
    kernel.run("%%claude\nAnd its area?", metadata={"cellId": "cell-c"})
    third = messages_posted(emulator)[-1].body["messages"]
    assert len(third) == 5  # two turns, not three: the re-run replaced cell b's turn


def test_new_and_once_and_reset_leave_the_conversation_as_documented(kernel, emulator):
    kernel.run("%%claude\nfirst")
    kernel.run("%%claude --once\naside")
    assert len(messages_posted(emulator)[-1].body["messages"]) == 1  # alone: no earlier turns
    kernel.run("%%claude\nsecond")
    assert len(messages_posted(emulator)[-1].body["messages"]) == 3  # the aside is not in it
    kernel.run("%%claude --new\nfresh start")
    assert len(messages_posted(emulator)[-1].body["messages"]) == 1
    kernel.run("%claude_reset")
    kernel.run("%claude one-line prompt")
    assert messages_posted(emulator)[-1].body["messages"] == [{"role": "user", "content": "one-line prompt"}]


def test_interrupt_keeps_partial_text_and_records_interrupted(kernel, emulator):
    use_script(emulator, [{"blocks": [{"type": "text", "text": ANSWER}], "stall_after": 4, "stall_s": 30}])
    msg_id = kernel.execute("%%claude\nPlan my day")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not any(
        kind == "content_block_delta" for _, kind in (messages_posted(emulator)[-1].sent if messages_posted(emulator) else [])
    ):
        time.sleep(0.05)
    time.sleep(0.5)
    started = time.monotonic()
    kernel.interrupt()
    run = kernel.collect(msg_id, timeout=20)
    assert time.monotonic() - started < 5  # the stall was 30 s: the interrupt ended it
    partial = run.data("text/plain")[1]
    assert partial and ANSWER.startswith(partial)
    assert "partial answer is kept" in run.all_text
    record = kernel.value("claude_magic.history[-1].as_dict()")
    assert record["status"] == "interrupted"
    assert kernel.value("claude_magic._extension._magics.session.conversation.messages()[-1]['content']") == partial
    use_script(emulator, [{"blocks": [{"type": "text", "text": "Ready again."}]}])
    after = kernel.run("%%claude\nStill there?")
    assert after.status == "ok" and "Ready again." in after.data("text/plain")


def test_usage_log_survives_a_kernel_restart(kernel, emulator):
    kernel.run("%%claude\nremember me")
    kernel.restart()
    kernel.run("%load_ext claude_magic")
    records = kernel.value("[r.as_dict() for r in claude_magic._usage_log.UsageLog("
                           "get_ipython().find_magic('claude').__self__.usage_log).read_all()]")
    assert len(records) == 1 and records[0]["status"] == "ok"
    run = kernel.run("%claude_usage --all")
    assert "remember" not in run.all_text  # prompts are not logged, only usage
    assert "claude-sonnet-4-6" in run.all_text


def test_prompt_interpolates_variables_and_stops_on_an_undefined_one(kernel, emulator):
    kernel.run("city = 'Lyon'\nfacts = {'river': 'Rhône'}")
    kernel.run("%%claude\nTell me about {city} on the {facts[river]}, in {{braces}}.")
    assert messages_posted(emulator)[-1].body["messages"][-1]["content"] == (
        "Tell me about Lyon on the Rhône, in {braces}."
    )
    before = len(messages_posted(emulator))
    run = kernel.run("%%claude\nTell me about {nowhere}")
    assert len(messages_posted(emulator)) == before
    assert_one_line_usage_error(run, "nowhere")


def test_bad_option_is_a_one_line_usage_error(kernel, emulator):
    run = kernel.run("%%claude --tempreature 2\nhi")
    assert_one_line_usage_error(run, "tempreature")
    assert not messages_posted(emulator)


def test_missing_key_says_what_to_do_in_one_line(bare_kernel):
    bare_kernel.run("%load_ext claude_magic\n%config ClaudeMagic.display = 'markdown'")
    run = bare_kernel.run("%%claude\nhello")
    line = assert_one_line_usage_error(run, "ANTHROPIC_API_KEY")
    assert "%claude_offline" in line
    offline = bare_kernel.run("%claude_offline")
    assert "emulator" in offline.stdout
    answered = bare_kernel.run("%%claude\nhello")
    assert answered.status == "ok" and answered.data("text/html")


def test_load_twice_is_harmless_and_unload_removes_every_magic(kernel):
    assert kernel.run("%load_ext claude_magic").status == "ok"
    assert kernel.run("%%claude\nhi").status == "ok"
    assert kernel.value("len(claude_magic.history)") == 1
    kernel.run("%unload_ext claude_magic")
    for magic in ("%claude hi", "%claude_usage", "%claude_reset", "%claude_offline", "%claude_retry"):
        run = kernel.run(magic)
        assert_one_line_usage_error(run, "not found")
    assert kernel.run("%%claude\nhi").status == "error"


def test_help_documents_the_options(kernel):
    run = kernel.run("%%claude?")
    text = json.dumps([m["content"] for _, m in run.messages] + [run.reply["content"]], default=str)
    for option in ("--model", "--max-tokens", "--system", "--temperature", "--out", "--new", "--once"):
        assert option in text


def test_the_key_never_appears_in_outputs_or_records(kernel, emulator):
    use_script(emulator, [{"status": 401, "times": 1, "echo_key": True}])
    run = kernel.run("%%claude\nhi")
    assert "Authentication failed (401)" in run.all_text
    everything = json.dumps([m for _, m in run.messages], default=str) + json.dumps(kernel.value("[r.as_dict() for r in claude_magic.history]"))
    assert TEST_KEY not in everything


def test_magic_called_inside_a_function_runs_on_a_worker_thread(kernel, emulator):
    use_script(emulator, [{"blocks": [{"type": "text", "text": "From a worker."}]}])
    kernel.run("def ask(q):\n    get_ipython().run_cell_magic('claude', '-o got --once', q)\n    return got")
    run = kernel.run("ask('inside a function')")
    assert run.status == "ok", run.all_text
    assert "From a worker." in run.data("text/plain")
    assert kernel.value("got") == "From a worker."
    assert kernel.run("%%claude\nand a normal cell after").status == "ok"


def test_backend_says_which_it_chose_and_the_magic_follows(bare_kernel, tmp_path):
    script = tmp_path / "lesson.toml"
    script.write_text('[[rules]]\n[[rules.blocks]]\ntype = "text"\ntext = "Scripted."\n')
    bare_kernel.run("%load_ext claude_magic\n%config ClaudeMagic.display = 'markdown'\n"
                    "import os; os.environ['ANTHROPIC_API_KEY'] = 'sk-ant-not-live'")
    run = bare_kernel.run("import claude_magic\nb = claude_magic.backend('lesson.toml')\nb")
    assert "local emulator, offline (answers scripted in lesson.toml)" in run.all_text
    answered = bare_kernel.run("%%claude\nhello")
    assert answered.data("text/plain")[1] == "Scripted."
    sdk = bare_kernel.run("print(b.client().messages.create(model='claude-opus-4-8', max_tokens=20, "
                          "messages=[{'role': 'user', 'content': 'x'}]).content[0].text)")
    assert sdk.stdout.strip() == "Scripted."
    auto = bare_kernel.run("%claude_offline --auto")
    assert "local emulator" in auto.stdout  # a key alone is not enough: CLAUDE_MAGIC_LIVE=1 is needed
    live = bare_kernel.run("os.environ['CLAUDE_MAGIC_LIVE'] = '1'\n%claude_offline --auto")
    assert "Backend: the Anthropic API" in live.stdout
