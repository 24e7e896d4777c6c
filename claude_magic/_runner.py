"""Runs one %%claude cell end to end: request, stream, usage record, final output.

Whatever happens (success, API error, dropped stream, interrupt, Stop) the cell ends in the
same way: the text received stays on screen as the answer, one line says what went wrong and
what to do, and one usage record is written.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from IPython.core.error import UsageError

from . import _client
from ._errors import CELL_RETRY_HINTS, MISSING_KEY_MESSAGE, describe_error, error_type, redact, redact_deep
from ._prompt import PromptError, refuse_secrets
from ._retry import RetryPolicy
from ._session import CellSpec, KernelSession
from ._sinks import MarkdownSink, Sink, TerminalSink
from ._stream import RoundResult, RoundStreamer
from ._turn import TurnResult
from ._usage import UsageHistory, UsageRecord
from ._usage_log import UsageLog, UsageLogError
from ._usage_table import format_footer

__all__ = ["CellRunner", "Conclusion", "Settings", "StopSwitch", "choose_sink", "refuse_secret_prompt", "request_params"]


class Settings(Protocol):
    """The ClaudeMagic traitlets the runner reads."""

    display: str
    prices: dict[str, Any]
    usage_log: str | None
    budget_usd: float | None
    max_retries: int
    retry_cap_s: float
    stall_timeout: float
    tools: list[str]
    max_tool_rounds: int


def _in_kernel(shell: Any) -> bool:
    return type(shell).__name__ == "ZMQInteractiveShell"


def choose_sink(shell: Any, mode: str, *, on_stop: Callable[[], None]) -> Sink:
    """Widget where a front end renders widgets, plain display elsewhere, print in a terminal."""
    if not _in_kernel(shell):
        return TerminalSink()
    if mode == "text":
        return MarkdownSink(markdown=False)
    if mode == "markdown":
        return MarkdownSink()
    from ._widget import WidgetSink, widget_frontend_available

    if mode == "widget" or widget_frontend_available():
        return WidgetSink(on_stop=on_stop)
    return MarkdownSink()


class StopSwitch:
    """Stop from any thread: a widget's comm handler may run on a kernel subshell's thread.

    Each step of the cell (a request, a tool call) runs as its own task through ``run`` so
    Stop cancels exactly the step under way, whichever it is.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.task: asyncio.Future[Any] | None = None
        self.requested = threading.Event()

    def __call__(self) -> None:
        self.requested.set()
        self._loop.call_soon_threadsafe(self._cancel)

    def _cancel(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()

    async def run(self, coro: Any) -> Any:
        if self.requested.is_set():
            coro.close()
            raise asyncio.CancelledError
        self.task = asyncio.ensure_future(coro)
        return await self.task


class _ShownText:
    """Passes everything to the real sink and remembers the text shown (answer + tool lines)."""

    def __init__(self, sink: Sink, turn: TurnResult) -> None:
        self._sink = sink
        self._turn = turn

    def begin(self) -> None:
        self._sink.begin()

    def text(self, delta: str) -> None:
        self._turn.shown_parts.append(delta)
        self._sink.text(delta)

    def notice(self, line: str) -> None:
        self._sink.notice(line)

    def end(self, text: str, *, footer: str, error: str | None) -> None:
        self._sink.end(text, footer=footer, error=error)


class _ToolInputView:
    """Shows a tool call's name and its input forming, from the round's accumulator."""

    REFRESH_S = 0.1

    def __init__(self, sink: Sink, result: Callable[[], RoundResult]) -> None:
        self._sink = sink
        self._result = result
        self._last = 0.0

    def on_event(self, event: Any, ms: float) -> None:
        kind = event.type
        if kind not in ("content_block_start", "content_block_delta", "content_block_stop"):
            return
        accumulator = self._result().accumulator
        block = accumulator.blocks.get(event.index) if accumulator is not None else None
        if block is None or block.type != "tool_use":
            return
        # The model wrote the name and the input: a key in them is redacted (see _errors).
        name = redact(str(block.data.get("name", "?")))
        if kind == "content_block_start":
            self._sink.notice(f"🔧 {name}(…)")
        elif kind == "content_block_delta":
            now = time.monotonic()
            if now - self._last >= self.REFRESH_S:
                self._last = now
                self._sink.notice(f"🔧 {name}({_short(block.raw_input)}")
        else:
            # The whole input, whatever the throttle skipped, before the tool runs.
            self._sink.notice(f"🔧 {name}({_short(block.raw_input)})")


def _chain(*handlers: Callable[[Any, float], None] | None) -> Callable[[Any, float], None]:
    live = [h for h in handlers if h is not None]

    def handle(event: Any, ms: float) -> None:
        for handler in live:
            handler(event, ms)

    return handle


def _short(text: str, limit: int = 160) -> str:
    """Model-written text (tool input) on one line, cut short, secrets redacted."""
    text = " ".join(redact(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _code_span(text: str) -> str:
    """``text`` as one Markdown code span, whatever backticks it holds."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _confirm(question: str) -> bool:
    try:
        return input(question).strip().lower() in ("y", "yes")
    except Exception:  # noqa: BLE001 - a front end without stdin: nothing was confirmed
        return False


def refuse_secret_prompt(*texts: str | None) -> None:
    """One UsageError line, before any request, when a text to send holds the user's key."""
    try:
        refuse_secrets(*texts)
    except PromptError as exc:
        raise UsageError(str(exc)) from None


def request_params(spec: CellSpec, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The Messages API request for ``spec`` with these messages (the last is the new prompt).

    Raises UsageError, before anything is sent, when the prompt or system prompt holds the
    user's API key or auth token.
    """
    refuse_secret_prompt(spec.prompt, spec.system, spec.continue_from)
    params: dict[str, Any] = {"model": spec.model, "max_tokens": spec.max_tokens, "messages": messages}
    if spec.system:
        params["system"] = spec.system
    params.update(_client.sampling_options(temperature=spec.temperature))
    return params


@dataclass(frozen=True)
class Conclusion:
    """How a turn ended, as the user sees it: the record, its footer and the one-line error."""

    record: UsageRecord
    footer: str
    error_line: str | None
    answer_text: str


class CellRunner:
    """One per kernel; ``run`` is awaited on the kernel's own loop for every cell."""

    def __init__(self, *, shell: Any, settings: Settings, session: KernelSession, history: UsageHistory) -> None:
        self._shell = shell
        self._settings = settings
        self._session = session
        self._history = history

    # -- before any request -------------------------------------------------------------
    def check_budget(self) -> None:
        budget = self._settings.budget_usd
        if budget is None:
            return
        spent = self._history.total_cost()
        if spent >= budget:
            raise UsageError(
                f"Budget reached: ${spent:.4f} spent of ${budget:.2f} in this kernel. "
                "Raise it with `%config ClaudeMagic.budget_usd = 10`, or set it to None."
            )

    def endpoint(self) -> _client.Endpoint:
        try:
            return _client.resolve_endpoint(offline_url=self._session.offline_url)
        except _client.MissingKeyError as exc:
            detail = f" ({redact(str(exc))})" if str(exc) else ""
            raise UsageError(MISSING_KEY_MESSAGE + detail) from None

    def build_params(self, spec: CellSpec) -> dict[str, Any]:
        messages = [] if spec.once else self._session.conversation.messages_before(spec.cell_key)
        messages.append({"role": "user", "content": spec.prompt})
        if spec.continue_from:
            # A prefilled assistant turn: the model continues from where the stream broke.
            messages.append({"role": "assistant", "content": spec.continue_from.rstrip()})
        return request_params(spec, messages)

    # -- the cell --------------------------------------------------------------------------
    async def run(self, spec: CellSpec, *, on_event: Callable[[Any, float], None] | None = None) -> str:
        """Stream the cell's answer (every tool round); returns the answer's text.

        Re-raises a kernel interrupt once the cell has been finished, so queued cells abort.
        """
        self.check_budget()
        endpoint = self.endpoint()
        toolbox = self._toolbox(spec)
        client = _client.get_client(endpoint, stall_timeout=self._settings.stall_timeout)
        params = self.build_params(spec)
        if toolbox is not None:
            params["tools"] = toolbox.definitions()
        stop = StopSwitch(asyncio.get_running_loop())
        sink = choose_sink(self._shell, self._settings.display, on_stop=stop)
        policy = RetryPolicy(max_retries=self._settings.max_retries, cap_s=self._settings.retry_cap_s)
        turn = TurnResult()
        sink = _ShownText(sink, turn)

        sink.begin()
        interrupt: BaseException | None = None
        try:
            await self._rounds(spec, params, turn, client=client, sink=sink, policy=policy, stop=stop,
                               toolbox=toolbox, on_event=on_event)
        except (asyncio.CancelledError, KeyboardInterrupt) as exc:
            if not stop.requested.is_set():
                interrupt = exc  # a kernel interrupt: finish the cell, then let it abort the queue
            if stop.task is not None and not stop.task.done():
                stop.task.cancel()
        stopped = interrupt is not None or stop.requested.is_set()
        text = self._finish(spec, turn, sink, stopped=stopped, endpoint=endpoint)
        if interrupt is not None:
            raise interrupt
        return text

    def _toolbox(self, spec: CellSpec) -> Any:
        names = spec.tools if spec.tools is not None else self._settings.tools
        if not names:
            return None
        from ._tool_runner import resolve_tools
        from ._tool_schema import ToolDefinitionError

        try:
            return resolve_tools(names, self._shell.user_ns)
        except ToolDefinitionError as exc:
            raise UsageError(str(exc)) from None

    async def _rounds(
        self,
        spec: CellSpec,
        params: dict[str, Any],
        turn: TurnResult,
        *,
        client: Any,
        sink: Sink,
        policy: RetryPolicy,
        stop: StopSwitch,
        toolbox: Any,
        on_event: Callable[[Any, float], None] | None,
    ) -> None:
        """One request, then one more per round of tool calls, until the model stops asking."""
        max_rounds = self._settings.max_tool_rounds
        while True:
            tool_view = _ToolInputView(sink, lambda: streamer.result)
            streamer = RoundStreamer(client, sink, policy=policy, on_event=_chain(on_event, tool_view.on_event))
            turn.rounds.append(streamer.result)
            await stop.run(streamer.run(params))
            result = streamer.result
            if result.error is not None or result.stop_reason != "tool_use" or toolbox is None:
                return
            if turn.tool_rounds >= max_rounds:
                wanted = ", ".join(b["name"] for b in result.content if b.get("type") == "tool_use")
                turn.note = (
                    f"Stopped after {max_rounds} tool rounds (ClaudeMagic.max_tool_rounds): "
                    f"the model still asked for {wanted}."
                )
                return
            turn.tool_rounds += 1
            results = []
            for call in result.accumulator.tool_calls() if result.accumulator else []:
                outcome = await stop.run(self._call_tool(call, toolbox, sink, confirm=spec.confirm))
                results.append(outcome.to_param())
            params["messages"] = params["messages"] + [
                # The model's own turn goes back too: a key it wrote is not sent again.
                {"role": "assistant", "content": redact_deep(result.content)},
                {"role": "user", "content": results},
            ]

    async def _call_tool(self, call: Any, toolbox: Any, sink: Sink, *, confirm: bool) -> Any:
        from ._tool_runner import ToolOutcome

        name, tool_use_id = call.data.get("name", "?"), call.data.get("id", "")
        raw = call.raw_input or json.dumps(call.data.get("input") or {}, ensure_ascii=False)
        shown = f"{redact(str(name))}({_short(raw)})"
        sink.notice("")
        # Part of the answer's Markdown, so it goes through the one renderer like the answer.
        sink.text(f"\n\n> 🔧 {_code_span(shown)}\n")
        if confirm and not _confirm(f"Run {shown}? [y/N] "):
            outcome = ToolOutcome(tool_use_id=tool_use_id, content="The user declined to run this tool.",
                                  is_error=True, display="declined")
        else:
            # The raw JSON as it came: input that does not parse becomes an is_error result.
            outcome = await toolbox.call(tool_use_id=tool_use_id, name=name, raw_input=raw)
        mark = "⚠ " if outcome.is_error else ""
        sink.text(f"> ↳ {mark}{_short(outcome.display)}\n\n")
        return outcome

    def conclude(
        self,
        spec: CellSpec,
        turn: TurnResult,
        *,
        stopped: bool,
        endpoint: _client.Endpoint,
        hints: tuple[str, str] = CELL_RETRY_HINTS,
    ) -> Conclusion:
        """Record a finished turn (history and usage log) and say how it ended."""
        last = turn.rounds[-1] if turn.rounds else RoundResult()
        exc = last.error
        answer = turn.answer_text
        text = (spec.continue_from or "") + answer if spec.continue_from else answer
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
                stall_timeout=self._settings.stall_timeout,
                attempts=last.attempts,
                hints=hints,
            )
        else:
            error_line = turn.note
        record = turn.record(spec, status=status, error=error_type(exc) if status == "error" and exc else None,
                             prices=self._settings.prices)
        self._history.append(record)
        log_problem = self._write_log(record)
        footer = format_footer(record)
        retries = sum(r.attempts - 1 for r in turn.rounds if r.attempts > 1)
        if retries:
            footer += f" · {retries} {'retry' if retries == 1 else 'retries'}"
        if last.stop_reason == "max_tokens":
            footer += f" · stopped at max_tokens ({spec.max_tokens})"
        return Conclusion(record=record, footer=footer, error_line=error_line or log_problem, answer_text=text)

    def _finish(self, spec: CellSpec, turn: TurnResult, sink: Sink, *, stopped: bool,
                endpoint: _client.Endpoint) -> str:
        ended = self.conclude(spec, turn, stopped=stopped, endpoint=endpoint)
        shown = (spec.continue_from or "") + turn.shown if spec.continue_from else turn.shown
        sink.end(shown, footer=ended.footer, error=ended.error_line)
        text = ended.answer_text
        if text and not spec.once:
            # Later requests carry this turn: no key the model wrote goes back to the API.
            self._session.conversation.record(spec.cell_key, spec.prompt, redact(text))
        if spec.out:
            self._shell.user_ns[spec.out] = text
        self._session.last_spec = spec
        self._session.last_partial = text
        return text

    def _write_log(self, record: UsageRecord) -> str | None:
        path = self._settings.usage_log
        if not path:
            return None
        try:
            UsageLog(path).append(record, session=self._session.session_id)
        except UsageLogError as exc:
            return str(exc)
        return None
