"""Scripts: loading, refusing mistakes with one clear line, and which rule answers a request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anthropic
import pytest

from claude_magic.emulator import Emulator, Rule, Script, ScriptError, TextBlock, ToolUseBlock, example_scripts

from .helpers import MODEL, user


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (
            [{"match": "a"}, {}, {"name": "weather", "blocks": [{"type": "txt", "text": "x"}]}],
            "rule 2 ('weather'): blocks.0.type: unknown block type 'txt' (expected text, thinking, tool_use)",
        ),
        ([{"regx": "a"}], "rule 0 (<unnamed>): regx: unknown field"),
        (
            [{"blocks": [{"text": "x"}]}],
            "rule 0 (<unnamed>): blocks.0.type: block needs a `type` (text, thinking, tool_use)",
        ),
        ([{}, {"blocks": [{"type": "tool_use", "input": {}}]}], "rule 1 (<unnamed>): blocks.0.name: Field required"),
        (
            [{"name": "r", "regex": "("}],
            "rule 0 ('r'): regex: invalid regular expression: missing ), unterminated subpattern at position 0",
        ),
        (
            [{"status": 418}],
            "rule 0 (<unnamed>): status: unsupported status 418 (expected one of 400, 401, 403, 404, 413, 429, 500, 529)",
        ),
        ([{"times": 2}], "rule 0 (<unnamed>): `times` needs a fault (status, error_after, drop_after or stall_after)"),
        ([{"match": "a", "regex": "a"}], "rule 0 (<unnamed>): give `match` or `regex`, not both"),
        ([{"tokens_per_second": 0}], "rule 0 (<unnamed>): tokens_per_second: Input should be greater than 0"),
        ([{"usage": {"cache_reads": 1}}], "rule 0 (<unnamed>): usage.cache_reads: unknown field"),
    ],
)
def test_a_bad_script_is_refused_naming_rule_and_field(rules: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ScriptError) as caught:
        Script.from_dict({"rules": rules})

    assert str(caught.value) == message


def test_a_bad_script_file_is_refused_naming_the_file_too(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('[[rules]]\nname = "weather"\n[[rules.blocks]]\ntype = "txt"\ntext = "x"\n')

    with pytest.raises(ScriptError, match=r"^broken.toml: rule 0 \('weather'\): blocks.0.type: unknown block type"):
        Script.load(path)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.toml", "[[rules]\n", "not valid TOML"),
        ("bad.json", "{", "not valid JSON"),
        ("bad.yaml", "rules: []", "use a .toml or .json file"),
        ("list.json", "[]", "a script is a table with `rules`"),
    ],
)
def test_unreadable_script_files_are_refused(tmp_path: Path, name: str, content: str, message: str) -> None:
    (tmp_path / name).write_text(content)

    with pytest.raises(ScriptError, match=message):
        Script.load(tmp_path / name)


def test_a_missing_script_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match="cannot read script"):
        Script.load(tmp_path / "absent.toml")


def test_toml_json_and_python_scripts_are_the_same(tmp_path: Path) -> None:
    (tmp_path / "s.toml").write_text(
        '[[rules]]\nmatch = "weather"\ntools = true\n'
        '[[rules.blocks]]\ntype = "tool_use"\nname = "get_weather"\ninput = { city = "Paris" }\n'
    )
    data = {
        "rules": [
            {
                "match": "weather",
                "tools": True,
                "blocks": [{"type": "tool_use", "name": "get_weather", "input": {"city": "Paris"}}],
            }
        ]
    }
    (tmp_path / "s.json").write_text(json.dumps(data))
    python = Script(
        rules=[Rule(match="weather", tools=True, blocks=[ToolUseBlock(name="get_weather", input={"city": "Paris"})])]
    )

    assert Script.load(tmp_path / "s.toml") == Script.load(tmp_path / "s.json") == python


def test_a_bad_rule_built_in_python_is_refused_with_its_name() -> None:
    with pytest.raises(ScriptError, match=r"^rule \('w'\): blocks.0.type: unknown block type 'txt'"):
        Rule(name="w", blocks=[{"type": "txt", "text": "x"}])


def test_the_emulator_refuses_a_bad_script_before_serving() -> None:
    with pytest.raises(ScriptError, match="rule 0"):
        Emulator({"rules": [{"colour": "blue"}]})


@pytest.mark.parametrize("name", ["workshop", "errors"])
def test_every_shipped_example_script_loads(name: str) -> None:
    assert name in example_scripts()
    assert Script.example(name).rules


def test_workshop_script_answers_markdown_tool_calls_and_thinking(
    server: Emulator, client: anthropic.Anthropic
) -> None:
    server.set_script("workshop")
    tools = [{"name": "get_weather", "input_schema": {"type": "object"}}]

    markdown = client.messages.create(model=MODEL, max_tokens=500, messages=user("show me markdown"))
    call = client.messages.create(model=MODEL, max_tokens=500, messages=user("weather in Paris?"), tools=tools)
    thought = client.messages.create(model=MODEL, max_tokens=500, messages=user("think first"))

    text = markdown.content[0].text
    assert "## " in text and "\n1. " in text and "```python" in text
    assert call.stop_reason == "tool_use" and call.content[-1].input == {"city": "Paris", "unit": "celsius"}
    assert [block.type for block in thought.content] == ["thinking", "text"]


def _answers(script: Script, server: Emulator, client: anthropic.Anthropic, **request: Any) -> str:
    server.set_script(script)
    message = client.messages.create(model=request.pop("model", MODEL), max_tokens=50, **request)
    return "".join(block.text for block in message.content if block.type == "text")


def _rule(answer: str, **conditions: Any) -> Rule:
    return Rule(name=answer, blocks=[TextBlock(text=answer)], **conditions)


TOOLS = [{"name": "f", "input_schema": {"type": "object"}}]
TOOL_RESULT_TURN = [
    {"role": "user", "content": "use the tool"},
    {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}]},
    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny and 21C"}]},
]


@pytest.mark.parametrize(
    ("rule", "request_", "matches"),
    [
        (_rule("hit", match="weather"), {"messages": user("the weather today")}, True),
        (_rule("hit", match="weather"), {"messages": user("Weather")}, False),
        (_rule("hit", regex=r"^\d+ apples$"), {"messages": user("12 apples")}, True),
        (_rule("hit", regex=r"^\d+ apples$"), {"messages": user("many apples")}, False),
        (_rule("hit", tools=True), {"messages": user("x"), "tools": TOOLS}, True),
        (_rule("hit", tools=True), {"messages": user("x")}, False),
        (_rule("hit", tools=False), {"messages": user("x"), "tools": TOOLS}, False),
        (_rule("hit", tool_result=True), {"messages": TOOL_RESULT_TURN}, True),
        (_rule("hit", tool_result=True), {"messages": user("x")}, False),
        (_rule("hit", match="sunny"), {"messages": TOOL_RESULT_TURN}, True),
        (_rule("hit", model="claude-opus-4-7"), {"messages": user("x"), "model": "claude-opus-4-7"}, True),
        (_rule("hit", model="claude-opus-4-7"), {"messages": user("x")}, False),
        (
            _rule("hit", match="last"),
            {"messages": [*user("first"), {"role": "assistant", "content": "ok"}, *user("the last one")]},
            True,
        ),
        (
            _rule("hit", match="first"),
            {"messages": [*user("first"), {"role": "assistant", "content": "ok"}, *user("the last one")]},
            False,
        ),
    ],
)
def test_rule_conditions_decide_whether_it_answers(
    server: Emulator, client: anthropic.Anthropic, rule: Rule, request_: dict[str, Any], matches: bool
) -> None:
    answer = _answers(Script(rules=[rule]), server, client, **request_)

    assert (answer == "hit") is matches
    assert ("emulat" in answer) is not matches  # no rule: the default answer


def test_the_first_matching_rule_answers(server: Emulator, client: anthropic.Anthropic) -> None:
    script = Script(rules=[_rule("first", match="x"), _rule("second", match="x"), _rule("third")])

    assert _answers(script, server, client, messages=user("x")) == "first"
    assert _answers(script, server, client, messages=user("y")) == "third"


def test_set_script_changes_the_answers_at_runtime(server: Emulator, client: anthropic.Anthropic) -> None:
    assert _answers(Script(rules=[_rule("before")]), server, client, messages=user("x")) == "before"
    assert _answers(Script(rules=[_rule("after")]), server, client, messages=user("x")) == "after"
