"""What a request asks of the answer, honoured: thinking, ``tool_choice`` and structured output.

:func:`answer_blocks` turns a rule's blocks (or the default answer) into the blocks the
reply carries, so these features work with no script at all:

- thinking ``enabled``/``adaptive``: a thinking block first (unless the rule has one),
  signed; ``display: "omitted"`` sends it empty, with its signature;
- ``tool_choice`` ``any`` or ``tool``: a tool call (the named tool, else the first), with
  an input valid for its schema unless the rule gives one; ``none``: never a tool call;
- ``output_config.format`` ``json_schema``: the default answer becomes JSON valid for the
  schema. Text a rule scripts is kept as written, so a lesson can show invalid output.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ._answer import last_user_text
from ._instance import instance_of
from ._script import Block, TextBlock, ThinkingBlock, ToolUseBlock

__all__ = ["answer_blocks", "thinking_on"]


def thinking_on(body: Mapping[str, Any]) -> bool:
    thinking = body.get("thinking")
    return isinstance(thinking, Mapping) and thinking.get("type") in ("enabled", "adaptive")


def _default_thinking(body: Mapping[str, Any]) -> str:
    prompt = " ".join(last_user_text(body.get("messages")).split())[:80]
    return (
        f'The user asks: "{prompt}". This is the emulator thinking, not Claude: it shows where thinking '
        "streams before the answer, and that its block comes back signed."
    )


def _tools(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    tools = body.get("tools") or []
    return [t for t in tools if isinstance(t, Mapping) and isinstance(t.get("name"), str)]


def _forced_call(body: Mapping[str, Any], scripted: Sequence[Block], choice: Mapping[str, Any]) -> ToolUseBlock:
    tools = _tools(body)
    wanted = choice.get("name") if choice.get("type") == "tool" else None
    for block in scripted:
        if isinstance(block, ToolUseBlock) and (wanted is None or block.name == wanted):
            return block
    tool = next((t for t in tools if t["name"] == wanted), tools[0] if tools else {"name": wanted or "tool"})
    schema = tool.get("input_schema") or {"type": "object"}
    value = instance_of(schema, name=str(tool["name"]))
    return ToolUseBlock(name=str(tool["name"]), input=value if isinstance(value, dict) else {})


def answer_blocks(body: Mapping[str, Any], scripted: Sequence[Block], *, default_text: str) -> list[Block]:
    """The blocks to send for ``body``, from the rule's ``scripted`` blocks (may be empty)."""
    blocks: list[Block] = list(scripted)
    config = body.get("output_config")
    output_format = config.get("format") if isinstance(config, Mapping) else None
    if not blocks:
        text = default_text
        if isinstance(output_format, Mapping) and output_format.get("type") == "json_schema":
            text = json.dumps(instance_of(output_format.get("schema") or {}), ensure_ascii=False)
        blocks.append(TextBlock(text=text))
    choice: Mapping[str, Any] = body["tool_choice"] if isinstance(body.get("tool_choice"), Mapping) else {}
    kind = choice.get("type")
    if kind == "none":
        blocks = [b for b in blocks if not isinstance(b, ToolUseBlock)] or [TextBlock(text=default_text)]
    elif kind in ("any", "tool"):
        # A forced call comes with no text before it: the API starts the turn at the tool call.
        call = _forced_call(body, blocks, choice)
        blocks = [*(b for b in blocks if isinstance(b, ThinkingBlock)), call]
    if thinking_on(body) and not any(isinstance(b, ThinkingBlock) for b in blocks):
        blocks.insert(0, ThinkingBlock(thinking=_default_thinking(body)))
    thinking = body.get("thinking")
    if isinstance(thinking, Mapping) and thinking.get("display") == "omitted":
        blocks = [ThinkingBlock(thinking="") if isinstance(b, ThinkingBlock) else b for b in blocks]
    return blocks
