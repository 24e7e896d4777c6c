"""Thinking, prompt caching, structured output and --continue, in a real kernel against the emulator."""

from __future__ import annotations

import json

import pytest

from conftest import use_script

from claude_magic.emulator._validate import sign_thinking
from test_claude_cell import assert_one_line_usage_error, messages_posted

THOUGHT = "Weighing the two readings of the question before answering it."
ANSWER = "The answer is forty-two, by the second reading."
#: Thinking deltas of 8 characters, then its signature delta: the pause comes right after.
THINKING_DELTAS = -(-len(THOUGHT) // 8) + 1


def last_record(kernel):
    return kernel.value("claude_magic.history[-1].as_dict()")


def test_thinking_reaches_iopub_before_the_first_answer_text_and_is_saved_collapsed(kernel, emulator):
    use_script(emulator, [{
        "blocks": [{"type": "thinking", "thinking": THOUGHT}, {"type": "text", "text": ANSWER}],
        "delta_chars": 8, "tokens_per_second": 100, "stall_after": THINKING_DELTAS, "stall_s": 1.5,
    }])
    kernel.run("import claude_magic")
    run = kernel.run("%claude --think What is it?")
    assert run.status == "ok", run.all_text
    request = messages_posted(emulator)[-1]
    assert request.body["thinking"] == {"type": "adaptive"}  # claude-sonnet-4-6 thinks adaptively
    deltas = [t for t, kind in request.sent if kind == "content_block_delta"]
    first_text_sent = deltas[THINKING_DELTAS]  # after the pause
    updates = run.of_type("update_display_data")
    thinking_shown = [t for t, m in updates if "Weighing" in json.dumps(m["content"]["data"])]
    # The first answer delta repaints at once; later ones may be coalesced into the final output.
    answer_shown = [t for t, m in updates if ANSWER[:8] in json.dumps(m["content"]["data"])]
    assert thinking_shown and answer_shown
    assert thinking_shown[0] < first_text_sent < answer_shown[0]
    # While it thinks the block is open; once the answer streams it is folded, above the answer.
    first = next(m for _, m in updates if "Weighing" in json.dumps(m["content"]["data"]))
    assert "<details" in first["content"]["data"]["text/html"] and " open>" in first["content"]["data"]["text/html"]
    # Saved: the answer, then the thinking collapsed, then the footer saying how long it thought.
    saved = [o["data"] for o in run.outputs if o.get("output_type") == "display_data"][1:]
    assert saved[0]["text/plain"] == ANSWER
    html = saved[1]["text/html"]
    assert html.startswith('<details class="claude-thinking"') and " open" not in html.split(">")[0]
    assert THOUGHT in html and saved[1]["text/plain"] == f"Thinking:\n{THOUGHT}"
    assert " · thought " in saved[2]["text/plain"]
    record = last_record(kernel)
    assert record["thinking_s"] >= 1.4  # the pause came between the thinking and the answer


def test_thinking_html_in_the_model_text_is_shown_as_text(kernel, emulator):
    hostile = 'I might emit <img src=x onerror="alert(1)"> here.'
    use_script(emulator, [{"blocks": [{"type": "thinking", "thinking": hostile}, {"type": "text", "text": "ok"}]}])
    run = kernel.run("%claude --think Careful")
    html = [m["content"]["data"][mime] for _, m in run.of_type("display_data", "update_display_data")
            for mime in ("text/html", "text/markdown") if mime in m["content"]["data"]]
    thinking_html = [h for h in html if "onerror" in h]
    assert len(thinking_html) >= 2  # live, and saved
    assert all("<img" not in h and "&lt;img" in h for h in thinking_html)


def test_a_tool_loop_with_thinking_sends_the_signed_block_back(kernel, emulator):
    use_script(emulator, [
        {"tool_result": False, "blocks": [{"type": "thinking", "thinking": "I need the time."},
                                          {"type": "tool_use", "name": "now", "input": {}}]},
        {"tool_result": True, "blocks": [{"type": "text", "text": "It is noon."}]},
    ])
    kernel.run('def now() -> str:\n    "The time."\n    return "12:00"')
    run = kernel.run("%%claude --think --tools now\nWhat time is it?")
    assert run.status == "ok", run.all_text
    assert run.data("text/plain")[1].endswith("It is noon.")
    second = messages_posted(emulator)[-1].body["messages"]
    assistant = second[-2]
    assert assistant["role"] == "assistant"
    assert assistant["content"][0] == {"type": "thinking", "thinking": "I need the time.",
                                      "signature": sign_thinking("I need the time.")}


def test_the_next_cell_sends_the_signed_thinking_back_in_the_conversation(kernel, emulator):
    use_script(emulator, [{"match": "first", "blocks": [{"type": "thinking", "thinking": "Hmm."},
                                                        {"type": "text", "text": "One."}]}])
    assert kernel.run("%claude --think first").status == "ok"
    assert kernel.run("%claude --think second").status == "ok"
    history = messages_posted(emulator)[-1].body["messages"]
    assert history[1] == {"role": "assistant", "content": [
        {"type": "thinking", "thinking": "Hmm.", "signature": sign_thinking("Hmm.")}, {"type": "text", "text": "One."}]}


def test_a_second_cell_reads_the_cache_and_is_priced_at_the_cache_read_price(kernel, emulator):
    kernel.run("context = 'A long and stable notebook context, sent with every cell. ' * 120")
    first = kernel.run("%%claude\n{context}\nSummarise it.")
    assert first.status == "ok", first.all_text
    assert messages_posted(emulator)[-1].body["cache_control"] == {"type": "ephemeral"}
    written = last_record(kernel)["cache_creation_input_tokens"]
    assert written > 1024
    second = kernel.run("%%claude\nAnd in one word?")
    record = last_record(kernel)
    assert record["cache_read_input_tokens"] == written
    assert f"cache {record['cache_creation_input_tokens']:,} write, {written:,} read" in second.all_text
    expected = kernel.value(
        f"claude_magic.usage.pricing.cost_usd('claude-sonnet-4-6', input_tokens={record['input_tokens']}, "
        f"output_tokens={record['output_tokens']}, cache_creation_input_tokens="
        f"{record['cache_creation_input_tokens']}, cache_read_input_tokens={written})"
    )
    assert record["cost_usd"] == expected
    # The read part costs $0.30 per million, not the $3 input price.
    full = (record["input_tokens"] + written) * 3 + record["cache_creation_input_tokens"] * 3.75
    assert record["cost_usd"] < (full + record["output_tokens"] * 15) / 1e6
    kernel.run("usage = %claude_usage")
    hits = kernel.value("usage['hit'].tolist()")  # the table's short heading for cache_hit
    prompt = record["input_tokens"] + record["cache_creation_input_tokens"] + written
    assert hits[1] == written / prompt


def test_no_cache_sends_no_cache_control(kernel, emulator):
    kernel.run("%claude --no-cache hello")
    assert "cache_control" not in messages_posted(emulator)[-1].body


def test_json_with_a_pydantic_model_puts_a_validated_instance_in_out(kernel, emulator):
    kernel.run(
        "import pydantic\n"
        "class City(pydantic.BaseModel):\n"
        "    name: str\n"
        "    population: int = pydantic.Field(ge=0)\n"
    )
    use_script(emulator, [{"blocks": [{"type": "text", "text": '{"name": "Lyon", "population": 522250}'}]}])
    run = kernel.run("%%claude --json City -o city\nThe third city of France?")
    assert run.status == "ok", run.all_text
    sent = messages_posted(emulator)[-1].body["output_config"]["format"]
    assert sent["type"] == "json_schema" and sent["schema"]["additionalProperties"] is False
    assert kernel.value("[type(city).__name__, city.name, city.population]") == ["City", "Lyon", 522250]
    # The final output shows the validated JSON indented; the conversation keeps it as it came.
    assert run.data("text/plain")[1] == '```json\n{\n  "name": "Lyon",\n  "population": 522250\n}\n```'


def test_a_schema_violation_keeps_the_text_and_says_what_failed(kernel, emulator):
    kernel.run(
        "import pydantic\n"
        "class City(pydantic.BaseModel):\n"
        "    name: str\n"
        "    population: int = pydantic.Field(ge=0)\n"
    )
    text = '{"name": "Atlantis", "population": -1}'
    use_script(emulator, [{"blocks": [{"type": "text", "text": text}]}])
    run = kernel.run("%%claude --json City -o city\nA lost city?")
    assert kernel.value("city") == text
    assert run.data("text/plain")[1] == text
    assert "⚠ --json City: the answer does not validate: population: Input should be greater than or equal to 0" \
        in run.data("text/plain")


def test_options_the_model_does_not_take_are_one_line_before_any_request(kernel, emulator):
    assert_one_line_usage_error(kernel.run("%claude --effort xhigh hi"),
                                "claude-sonnet-4-6 takes --effort low, medium, high, max.")
    assert_one_line_usage_error(kernel.run("%claude -m claude-opus-5 --think 2048 hi"), "--think without a number")
    assert_one_line_usage_error(kernel.run("%claude -m claude-mythos-preview hi"), "claude-mythos-preview is retired")
    assert_one_line_usage_error(kernel.run("%claude --json nothing_here hi"), "--json nothing_here")
    assert not messages_posted(emulator)
    # The catalogue was asked once per model, not once per cell.
    looked_up = [r.path for r in emulator.requests if r.path.startswith("/v1/models/")]
    assert sorted(looked_up) == sorted(set(looked_up))


def test_a_deprecated_model_warns_once(kernel, emulator):
    first = kernel.run("%claude -m claude-opus-4-5 hi")
    second = kernel.run("%claude -m claude-opus-4-5 hi again")
    assert "claude-opus-4-5 is deprecated" in first.all_text
    assert "deprecated" not in second.all_text


def test_retry_continue_completes_a_dropped_answer_on_a_model_without_prefill(kernel, emulator):
    full = "First part of a long answer, and then the second part arrives."
    use_script(emulator, [{"drop_after": 6, "times": 1, "blocks": [{"type": "text", "text": full}]}])
    first = kernel.run("%%claude -m claude-sonnet-4-6\nTell me")
    partial = first.data("text/plain")[1]
    assert partial and full.startswith(partial) and partial != full
    rest = full[len(partial.rstrip()):]
    use_script(emulator, [{"match": "was cut off", "blocks": [{"type": "text", "text": rest}]}])
    retry = kernel.run("%claude_retry --continue")
    assert retry.status == "ok", retry.all_text
    sent = messages_posted(emulator)[-1].body["messages"]
    assert sent[-1]["role"] == "user" and partial.rstrip()[-20:] in sent[-1]["content"]
    assert sent[-2] == {"role": "assistant", "content": partial.rstrip()}
    assert retry.data("text/plain")[1] == full  # one answer, joined at the seam
    assert kernel.value("claude_magic.history[-1].status") == "ok"


def test_settings_turn_on_thinking_with_a_budget_and_the_one_hour_cache_for_every_cell(kernel, emulator):
    kernel.run("%config ClaudeMagic.think = 2048")
    kernel.run("%config ClaudeMagic.cache_ttl = '1h'")
    kernel.run("context = 'A long and stable notebook context, sent with every cell. ' * 120")
    run = kernel.run("%%claude\n{context}\nSummarise it.")
    assert run.status == "ok", run.all_text
    body = messages_posted(emulator)[-1].body
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert body["max_tokens"] == 1024 + 2048  # the answer keeps its own room
    assert body["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    record = last_record(kernel)
    assert record["cache_creation_1h_input_tokens"] == record["cache_creation_input_tokens"] > 1024
    at_5m = kernel.value(
        f"claude_magic.usage.pricing.cost_usd('claude-sonnet-4-6', input_tokens={record['input_tokens']}, "
        f"output_tokens={record['output_tokens']}, cache_creation_input_tokens={record['cache_creation_input_tokens']})"
    )
    # 1-hour writes cost $6 per million on Sonnet 4.6, 5-minute ones $3.75.
    assert record["cost_usd"] - at_5m == pytest.approx(record["cache_creation_input_tokens"] * (6 - 3.75) / 1e6)
