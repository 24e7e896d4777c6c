"""The one request pipeline, driven without a kernel or a socket through a fake client.

The shared-pipeline test runs the same conversation through a ``%%claude`` cell's runner and
through the Chat, both building their client at the one place that builds clients, and finds
the same requests, usage records and conversation turns. The rest drives ``Pipeline`` directly:
a tool loop, Stop from another thread, a kernel interrupt, the budget, ``--continue``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from typing import Any

import pytest
from fake_api import (
    MODEL,
    FakeClient,
    RecordingSink,
    Text,
    ToolInput,
    ToolResult,
    block_stop,
    json_delta,
    message_delta,
    message_start,
    message_stop,
    text_delta,
    text_message,
    text_start,
    tool_start,
)
from IPython.core.error import UsageError

import claude_magic.core.client as client_module
import claude_magic.core.state as state_module
from claude_magic.core.client import Endpoint
from claude_magic.core.lanes import Ending
from claude_magic.core.pipeline import Outcome, Pipeline, StopSwitch
from claude_magic.core.session import CellSpec
from claude_magic.exceptions import Interrupted
from claude_magic.core.settings import request_options
from claude_magic.core.settings import Defaults
from claude_magic.core.state import KernelState
from claude_magic.display.chat import Chat
from claude_magic.exceptions import BudgetError
from claude_magic.ipython.cell import CellRunner
from claude_magic.tools.runner import ToolOutcome, resolve_tools
from claude_magic.usage.record import UsageRecord

KEY = "test-key-not-a-real-one"
ENDPOINT = Endpoint(base_url="http://127.0.0.1:9", api_key=KEY)
KEPT = "Run %claude_retry to ask again, or %claude_retry --continue to continue from the partial answer."


class Settings(Defaults):
    """The defaults, with no usage log: nothing here touches the user's files."""

    usage_log = None  # type: ignore[assignment]


def fresh_state(**settings: Any) -> KernelState:
    state = KernelState()
    state.settings = Settings(**settings)
    return state


def cell(prompt: str, **fields: Any) -> CellSpec:
    options: dict[str, Any] = dict(model=MODEL, max_tokens=1024, system=None, temperature=None, out=None,
                                   new=False, once=False)
    options.update(fields)
    return CellSpec(prompt=prompt, **options)


class ClientFor:
    """The pipeline's ``client_for``: hands out one fake client and remembers what it was asked."""

    def __init__(self, client: FakeClient) -> None:
        self.client = client
        self.built: list[tuple[Endpoint, float]] = []

    def __call__(self, endpoint: Endpoint, stall_timeout: float) -> FakeClient:
        self.built.append((endpoint, stall_timeout))
        return self.client


def run_turn(pipeline: Pipeline, spec: CellSpec, messages: list[dict[str, Any]], sink: RecordingSink,
             **options: Any) -> Outcome:
    async def turn() -> Outcome:
        stop = StopSwitch(asyncio.get_running_loop())
        return await pipeline.run(spec, messages, sink, stop=stop, endpoint=options.pop("endpoint", ENDPOINT),
                                  **options)

    return asyncio.run(turn())


# -- the shared pipeline: a %%claude cell and the Chat -------------------------------------------------

PROMPTS = ["What is a kernel?", "And a cell?"]
NOT_COMPARED = ("ttft_s", "duration_s", "output_tokens_per_s", "started_at", "cell")


def answer(params: dict[str, Any]) -> list[Any]:
    """A deterministic answer to a request, as an emulator would give: it depends on the request only."""
    messages = params["messages"]
    words = f"You asked {messages[-1]['content']!r} after {len(messages) - 1} messages.".split(" ")
    return [
        message_start(input_tokens=40 * len(messages), cache_read=8, cache_creation=3),
        text_start(0),
        *(text_delta(0, word if i == 0 else " " + word) for i, word in enumerate(words)),
        block_stop(0),
        message_delta(output_tokens=len(words) + 2),
        message_stop(),
    ]


def digest(n: int, params: dict[str, Any]) -> str:
    return "req_" + hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]


def comparable(record: UsageRecord) -> dict[str, Any]:
    return {k: v for k, v in record.as_dict().items() if k not in NOT_COMPARED}


class Shell:
    """What the cell runner needs of IPython's shell: the user's namespace (and not a kernel)."""

    def __init__(self) -> None:
        self.user_ns: dict[str, Any] = {}


def test_a_cell_and_the_chat_give_identical_requests_usage_records_and_turns(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    client = FakeClient(answer, request_id=digest)
    built: list[tuple[Endpoint, float]] = []

    def get_client(endpoint: Endpoint, *, stall_timeout: float) -> FakeClient:
        built.append((endpoint, stall_timeout))
        return client

    # The one place that builds clients: both front ends get the same fake one there.
    monkeypatch.setattr(client_module, "get_client", get_client)

    cell_state, shell = fresh_state(), Shell()
    runner = CellRunner(shell=shell, state=cell_state)

    async def cells() -> list[str]:
        # As the magic builds a cell's spec: the request options from the settings in force.
        options = request_options(cell_state.settings)
        return [await runner.run(cell(p, cell=i, cell_key=f"cell-{i}", out="answer", **options))
                for i, p in enumerate(PROMPTS, 1)]

    cell_texts = asyncio.run(cells())
    printed = capsys.readouterr().out

    chat_state = fresh_state()
    monkeypatch.setattr(state_module, "_STATE", chat_state)  # the kernel's state, as the Chat finds it
    posted: list[dict[str, Any]] = []

    async def chat_turns() -> tuple[list[Any], list[dict[str, Any]]]:
        chat = Chat()
        chat._post = lambda message, buffers=None: posted.append(message)  # type: ignore[method-assign]
        try:
            answers = [(await chat.send(prompt))[0] for prompt in PROMPTS]
            return answers, chat.messages
        finally:
            chat.close()

    chat_answers, chat_messages = asyncio.run(chat_turns())

    # Four requests: the cells' two, then the Chat's two, the same pairwise.
    assert len(client.requests) == 4
    assert client.requests[:2] == client.requests[2:]
    assert client.requests[1]["messages"][:2] == [
        {"role": "user", "content": PROMPTS[0]}, {"role": "assistant", "content": cell_texts[0]},
    ]
    # Every client (requests, capability and model-list look-ups) came from the one builder, for
    # this key; the requests' with the settings' stall timeout (a look-up may use a shorter one).
    assert {endpoint.api_key for endpoint, _ in built} == {KEY} and 60.0 in {stall for _, stall in built}

    # The same answers, usage records and conversation.
    assert cell_texts == [a.text for a in chat_answers]
    assert cell_texts[1] == "You asked 'And a cell?' after 2 messages."
    assert [a.error for a in chat_answers] == [None, None]
    assert len(cell_state.history) == len(chat_state.history) == 2
    assert [a.record for a in chat_answers] == list(chat_state.history)
    assert [comparable(r) for r in cell_state.history] == [comparable(r) for r in chat_state.history]
    first = cell_state.history[0]
    assert (first.input_tokens, first.cache_read_input_tokens, first.cache_creation_input_tokens) == (40, 8, 3)
    assert (first.status, first.stop_reason, first.error) == ("ok", "end_turn", None)
    assert first.request_id and first.request_id.startswith("req_") and first.cost_usd
    assert cell_state.session.conversation.messages() == chat_messages
    assert [m["content"] for m in chat_messages] == [PROMPTS[0], cell_texts[0], PROMPTS[1], cell_texts[1]]

    # What each front end adds of its own: the cell's variable and terminal output, the Chat's transcript.
    assert shell.user_ns["answer"] == cell_texts[1]
    assert cell_texts[0] in printed and cell_texts[1] in printed
    assert [m["footer"] for m in posted if m.get("done")] and all(m["error"] is None for m in posted if m.get("done"))


# -- a tool loop ---------------------------------------------------------------------------------------


class Toolbox:
    """A fake toolbox: its definitions, and every call it was asked to make."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    def definitions(self) -> list[dict[str, Any]]:
        return [{"name": "get_weather", "description": "The weather in a city.",
                 "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}]

    async def call(self, *, tool_use_id: str, name: str, raw_input: str) -> ToolOutcome:
        self.calls.append((tool_use_id, name, raw_input))
        city = json.loads(raw_input)["city"]
        return ToolOutcome(tool_use_id=tool_use_id, content=f"Sunny, 21 C in {city}", is_error=False, display="sunny")


def tool_round(*fragments: str, id: str = "toolu_7") -> list[Any]:
    return [
        message_start(input_tokens=20), text_start(0), text_delta(0, "Let me check."), block_stop(0),
        tool_start(1, id=id, name="get_weather"), json_delta(1, ""),
        *(json_delta(1, f) for f in fragments), block_stop(1),
        message_delta("tool_use", output_tokens=15), message_stop(),
    ]


def test_a_tool_loop_sends_the_result_back_with_the_matching_id() -> None:
    client, toolbox, sink = FakeClient([tool_round('{"city": ', '"Paris"}'),
                                        text_message("Sunny", " in Paris.", input_tokens=60)]), Toolbox(), RecordingSink()
    state = fresh_state()
    outcome = run_turn(Pipeline(state, client_for=ClientFor(client)), cell("Weather in Paris?"),
                       [{"role": "user", "content": "Weather in Paris?"}], sink, toolbox=toolbox)

    assert toolbox.calls == [("toolu_7", "get_weather", '{"city": "Paris"}')]
    first, second = client.requests
    assert first["tools"] == second["tools"] == toolbox.definitions()
    assert second["messages"] == [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": [
            {"type": "text", "text": "Let me check."},
            {"type": "tool_use", "id": "toolu_7", "name": "get_weather", "input": {"city": "Paris"}},
        ]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_7",
                                      "content": "Sunny, 21 C in Paris"}]},
    ]
    lanes = sink.lanes
    result_at = lanes.index(ToolResult(name="get_weather", input='{"city": "Paris"}', display="sunny"))
    done_at = next(i for i, lane in enumerate(lanes) if isinstance(lane, ToolInput) and lane.done)
    assert done_at < result_at < lanes.index(Text("Sunny"))
    assert sink.calls[0] == ("begin", None) and sink.calls[-1] == ("end", Ending(outcome.footer, None))

    assert outcome.answer_text == "Let me check.\n\nSunny in Paris."
    record = outcome.record
    assert (record.status, record.stop_reason, record.input_tokens, record.output_tokens) == ("ok", "end_turn", 80, 17)
    assert [r["input_tokens"] for r in record.rounds] == [20, 60]
    assert [r["request_id"] for r in record.rounds] == ["req_1", "req_2"]
    assert list(state.history) == [record]


def test_tool_input_that_does_not_parse_goes_back_to_the_model_as_an_error() -> None:
    ran: list[str] = []

    def get_weather(city: str) -> str:
        ran.append(city)
        return "sunny"

    toolbox = resolve_tools([get_weather], {})
    client, sink = FakeClient([tool_round('{"city": "Par'), text_message("Sorry.")]), RecordingSink()
    outcome = run_turn(Pipeline(fresh_state(), client_for=ClientFor(client)), cell("Weather?"),
                       [{"role": "user", "content": "Weather?"}], sink, toolbox=toolbox)

    assert ran == []
    assistant, results = client.requests[1]["messages"][1:]
    assert assistant["content"][1] == {"type": "tool_use", "id": "toolu_7", "name": "get_weather", "input": {}}
    [result] = results["content"]
    assert (result["tool_use_id"], result["is_error"]) == ("toolu_7", True)
    assert result["content"].startswith("invalid input for get_weather")
    [shown] = sink.of(ToolResult)
    assert shown.is_error and shown.input == '{"city": "Par'
    assert outcome.record.status == "ok" and outcome.answer_text == "Let me check.\n\nSorry."


def test_a_declined_tool_does_not_run_and_the_model_is_told() -> None:
    asked: list[tuple[str, str]] = []
    toolbox, client = Toolbox(), FakeClient([tool_round('{"city": "Oslo"}'), text_message("Understood.")])
    outcome = run_turn(Pipeline(fresh_state(), client_for=ClientFor(client)), cell("Weather?"),
                       [{"role": "user", "content": "Weather?"}], RecordingSink(), toolbox=toolbox,
                       confirm=lambda name, raw: asked.append((name, raw)) is not None)
    assert asked == [("get_weather", '{"city": "Oslo"}')] and toolbox.calls == []
    assert client.requests[1]["messages"][-1]["content"] == [{
        "type": "tool_result", "tool_use_id": "toolu_7", "content": "The user declined to run this tool.", "is_error": True,
    }]
    assert outcome.answer_text.endswith("Understood.")


def test_the_tool_round_limit_ends_the_turn_with_a_note() -> None:
    toolbox = Toolbox()
    client = FakeClient([tool_round('{"city": "Oslo"}', id="toolu_1"), tool_round('{"city": "Rome"}', id="toolu_2"),
                         text_message("never asked")])
    state = fresh_state(max_tool_rounds=1)
    outcome = run_turn(Pipeline(state, client_for=ClientFor(client)), cell("Weather?"),
                       [{"role": "user", "content": "Weather?"}], RecordingSink(), toolbox=toolbox)
    assert len(client.requests) == 2 and [c[0] for c in toolbox.calls] == ["toolu_1"]
    assert outcome.error_line == ("Stopped after 1 tool rounds (ClaudeMagic.max_tool_rounds): "
                                  "the model still asked for get_weather.")
    assert (outcome.record.status, outcome.record.stop_reason, len(outcome.record.rounds)) == ("ok", "tool_use", 2)


def test_stop_pressed_while_a_tool_runs_sends_no_further_request() -> None:
    sink = RecordingSink()

    async def turn() -> tuple[Outcome, FakeClient, Toolbox]:
        stop = StopSwitch(asyncio.get_running_loop())
        client = FakeClient([tool_round('{"city": "Oslo"}'), text_message("never asked")])

        class Pressing(Toolbox):
            async def call(self, **kwargs: Any) -> ToolOutcome:
                stop()  # the user presses Stop while the tool runs
                return await super().call(**kwargs)

        toolbox = Pressing()
        outcome = await Pipeline(fresh_state(), client_for=ClientFor(client)).run(
            cell("Weather?"), [{"role": "user", "content": "Weather?"}], sink, stop=stop, endpoint=ENDPOINT,
            toolbox=toolbox)
        return outcome, client, toolbox

    outcome, client, toolbox = asyncio.run(turn())
    assert len(client.requests) == 1 and len(toolbox.calls) == 1
    assert outcome.record.status == "interrupted" and outcome.answer_text == "Let me check."
    assert outcome.error_line == "Stopped: the partial answer is kept. " + KEPT
    assert sink.of(ToolResult)[0].display == "sunny"


# -- Stop, interrupt -----------------------------------------------------------------------------------


def test_stop_from_another_thread_ends_the_turn_as_interrupted_and_keeps_the_partial_text() -> None:
    shown = threading.Event()
    state, sink = fresh_state(), RecordingSink()

    async def turn() -> tuple[Outcome, FakeClient, list[int]]:
        stop = StopSwitch(asyncio.get_running_loop())
        hang = asyncio.Event()
        client = FakeClient([[message_start(input_tokens=30), text_start(0), text_delta(0, "Partial"),
                              text_delta(0, " answer"), shown.set, hang.wait]])
        stopper_thread: list[int] = []

        def press_stop() -> None:
            assert shown.wait(10)
            stopper_thread.append(threading.get_ident())
            stop()

        presser = threading.Thread(target=press_stop)
        presser.start()
        try:
            outcome = await Pipeline(state, client_for=ClientFor(client)).run(
                cell("Tell me"), [{"role": "user", "content": "Tell me"}], sink, stop=stop, endpoint=ENDPOINT)
        finally:
            presser.join(10)
        return outcome, client, stopper_thread

    outcome, client, stopper_thread = asyncio.run(turn())
    assert stopper_thread and stopper_thread[0] != threading.get_ident()
    assert outcome.answer_text == sink.text == "Partial answer"
    assert outcome.record.status == "interrupted" and outcome.record.error is None
    assert outcome.error_line == "Stopped: the partial answer is kept. " + KEPT
    assert outcome.interrupt is None
    outcome.raise_interrupt()  # Stop is not an interrupt: nothing to re-raise
    assert outcome.record.output_tokens == 2 and outcome.record.input_tokens == 30  # settled: two deltas
    assert client.streams[0].closed  # the HTTP stream does not outlive the turn
    assert sink.endings == [Ending(outcome.footer, outcome.error_line)]
    assert list(state.history) == [outcome.record]


def test_stop_before_any_text_says_nothing_arrived() -> None:
    sink = RecordingSink()

    async def turn() -> Outcome:
        stop = StopSwitch(asyncio.get_running_loop())
        hang = asyncio.Event()
        client = FakeClient([[message_start(), lambda: asyncio.get_running_loop().call_soon(stop), hang.wait]])
        return await Pipeline(fresh_state(), client_for=ClientFor(client)).run(
            cell("Hi"), [{"role": "user", "content": "Hi"}], sink, stop=stop, endpoint=ENDPOINT)

    outcome = asyncio.run(turn())
    assert (outcome.record.status, outcome.answer_text) == ("interrupted", "")
    assert outcome.error_line == "Stopped before any answer arrived."


def test_a_kernel_interrupt_finishes_the_turn_then_reraises() -> None:
    state, sink = fresh_state(), RecordingSink()

    async def turn() -> tuple[Outcome, FakeClient]:
        shown, hang = asyncio.Event(), asyncio.Event()
        client = FakeClient([[message_start(), text_start(0), text_delta(0, "Half"), shown.set, hang.wait]])
        task = asyncio.ensure_future(Pipeline(state, client_for=ClientFor(client)).run(
            cell("Hi"), [{"role": "user", "content": "Hi"}], sink, stop=StopSwitch(asyncio.get_running_loop()),
            endpoint=ENDPOINT))
        await shown.wait()
        task.cancel()  # what ipykernel does to a cell's task on an interrupt
        return await task, client

    outcome, client = asyncio.run(turn())
    assert isinstance(outcome.interrupt, asyncio.CancelledError)
    assert outcome.record.status == "interrupted" and outcome.answer_text == sink.text == "Half"
    assert list(state.history) == [outcome.record] and client.streams[0].closed
    assert sink.endings == [Ending(outcome.footer, outcome.error_line)]
    # Re-raised as one line (IPython shows it without a traceback), so queued cells still abort.
    with pytest.raises(Interrupted, match="Stopped: the partial answer is kept"):
        outcome.raise_interrupt()


# -- before and around the request ---------------------------------------------------------------------


def spent_state(budget: float) -> KernelState:
    state = fresh_state(budget_usd=budget)
    state.history.append(UsageRecord(cell=1, model=MODEL, cost_usd=0.30))
    return state


def test_a_spent_budget_raises_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    client, sink = FakeClient([text_message("never")]), RecordingSink()
    client_for = ClientFor(client)
    state = spent_state(0.25)

    async def turn() -> Outcome:
        return await Pipeline(state, client_for=client_for).run(
            cell("Hi"), [{"role": "user", "content": "Hi"}], sink, stop=StopSwitch(asyncio.get_running_loop()))

    with pytest.raises(BudgetError, match=r"^Budget reached: \$0\.3000 spent of \$0\.25 in this kernel\. "):
        asyncio.run(turn())
    assert (client.requests, client_for.built, sink.calls, len(state.history)) == ([], [], [], 1)


def test_a_cell_over_budget_gets_one_usage_error_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    client = FakeClient([text_message("never")])
    state = spent_state(0.30)  # reached exactly counts as reached
    runner = CellRunner(shell=Shell(), state=state, pipeline=Pipeline(state, client_for=ClientFor(client)))
    with pytest.raises(UsageError, match=r"^Budget reached: .*budget_usd = 10"):
        asyncio.run(runner.run(cell("Hi", cell_key="c1")))
    assert client.requests == []


def test_under_budget_the_request_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    client = FakeClient([text_message("yes")])
    state = spent_state(0.31)
    outcome = run_turn(Pipeline(state, client_for=ClientFor(client)), cell("Hi"),
                       [{"role": "user", "content": "Hi"}], RecordingSink(), endpoint=None)
    assert outcome.answer_text == "yes" and len(client.requests) == 1


def test_continue_pushes_the_partial_answer_first_and_joins_it_into_the_answer() -> None:
    state = fresh_state()
    partial = "Once upon a time,"
    spec = cell("Tell a story", cell_key="c1", continue_from=partial)
    # As %claude_retry --continue sends it to a model that takes a prefill (tests/core/
    # test_continuation.py covers the models that do not).
    messages = CellRunner(shell=Shell(), state=state).messages(spec, prefill=True)
    client, sink = FakeClient([text_message(" there was", " a kernel.")]), RecordingSink()
    outcome = run_turn(Pipeline(state, client_for=ClientFor(client)), spec, messages, sink)

    assert client.requests[0]["messages"] == [
        {"role": "user", "content": "Tell a story"},
        {"role": "assistant", "content": partial},  # a prefill the model continues from
    ]
    assert sink.lanes == [Text(partial), Text(" there was"), Text(" a kernel.")]
    assert outcome.answer_text == sink.text == "Once upon a time, there was a kernel."
    assert outcome.record.status == "ok"


def test_the_request_carries_the_cells_options() -> None:
    client = FakeClient([text_message("ok")])
    spec = cell("Hi", model="claude-haiku-4-5", max_tokens=77, system="Be brief.", temperature=0.2)
    run_turn(Pipeline(fresh_state(), client_for=ClientFor(client)), spec, [{"role": "user", "content": "Hi"}],
             RecordingSink())
    [sent] = client.requests
    assert (sent["model"], sent["max_tokens"], sent["system"]) == ("claude-haiku-4-5", 77, "Be brief.")
    assert sent["extra_body"] == {"temperature": 0.2}


def test_an_api_error_ends_in_one_line_and_an_error_record() -> None:
    from fake_api import status_error

    client, sink = FakeClient([status_error(404, "not_found_error", "model: claude-nope")]), RecordingSink()
    state = fresh_state(max_retries=0)
    outcome = run_turn(Pipeline(state, client_for=ClientFor(client)), cell("Hi", model="claude-nope"),
                       [{"role": "user", "content": "Hi"}], sink)
    assert outcome.error_line == ("Not found (404): model: claude-nope. "
                                  "Fix: check the model name (-m/--model or %config ClaudeMagic.model).")
    assert (outcome.record.status, outcome.record.error) == ("error", "not_found_error")
    assert sink.endings == [Ending(outcome.footer, outcome.error_line)] and list(state.history) == [outcome.record]
