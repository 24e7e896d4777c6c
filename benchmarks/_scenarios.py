"""What is measured: the streams (scenarios) and the ways of showing them (variants).

A scenario is an answer the emulator streams in fixed-size deltas at a set pace. A variant is
the notebook code that consumes it: the bare SDK (the floor: ``text_stream``, no display),
the SDK's raw events (the least any consumer can do: no snapshot, no display), the naive
pattern most notebook tools use (a full-text Markdown update per delta), and ``%%claude``
with each of its displays. The answer's first delta and its last characters are markers that
the IOPub recorder looks for, so "the first output carrying text" and "the final output" are
found by content, whatever message type a display uses.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

__all__ = ["FIRST", "LAST", "MODEL", "COMPARE", "Scenario", "Variant", "VARIANTS", "SCENARIOS", "answer_text"]

MODEL = "claude-sonnet-4-6"
#: The three models of the Chat compare scenario.
COMPARE = ("claude-sonnet-4-6", "claude-opus-4-6", "claude-haiku-4-5")

#: The answer's first delta (4 bytes: the first delta is exactly this) and its last characters.
#: Plain ASCII letters and digits: unchanged by JSON, HTML and Markdown, found in any output.
FIRST = "Kqz9"
LAST = "Zyx7 Wvj8"

# Blocks an answer is made of, repeated in turn: headings, paragraphs, a list, a code fence,
# so the Markdown and widget displays see the block structure real answers have.
_BLOCKS = (
    "## Step {n}: reading the stream\n\n",
    "Each delta carries a few bytes of the answer. A display that resends the whole text for "
    "every delta pays for the answer again and again, while one that sends only what is new "
    "pays for it once. The difference grows with the length of the answer, which is why long "
    "answers are where a notebook **slows down** and where `IOPub` limits are reached.\n\n",
    "- the server writes one event per delta\n- the kernel parses it and updates the display\n"
    "- the front end receives each message and renders it again\n\n",
    "```python\nasync for text in stream.text_stream:\n    handle.update(Markdown(answer := answer + text))\n```\n\n",
    "Coalescing batches the deltas that arrive within a short interval, so the browser gets a "
    "few tens of updates a second however fast the model writes, and the first words still "
    "appear at once because the first delta is never held back.\n\n",
)
_FILLER = "and the answer goes on for a while longer in plain words "


def answer_text(length: int) -> str:
    """A Markdown answer of exactly ``length`` ASCII characters: FIRST ... LAST."""
    head = f"{FIRST} is where this answer starts.\n\n"
    tail = f"\n\nThat is all, {LAST}"
    if length < len(head) + len(tail):
        raise ValueError(f"an answer needs at least {len(head) + len(tail)} characters")
    body = ""
    n = 0
    while True:
        block = _BLOCKS[n % len(_BLOCKS)].format(n=n // len(_BLOCKS) + 1)
        # Leave room for a last paragraph of filler, so the answer ends in plain text.
        if len(head) + len(body) + len(block) + len(tail) + 80 > length:
            break
        body += block
        n += 1
    room = length - len(head) - len(body) - len(tail)
    filler = (_FILLER * (room // len(_FILLER) + 1))[:room]
    text = head + body + filler.rstrip().ljust(room, ".") + tail
    assert len(text) == length and text.startswith(FIRST) and text.endswith(LAST)
    return text


def thinking_text(length: int) -> str:
    """Thinking of exactly ``length`` characters: starts with FIRST, never holds LAST."""
    return answer_text(length).replace(LAST, "ok, done.")


#: The text before the tool call in the "tool" lane: 10 deltas of 4 bytes.
_TOOL_PREAMBLE = f"{FIRST} saves the notes as asked: {LAST}".ljust(40, ".")


@dataclass(frozen=True)
class Scenario:
    """An answer streamed as ``deltas`` deltas of ``delta_chars`` bytes, paced or not.

    ``lane`` says what the deltas carry: ``text`` (all answer text), ``thinking`` (half
    thinking, then half text) or ``tool`` (ten deltas of text, then a tool call whose JSON input
    streams in the other fragments, 10 bytes each). With several ``models`` every model streams
    the same answer (a Chat comparing them).
    """

    name: str
    title: str
    deltas: int
    delta_chars: int = 4
    tokens_per_second: float | None = None
    #: The variants measured on it (the floor, "bare", always among them).
    variants: tuple[str, ...] = ("bare", "raw", "markdown", "widget", "text", "naive")
    lane: str = "text"
    models: tuple[str, ...] = (MODEL,)

    @property
    def answer(self) -> str:
        """The answer's text (what the final output shows)."""
        if self.lane == "thinking":
            return answer_text(self.deltas // 2 * self.delta_chars)
        if self.lane == "tool":
            return _TOOL_PREAMBLE
        return answer_text(self.deltas * self.delta_chars)

    @property
    def expected_deltas(self) -> int:
        """``content_block_delta`` events per request (a thinking block ends with its signature)."""
        return self.deltas + (1 if self.lane == "thinking" else 0)

    @property
    def prompt(self) -> str:
        return f"Benchmark {self.name}: please write the long answer."

    def rule(self) -> dict[str, Any]:
        """The emulator rule that streams this scenario's answer."""
        blocks: list[dict[str, Any]] = [{"type": "text", "text": self.answer}]
        rule: dict[str, Any] = {"delta_chars": self.delta_chars}
        if self.lane == "thinking":
            thinking = thinking_text((self.deltas - self.deltas // 2) * self.delta_chars)
            blocks.insert(0, {"type": "thinking", "thinking": thinking})
        elif self.lane == "tool":
            fragments = self.deltas - len(self.answer) // self.delta_chars
            data = (_FILLER * (fragments * 10 // len(_FILLER) + 1))[: fragments * 10 - len('{"data": ""}')]
            blocks.append({"type": "tool_use", "name": "save_notes", "input": {"data": data}})
            rule["json_chunk"] = 10
        rule["blocks"] = blocks
        if self.tokens_per_second is not None:
            rule["tokens_per_second"] = self.tokens_per_second
        return rule

    def scaled(self, divisor: int) -> Scenario:
        return replace(self, deltas=max(self.deltas // divisor, 20 if self.lane != "tool" else 40))


SCENARIOS = {
    "S1": Scenario("S1", "long answer: 2,000 deltas of 4 bytes at 200/s", 2000, tokens_per_second=200,
                   variants=("bare", "raw", "markdown", "widget", "text", "rawview", "print", "naive", "naiveraw")),
    "S2": Scenario("S2", "firehose: 20,000 deltas of 4 bytes, no pacing", 20_000),
    "S3": Scenario("S3", "chat playground on S1", 2000, tokens_per_second=200, variants=("bare", "chat")),
    "S4": Scenario("S4", "thinking then text: 1,000 thinking deltas then 1,000 text deltas at 200/s", 2000,
                   tokens_per_second=200, lane="thinking", variants=("bare", "markdown", "widget", "naivelanes")),
    "S5": Scenario("S5", "tool call: 20 KB of input in 2,000 fragments at 200/s", 2000,
                   tokens_per_second=200, lane="tool", variants=("bare", "markdown", "widget", "naivelanes")),
    "S6": Scenario("S6", "Chat compare: S1 from three models at once", 2000, tokens_per_second=200,
                   models=COMPARE, variants=("bare", "compare", "naive3")),
}


@dataclass(frozen=True)
class Variant:
    """Notebook code that streams a scenario: ``setup`` runs unmeasured, then ``cell``.

    Both are templates filled with the scenario's ``prompt`` and ``max_tokens`` and ``model``.
    """

    key: str
    label: str
    setup_template: str
    cell_template: str
    shows_text: bool = True  # False for the references that display nothing

    def setup(self, scenario: Scenario) -> str:
        return self.setup_template.format(**_fields(scenario))

    def cell(self, scenario: Scenario) -> str:
        return self.cell_template.format(**_fields(scenario))


def _fields(scenario: Scenario) -> dict[str, Any]:
    # max_tokens above the delta count: the emulator counts one token per delta.
    return {"prompt": scenario.prompt, "max_tokens": scenario.expected_deltas + 16, "model": scenario.models[0],
            "models": list(scenario.models)}


# One client for the SDK variants, built once like %%claude's own (one per kernel), so no
# measured cell pays for building it or opening its connection more than the others do.
_SDK_SETUP = """
import asyncio, html, os, time, anthropic
from IPython.display import HTML, Markdown, display
if "_bench_client" not in globals():
    _bench_client = anthropic.AsyncAnthropic(base_url=os.environ["ANTHROPIC_BASE_URL"],
                                             api_key=os.environ["ANTHROPIC_API_KEY"])
"""

# Every model of the scenario at once (one for all but the compare scenario).
_BARE = """
async def _bench_bare(model):
    async with _bench_client.messages.stream(model=model, max_tokens={max_tokens},
            messages=[{{"role": "user", "content": {prompt!r}}}]) as _bench_stream:
        async for _bench_delta in _bench_stream.text_stream:
            pass
await asyncio.gather(*(_bench_bare(m) for m in {models!r}))
"""

_RAW = """
async for _bench_event in await _bench_client.messages.create(model={model!r}, max_tokens={max_tokens},
        messages=[{{"role": "user", "content": {prompt!r}}}], stream=True):
    pass
"""

_NAIVE = """
_bench_handle = display(Markdown(""), display_id=True)
_bench_text = ""
async with _bench_client.messages.stream(model={model!r}, max_tokens={max_tokens},
        messages=[{{"role": "user", "content": {prompt!r}}}]) as _bench_stream:
    async for _bench_delta in _bench_stream.text_stream:
        _bench_text += _bench_delta
        _bench_handle.update(Markdown(_bench_text))
"""

# The SDK guide's print pattern: one stream output per delta.
_PRINT = """
async with _bench_client.messages.stream(model={model!r}, max_tokens={max_tokens},
        messages=[{{"role": "user", "content": {prompt!r}}}]) as _bench_stream:
    async for _bench_delta in _bench_stream.text_stream:
        print(_bench_delta, end="", flush=True)
"""

# The naive pattern shown beside thinking and tool input: every lane's text in one Markdown
# display, updated at every delta (a notebook tool that shows thinking and tool input live).
_NAIVE_LANES = """
_bench_handle = display(Markdown(""), display_id=True)
_bench_text = ""
async with _bench_client.messages.stream(model={model!r}, max_tokens={max_tokens},
        messages=[{{"role": "user", "content": {prompt!r}}}]) as _bench_stream:
    async for _bench_event in _bench_stream:
        if _bench_event.type == "content_block_delta":
            _d = _bench_event.delta
            _bench_text += getattr(_d, "text", None) or getattr(_d, "thinking", None) or getattr(_d, "partial_json", "")
            _bench_handle.update(Markdown(_bench_text))
"""

# The naive pattern for three models side by side: three displays, each updated per delta.
_NAIVE3 = """
async def _bench_naive(model):
    handle = display(Markdown(""), display_id=True)
    text = ""
    async with _bench_client.messages.stream(model=model, max_tokens={max_tokens},
            messages=[{{"role": "user", "content": {prompt!r}}}]) as stream:
        async for delta in stream.text_stream:
            text += delta
            handle.update(Markdown(text))
await asyncio.gather(*(_bench_naive(m) for m in {models!r}))
"""

# What --raw did before it had a byte budget: the whole event table as HTML every 0.1 s.
_NAIVE_RAW = """
_bench_handle = display(HTML(""), display_id=True)
_bench_rows, _bench_painted, _bench_t0 = [], 0.0, time.monotonic()
def _bench_table():
    return "<table>" + "".join(_bench_rows) + "</table>"
async for _bench_event in await _bench_client.messages.create(model={model!r}, max_tokens={max_tokens},
        messages=[{{"role": "user", "content": {prompt!r}}}], stream=True):
    _d = getattr(_bench_event, "delta", None)
    _x = getattr(_d, "text", None) or ""
    _bench_rows.append(f'<tr><td style="padding:0 6px;text-align:right">{{(time.monotonic() - _bench_t0) * 1000:.1f}}</td>'
                       f'<td style="padding:0 6px">{{_bench_event.type}}</td>'
                       f'<td style="padding:0 6px;white-space:pre">{{html.escape(_x)}}</td></tr>')
    if time.monotonic() - _bench_painted >= 0.1:
        _bench_painted = time.monotonic()
        _bench_handle.update(HTML(_bench_table()))
display(HTML(_bench_table()))
"""

# A fresh Chat per run (a one-turn conversation, as the others send), displayed before the
# measured cell: what is measured is one answer streaming into a chat already on screen.
_CHAT_SETUP = """
import claude_magic
from IPython.display import display
if "_bench_chat" in globals():
    _bench_chat.close()
_bench_chat = claude_magic.Chat(max_tokens={max_tokens})
display(_bench_chat)
"""

_CHAT = "_bench_answers = await _bench_chat.send({prompt!r})\n"

_COMPARE_SETUP = _CHAT_SETUP.replace("Chat(max_tokens", "Chat(compare={models!r}, max_tokens")

# --once: every run is a fresh one-turn request, as the SDK variants send.
_MAGIC = "%%claude --once --max-tokens {max_tokens}\n{prompt}\n"


_RAW_VIEW = "%%claude --once --raw --max-tokens {max_tokens}\n{prompt}\n"


def _magic(display: str) -> Variant:
    return Variant(display, f"%%claude {display}", f"%config ClaudeMagic.display = {display!r}", _MAGIC)


VARIANTS = {
    "bare": Variant("bare", "bare SDK (floor)", _SDK_SETUP, _BARE, shows_text=False),
    # Below the floor: raw events with no text_stream snapshot, the least any consumer does.
    "raw": Variant("raw", "raw SDK events", _SDK_SETUP, _RAW, shows_text=False),
    # Named after the notebook libraries and guides whose pattern they reproduce.
    "naive": Variant("naive", "Markdown/delta (SDK guide, lisette)", _SDK_SETUP, _NAIVE),
    # Its end is split across stream outputs, one a delta: no single output carries it.
    "print": Variant("print", "print/delta (SDK guide)", _SDK_SETUP, _PRINT, shows_text=False),
    "naivelanes": Variant("naivelanes", "Markdown/delta, every lane", _SDK_SETUP, _NAIVE_LANES),
    "naive3": Variant("naive3", "Markdown/delta x3 models", _SDK_SETUP, _NAIVE3),
    # --raw shows rows, not the answer: the end of the answer is split across rows.
    "rawview": Variant("rawview", "%%claude --raw", "%config ClaudeMagic.display = 'markdown'", _RAW_VIEW,
                       shows_text=False),
    "naiveraw": Variant("naiveraw", "whole table/0.1 s (old --raw)", _SDK_SETUP, _NAIVE_RAW, shows_text=False),
    "markdown": _magic("markdown"),
    "widget": _magic("widget"),
    "text": _magic("text"),
    "chat": Variant("chat", "Chat() playground", _CHAT_SETUP, _CHAT),
    "compare": Variant("compare", "Chat compare x3", _COMPARE_SETUP, _CHAT),
}
