"""The one request pipeline that every front end calls: %%claude, %claude_retry and the Chat.

A request is checked (budget, key), built, streamed with retries into a sink, extended by
rounds of tool calls, and concluded (usage record into the history and the usage log, footer,
one error line) here and only here. Whatever happens (success, API error, dropped stream,
interrupt, Stop) it ends the same way: the text received stays on screen as the answer, one
line says what went wrong and what to do, and one usage record is written. A front end adds
only what is its own: which sink, where the conversation is kept, what a variable receives.
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass
from typing import Any, Callable

from ..exceptions import BudgetError, Interrupted, MissingKeyError, UsageLogError
from ..secrets import redact_deep, refuse_secrets
from ..usage.footer import format_footer
from ..usage.log import UsageLog
from ..usage.record import UsageRecord
from . import client as _client
from .capabilities import RequestPlan, plan_request
from .errors import CELL_RETRY_HINTS, MISSING_KEY_MESSAGE, describe_error, error_type, redact
from .lanes import Ending, Sink, Text, ToolResult
from .media import MediaSupport, prepare_media
from .retry import RetryPolicy
from .session import CellSpec
from .state import Answer, KernelState, kernel_state
from .stream import RoundResult, RoundStreamer
from .turn import TurnResult

__all__ = ["Pipeline", "Outcome", "StopSwitch", "request_params"]

#: Builds (or reuses) the SDK client for an endpoint; tests inject a fake one.
ClientFor = Callable[[_client.Endpoint, float], Any]
#: Asks the user whether a tool may run: (tool name, its input as JSON) -> yes?
Confirm = Callable[[str, str], bool]
EventHandler = Callable[[Any, float], None]


def refuse_secrets_in(spec: CellSpec) -> None:
    """A ``UserError`` when the prompt, system prompt, continuation or an attached text file
    (a .env, a config: sent as it is) holds the user's key or token."""
    documents = [a.block["source"]["data"] for a in spec.attachments if a.kind == "text"]
    refuse_secrets(spec.prompt, spec.system, spec.continue_from, *documents)


class StopSwitch:
    """Stop from any thread: a widget's comm handler may run on a kernel subshell's thread.

    Each step of a turn (a request, a tool call) runs as its own task through ``run``, so
    Stop cancels exactly the step under way, whichever it is.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.task: asyncio.Future[Any] | None = None
        self.requested = threading.Event()

    def __call__(self) -> None:
        self.requested.set()
        self._loop.call_soon_threadsafe(self.cancel_step)

    def cancel_step(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()

    async def run(self, coro: Any) -> Any:
        if self.requested.is_set():
            coro.close()
            raise asyncio.CancelledError
        self.task = asyncio.ensure_future(coro)
        return await self.task


def request_params(spec: CellSpec, messages: list[dict[str, Any]], plan: RequestPlan | None = None) -> dict[str, Any]:
    """The Messages API request for ``spec`` with these messages (the last is the new prompt),
    carrying what ``plan`` decided for the model (thinking, effort, format, cache)."""
    params: dict[str, Any] = {"model": spec.model, "max_tokens": spec.max_tokens, "messages": messages}
    if spec.system:
        params["system"] = spec.system
    if plan is not None:
        plan.apply(params)
    params.update(_client.sampling_options(temperature=spec.temperature))
    return params


@dataclass(frozen=True)
class Outcome:
    """How a turn ended: its record, the lines under it, the answer, and a pending interrupt."""

    record: UsageRecord
    footer: str
    error_line: str | None
    answer_text: str
    #: A kernel interrupt caught while streaming: the front end raises it again (as
    #: :class:`Interrupted`, one line) once it has kept the answer, so queued cells abort.
    interrupt: BaseException | None = None
    #: The assistant turn for the conversation: the text, or signed thinking blocks and the text.
    content: Any = ""
    #: With --json: the validated answer (a pydantic instance or a dict), else None.
    value: Any = None

    def raise_interrupt(self) -> None:
        if self.interrupt is not None:
            raise Interrupted(self.error_line or "Stopped.") from None


def _pretty_json(outcome: Outcome) -> str | None:
    """A validated --json answer, indented in a fenced block for the final output."""
    if outcome.value is None or outcome.record.rounds:
        return None  # no validated value, or a tool loop's transcript holds more than the JSON
    try:
        data = json.loads(outcome.answer_text)
    except json.JSONDecodeError:
        return None
    return "```json\n" + json.dumps(data, indent=2, ensure_ascii=False) + "\n```"


class Pipeline:
    """One per kernel (see :func:`claude_magic.core.state.kernel_state`)."""

    def __init__(self, state: KernelState | None = None, *, client_for: ClientFor | None = None) -> None:
        self._state = state or kernel_state()
        self._client_for = client_for or (lambda endpoint, stall: _client.get_client(endpoint, stall_timeout=stall))
        self._media = MediaSupport()

    @property
    def settings(self) -> Any:
        return self._state.settings

    # -- before any request ----------------------------------------------------------------
    def preflight(self) -> _client.Endpoint:
        """Where the request goes; a :class:`UserError` (budget spent, no key) sends nothing."""
        budget = self.settings.budget_usd
        if budget is not None:
            spent = self._state.history.total_cost()
            if spent >= budget:
                raise BudgetError(
                    f"Budget reached: ${spent:.4f} spent of ${budget:.2f} in this kernel. "
                    "Raise it with `%config ClaudeMagic.budget_usd = 10`, or set it to None."
                )
        try:
            return _client.resolve_endpoint(offline_url=self._state.session.offline_url)
        except MissingKeyError as exc:
            detail = f" ({redact(str(exc))})" if str(exc) else ""
            raise MissingKeyError(MISSING_KEY_MESSAGE + detail) from None

    async def plan(self, spec: CellSpec, endpoint: _client.Endpoint) -> RequestPlan:
        """What ``spec`` sends on its model, from the model's capabilities (asked once per
        endpoint and model); a :class:`UserError` line when an option does not fit the model,
        or when the prompt holds the user's own key (before the capability look-up sends anything)."""
        refuse_secrets_in(spec)
        settings = self.settings
        client = self._client_for(endpoint, settings.stall_timeout)
        cache = self._state.capabilities
        key = endpoint.cache_key()
        caps = await cache.get(client, key, spec.model)
        plan = plan_request(spec, caps, cache=spec.cache, cache_ttl=spec.cache_ttl, warn_deprecated=False)
        if caps is not None and caps.lifecycle == "deprecated" and cache.first_warning(key, spec.model):
            plan = plan_request(spec, caps, cache=spec.cache, cache_ttl=spec.cache_ttl)
        return plan

    # -- one turn --------------------------------------------------------------------------
    async def run(
        self,
        spec: CellSpec,
        messages: list[dict[str, Any]],
        sink: Sink,
        *,
        stop: StopSwitch,
        endpoint: _client.Endpoint | None = None,
        toolbox: Any = None,
        confirm: Confirm | None = None,
        on_event: EventHandler | None = None,
        hints: tuple[str, str] = CELL_RETRY_HINTS,
        plan: RequestPlan | None = None,
        interrupt_line_in_sink: bool = True,
    ) -> Outcome:
        """Stream one turn (every round of tool calls) into ``sink`` and conclude it.

        Raises a :class:`UserError` before anything is sent or shown when the budget is spent,
        there is no key, the prompt holds the user's own key or token, or an attachment cannot
        go to this model. ``interrupt_line_in_sink=False``: after a kernel interrupt the sink
        ends without the "Stopped" line, because the caller raises it as the cell's one error line.
        """
        refuse_secrets_in(spec)
        endpoint = endpoint or self.preflight()
        settings = self.settings
        plan = plan or await self.plan(spec, endpoint)
        client = self._client_for(endpoint, settings.stall_timeout)
        params = request_params(spec, messages, plan)
        if toolbox is not None:
            params["tools"] = toolbox.definitions()
        if spec.attachments:
            await prepare_media(spec.parts, params, client=client, endpoint=endpoint.base_url, model=spec.model,
                                support=self._media)
        turn = TurnResult()
        sink.begin()
        if spec.continue_from:
            # The answer so far, which this turn continues (without the trailing whitespace a
            # prefill may not end with: the rest brings its own).
            sink.push(Text(spec.continue_from.rstrip()))
        interrupt: BaseException | None = None
        try:
            await self._rounds(spec, params, turn, client=client, sink=sink, stop=stop, toolbox=toolbox,
                               confirm=confirm, on_event=on_event)
        except (asyncio.CancelledError, KeyboardInterrupt) as exc:
            if not stop.requested.is_set():
                interrupt = exc  # a kernel interrupt: finish the turn, then let the caller re-raise
            stop.cancel_step()
        stopped = interrupt is not None or stop.requested.is_set()
        if plan.warning and turn.note is None:
            turn.note = plan.warning
        outcome = self.conclude(spec, turn, stopped=stopped, endpoint=endpoint, hints=hints, interrupt=interrupt,
                                max_tokens=plan.max_tokens)
        shown = None if interrupt is not None and not interrupt_line_in_sink else outcome.error_line
        sink.end(Ending(outcome.footer, shown, answer=_pretty_json(outcome)))
        return outcome

    async def _rounds(self, spec: CellSpec, params: dict[str, Any], turn: TurnResult, *, client: Any, sink: Sink,
                      stop: StopSwitch, toolbox: Any, confirm: Confirm | None,
                      on_event: EventHandler | None) -> None:
        """One request, then one more per round of tool calls, until the model stops asking."""
        settings = self.settings
        policy = RetryPolicy(max_retries=settings.max_retries, cap_s=settings.retry_cap_s)
        while True:
            streamer = RoundStreamer(client, sink, policy=policy, on_event=on_event)
            turn.rounds.append(streamer.result)
            await stop.run(streamer.run(params))
            result = streamer.result
            if result.error is not None or result.stop_reason != "tool_use" or toolbox is None:
                return
            if turn.tool_rounds >= settings.max_tool_rounds:
                wanted = ", ".join(b["name"] for b in result.content if b.get("type") == "tool_use")
                turn.note = (
                    f"Stopped after {settings.max_tool_rounds} tool rounds (ClaudeMagic.max_tool_rounds): "
                    f"the model still asked for {wanted}."
                )
                return
            turn.tool_rounds += 1
            results = []
            for call in result.accumulator.tool_calls() if result.accumulator else []:
                outcome = await stop.run(self._call_tool(call, toolbox, sink, confirm=confirm))
                results.append(outcome.to_param())
            params["messages"] = params["messages"] + [
                # The model's own turn goes back too: a key it wrote is not sent again.
                {"role": "assistant", "content": redact_deep(result.content)},
                {"role": "user", "content": results},
            ]

    async def _call_tool(self, call: Any, toolbox: Any, sink: Sink, *, confirm: Confirm | None) -> Any:
        from ..tools.runner import ToolOutcome

        name, tool_use_id = call.data.get("name", "?"), call.data.get("id", "")
        raw = call.raw_input or json.dumps(call.data.get("input") or {}, ensure_ascii=False)
        if confirm is not None and not confirm(name, raw):
            outcome = ToolOutcome(tool_use_id=tool_use_id, content="The user declined to run this tool.",
                                  is_error=True, display="declined")
        else:
            # The raw JSON as it came: input that does not parse becomes an is_error result.
            outcome = await toolbox.call(tool_use_id=tool_use_id, name=name, raw_input=raw)
        sink.push(ToolResult(name=name, input=raw, display=outcome.display, is_error=outcome.is_error))
        return outcome

    # -- the end of a turn -----------------------------------------------------------------
    def conclude(
        self,
        spec: CellSpec,
        turn: TurnResult,
        *,
        stopped: bool,
        endpoint: _client.Endpoint,
        hints: tuple[str, str] = CELL_RETRY_HINTS,
        interrupt: BaseException | None = None,
        max_tokens: int | None = None,
    ) -> Outcome:
        """Record a finished turn (history and usage log) and say how it ended; ``max_tokens``
        is what the request carried (thinking's room included), for the footer."""
        settings = self.settings
        last = turn.rounds[-1] if turn.rounds else RoundResult()
        exc = last.error
        answer = turn.answer_text
        # A continuation joins as it streamed: its leading space or line break is the seam.
        text = spec.continue_from.rstrip() + "".join(r.text for r in turn.rounds) if spec.continue_from else answer
        status = "interrupted" if stopped else ("error" if exc is not None else "ok")
        if stopped:
            error_line: str | None = (
                f"Stopped: the partial answer is kept. {hints[1]}" if text else "Stopped before any answer arrived."
            )
        elif exc is not None:
            error_line = describe_error(
                exc,
                partial=any(r.shown_anything for r in turn.rounds),
                base_url=endpoint.base_url,
                stall_timeout=settings.stall_timeout,
                attempts=last.attempts,
                hints=hints,
            )
        else:
            error_line = turn.note
        value = None
        if spec.output is not None and status == "ok" and answer:
            checked = spec.output.check(answer)
            value = checked.value
            error_line = checked.error or error_line
        record = turn.record(spec, status=status, error=error_type(exc) if status == "error" and exc else None,
                             prices=settings.prices, emulated=endpoint.offline)
        self._state.history.append(record)
        log_problem = self._write_log(record)
        footer = format_footer(record, max_tokens=max_tokens or spec.max_tokens)
        self._state.answers.append(Answer(text, record, footer))
        return Outcome(record=record, footer=footer, error_line=error_line or log_problem, answer_text=text,
                       interrupt=interrupt, content=turn.assistant_content(text), value=value)

    def _write_log(self, record: UsageRecord) -> str | None:
        path = self.settings.usage_log
        if not path:
            return None
        try:
            UsageLog(path).append(record, session=self._state.session.session_id)
        except UsageLogError as exc:
            return str(exc)
        return None
