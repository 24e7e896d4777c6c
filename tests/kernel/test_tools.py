"""Tool use from Python functions, and the --raw event view, in a real kernel."""

from __future__ import annotations

import json
from pathlib import Path

from claude_magic.emulator import serve
from conftest import TEST_KEY, use_script
from kernel_harness import Kernel, kernel_env
from test_claude_cell import assert_one_line_usage_error, messages_posted

FIXTURES = Path(__file__).parent.parent / "fixtures" / "sse"

TOOLS = '''
from typing import Literal
calls = []

def get_weather(city: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> dict:
    """Current weather in a city.

    Args:
        city: The city's name.
        unit: Temperature unit.
    """
    calls.append({"city": city, "unit": unit})
    return {"city": city, "temp": 21, "unit": unit}

def explode(reason: str) -> str:
    """Always fails."""
    raise ValueError(f"cannot do {reason}")

async def slow_add(a: int, b: int) -> int:
    """Add two numbers, slowly."""
    import asyncio
    await asyncio.sleep(0.05)
    calls.append({"a": a, "b": b})
    return a + b
'''


def tool_call(name, args, **extra):
    return {"type": "tool_use", "name": name, "input": args, **extra}


def test_fragmented_tool_input_calls_the_function_once_then_answers(kernel, emulator):
    use_script(emulator, [
        {"tool_result": False, "json_chunk": 3, "blocks": [
            {"type": "text", "text": "Let me check."},
            tool_call("get_weather", {"city": "Paris", "unit": "celsius"})]},
        {"tool_result": True, "blocks": [{"type": "text", "text": "It is 21 degrees in Paris."}]},
    ])
    kernel.run(TOOLS)
    run = kernel.run("%%claude --tools get_weather -o reply\nWeather in Paris?")
    assert run.status == "ok", run.all_text
    assert kernel.value("calls") == [{"city": "Paris", "unit": "celsius"}]
    first, second = messages_posted(emulator)
    fragments = [k for _, k in first.sent if k == "content_block_delta"]
    assert len(fragments) > 8  # the input arrived in many pieces
    tool = first.body["tools"][0]
    assert tool["name"] == "get_weather" and tool["description"].startswith("Current weather in a city.")
    assert tool["input_schema"]["properties"]["unit"]["enum"] == ["celsius", "fahrenheit"]
    assert tool["input_schema"]["required"] == ["city"]
    assistant, results = second.body["messages"][-2:]
    tool_use = next(b for b in assistant["content"] if b["type"] == "tool_use")
    assert tool_use["input"] == {"city": "Paris", "unit": "celsius"}
    (result,) = results["content"]
    assert result["type"] == "tool_result" and result["tool_use_id"] == tool_use["id"]
    assert json.loads(result["content"]) == {"city": "Paris", "temp": 21, "unit": "celsius"}
    assert "is_error" not in result
    final = run.data("text/plain")[1]
    assert "⚙ `get_weather(" in final and "It is 21 degrees in Paris." in final
    # While the call streamed, the live area showed the tool's name with its input forming.
    live = [json.dumps(m["content"]["data"], ensure_ascii=False) for _, m in run.of_type("update_display_data")]
    # The notice is escaped text inside the HTML (quotes may stay: they are text, not markup).
    assert any("⚙ get_weather(" in update and '\\"city\\"' in update for update in live), live
    assert kernel.value("reply") == "Let me check.\n\nIt is 21 degrees in Paris."
    record = kernel.value("claude_magic.history[-1].as_dict()")
    assert len(record["rounds"]) == 2
    assert record["output_tokens"] == sum(r["output_tokens"] for r in record["rounds"])
    assert record["input_tokens"] == sum(r["input_tokens"] for r in record["rounds"])


def test_several_rounds_and_an_async_tool(kernel, emulator):
    use_script(emulator, [
        {"tool_result": False, "blocks": [tool_call("get_weather", {"city": "Oslo"})]},
        {"tool_result": True, "match": "Oslo", "blocks": [tool_call("slow_add", {"a": 2, "b": 3})]},
        {"tool_result": True, "blocks": [{"type": "text", "text": "Done: 5."}]},
    ])
    kernel.run(TOOLS)
    run = kernel.run("%%claude --tools get_weather,slow_add\nGo")
    assert len(messages_posted(emulator)) == 3
    assert kernel.value("calls") == [{"city": "Oslo", "unit": "celsius"}, {"a": 2, "b": 3}]
    last = messages_posted(emulator)[-1].body["messages"][-1]["content"][0]
    assert last["content"] == "5"
    assert "Done: 5." in run.data("text/plain")[1]
    assert len(kernel.value("claude_magic.history[-1].rounds")) == 3


def test_a_raising_tool_and_malformed_input_go_back_as_errors(kernel, emulator):
    use_script(emulator, [
        {"tool_result": False, "blocks": [
            tool_call("explode", {"reason": "magic"}),
            tool_call("get_weather", {}, raw_input='{"city": "Rome",, }'),
            tool_call("rm_everything", {})]},
        {"tool_result": True, "blocks": [{"type": "text", "text": "Sorry about that."}]},
    ])
    kernel.run(TOOLS)
    run = kernel.run("%%claude --tools explode,get_weather\nTry")
    results = messages_posted(emulator)[-1].body["messages"][-1]["content"]
    assert [r["is_error"] for r in results] == [True, True, True]
    assert results[0]["content"] == "ValueError: cannot do magic"
    assert "JSON" in results[1]["content"]
    assert "unknown tool" in results[2]["content"] and "explode" in results[2]["content"]
    assert kernel.value("calls") == []  # nothing ran that should not have
    shown = run.data("text/plain")[1]
    assert shown.count("⚠") == 3 and "Sorry about that." in shown


def test_the_round_limit_holds_and_says_so(kernel, emulator):
    use_script(emulator, [{"blocks": [tool_call("get_weather", {"city": "Loop"})]}])
    kernel.run(TOOLS + "\n%config ClaudeMagic.max_tool_rounds = 2")
    run = kernel.run("%%claude --tools get_weather\nForever")
    assert len(messages_posted(emulator)) == 3
    assert len(kernel.value("calls")) == 2
    assert "Stopped after 2 tool rounds" in run.all_text


def test_tools_from_config_and_unknown_names(kernel, emulator):
    use_script(emulator, [{"blocks": [{"type": "text", "text": "ok"}]}])
    kernel.run(TOOLS + "\n%config ClaudeMagic.tools = ['get_weather']")
    kernel.run("%%claude\nhi")
    assert [t["name"] for t in messages_posted(emulator)[-1].body["tools"]] == ["get_weather"]
    before = len(messages_posted(emulator))
    assert_one_line_usage_error(kernel.run("%%claude --tools nope\nhi"), "nope")
    assert len(messages_posted(emulator)) == before


def test_raw_view_lists_every_event_of_a_replayed_transcript_in_order(tmp_path):
    transcript = FIXTURES / "tool_use_response.txt"
    # What the SDK's own SSE decoder makes of the file (this one lacks its final blank line, so
    # its last record never completes), less the pings that the SDK consumes.
    from anthropic._streaming import SSEDecoder

    decoded = SSEDecoder().iter_bytes(iter([transcript.read_bytes()]))
    expected = [sse.event for sse in decoded if sse.event != "ping"]
    assert expected[0] == "message_start" and len(expected) > 10
    with serve(replay=transcript) as server:
        kernel = Kernel(kernel_env(tmp_path, ANTHROPIC_BASE_URL=server.url, ANTHROPIC_API_KEY=TEST_KEY), str(tmp_path))
        try:
            kernel.run("%load_ext claude_magic\n%config ClaudeMagic.display = 'markdown'")
            run = kernel.run("%%claude --raw\nWhat's the weather?")
            assert run.status == "ok", run.all_text
            assert kernel.value("[e.type for e in claude_magic.events]") == expected
            table = next(text for text in run.data("text/plain") if "message_start" in text)
            for kind in set(expected):
                assert kind in table
            assert "input_json_delta" in table
            assert kernel.value("claude_magic.history[-1].status") == "ok"
            assert kernel.value("claude_magic.history[-1].output_tokens") > 0
        finally:
            kernel.shutdown()


def test_confirm_asks_before_each_call_and_a_no_is_an_error_result(kernel, emulator):
    use_script(emulator, [
        {"tool_result": False, "blocks": [tool_call("get_weather", {"city": "Nice"}),
                                          tool_call("get_weather", {"city": "Metz"})]},
        {"tool_result": True, "blocks": [{"type": "text", "text": "Noted."}]},
    ])
    kernel.run(TOOLS)
    run, prompts = kernel.run_answering("%%claude --tools get_weather --confirm\nTwo cities", ["y", "n"])
    assert run.status == "ok", run.all_text
    assert [p.split("(")[0] for p in prompts] == ["Run get_weather", "Run get_weather"]
    assert "Nice" in prompts[0] and "Metz" in prompts[1]
    assert kernel.value("calls") == [{"city": "Nice", "unit": "celsius"}]
    results = messages_posted(emulator)[-1].body["messages"][-1]["content"]
    assert "is_error" not in results[0]
    assert results[1]["is_error"] is True and "declined" in results[1]["content"]
