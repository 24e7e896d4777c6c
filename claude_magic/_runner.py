"""Runs one %%claude cell end to end: request, stream, usage record, final output.

Whatever happens (success, API error, dropped stream, interrupt, Stop) the cell ends in the
same way: the text received stays on screen as the answer, one line says what went wrong and
what to do, and one usage record is written.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import threading
from typing import Any, Callable

from IPython.core.error import UsageError

from . import _client
from ._errors import MISSING_KEY_MESSAGE, describe_error, error_type, redact
from ._pricing import cost_usd
from ._retry import RetryPolicy
from ._session import CellSpec, KernelSession
from ._sinks import MarkdownSink, Sink, TerminalSink
from ._stream import RoundResult, RoundStreamer
from ._usage import UsageRecord
from ._usage_log import UsageLog, UsageLogError
from ._usage_table import format_footer

__all__ = ["CellRunner", "Settings", "choose_sink"]


class Settings:
    """The ClaudeMagic traitlets the runner reads (duck-typed so tests can pass a namespace)."""

    display: str
    prices: dict[str, Any]
    usage_log: str | None
    budget_usd: float | None
    max_retries: int
    retry_cap_s: float
    stall_timeout: float


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


class _StopSwitch:
    """Stop from any thread: a widget's comm handler may run on a kernel subshell's thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.task: asyncio.Future[Any] | None = None
        self.requested = threading.Event()

    def __call__(self) -> None:
        self.requested.set()
        task = self.task
        if task is not None:
            self._loop.call_soon_threadsafe(task.cancel)


def _now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


class CellRunner:
    """One per kernel; ``run`` is awaited on the kernel's own loop for every cell."""

    def __init__(self, *, shell: Any, settings: Any, session: KernelSession, history: list[UsageRecord]) -> None:
        self._shell = shell
        self._settings = settings
        self._session = session
        self._history = history

    # -- before any request -------------------------------------------------------------
    def check_budget(self) -> None:
        budget = self._settings.budget_usd
        if budget is None:
            return
        spent = sum(r.cost_usd or 0.0 for r in self._history)
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
        params: dict[str, Any] = {"model": spec.model, "max_tokens": spec.max_tokens, "messages": messages}
        if spec.system:
            params["system"] = spec.system
        if spec.temperature is not None:
            params["temperature"] = spec.temperature
        return params

    # -- the cell --------------------------------------------------------------------------
    async def run(self, spec: CellSpec, *, on_event: Callable[[Any, float], None] | None = None) -> str:
        """Stream the cell's answer; returns the text shown. Re-raises a kernel interrupt."""
        self.check_budget()
        endpoint = self.endpoint()
        client = _client.get_client(endpoint, stall_timeout=self._settings.stall_timeout)
        params = self.build_params(spec)
        loop = asyncio.get_running_loop()
        stop = _StopSwitch(loop)
        sink = choose_sink(self._shell, self._settings.display, on_stop=stop)
        policy = RetryPolicy(max_retries=self._settings.max_retries, cap_s=self._settings.retry_cap_s)
        streamer = RoundStreamer(client, sink, policy=policy, on_event=on_event)
        started_at = _now_iso()

        sink.begin()
        task = asyncio.ensure_future(streamer.run(params))
        stop.task = task
        interrupt: BaseException | None = None
        try:
            await task
        except (asyncio.CancelledError, KeyboardInterrupt) as exc:
            if not stop.requested.is_set():
                interrupt = exc  # a kernel interrupt: finish the cell, then let it abort the queue
            if not task.done():
                task.cancel()
        status = "interrupted" if (interrupt is not None or stop.requested.is_set()) else None
        text = self._finish(spec, streamer.result, sink, status=status, started_at=started_at, endpoint=endpoint)
        if interrupt is not None:
            raise interrupt
        return text

    def _finish(
        self,
        spec: CellSpec,
        result: RoundResult,
        sink: Sink,
        *,
        status: str | None,
        started_at: str,
        endpoint: _client.Endpoint,
    ) -> str:
        exc = result.error
        text = (spec.continue_from or "") + result.text if spec.continue_from else result.text
        if status is None:
            status = "error" if exc is not None else "ok"
        if status == "interrupted":
            error_line = "Stopped: the partial answer is kept. Run %claude_retry --continue to go on from it." if text else "Stopped before any answer arrived."
        elif exc is not None:
            error_line = describe_error(
                exc,
                partial=result.shown_anything,
                base_url=endpoint.base_url,
                stall_timeout=self._settings.stall_timeout,
                attempts=result.attempts,
            )
        else:
            error_line = None
        record = UsageRecord(
            cell=spec.cell,
            model=spec.model,
            input_tokens=result.input_tokens,
            output_tokens=result.output_tokens,
            cache_creation_input_tokens=result.cache_creation_input_tokens,
            cache_read_input_tokens=result.cache_read_input_tokens,
            ttft_s=result.ttft_s,
            duration_s=result.duration_s,
            output_tokens_per_s=result.output_tokens_per_s,
            stop_reason=result.stop_reason,
            status=status,  # type: ignore[arg-type]
            error=redact(error_type(exc)) if exc is not None and status == "error" else None,
            cost_usd=cost_usd(
                spec.model,
                input_tokens=result.input_tokens,
                output_tokens=result.output_tokens,
                cache_creation_input_tokens=result.cache_creation_input_tokens,
                cache_read_input_tokens=result.cache_read_input_tokens,
                prices=self._settings.prices,
            ),
            request_id=result.request_id,
            started_at=started_at,
        )
        self._history.append(record)
        log_problem = self._write_log(record)
        footer = format_footer(record)
        if result.stop_reason == "max_tokens":
            footer += f" · stopped at max_tokens ({spec.max_tokens})"
        sink.end(text, footer=footer, error=error_line or log_problem)
        if text and not spec.once:
            self._session.conversation.record(spec.cell_key, spec.prompt, text)
        if spec.out:
            self._shell.user_ns[spec.out] = text
        self._session.last_spec = spec
        self._session.last_partial = text
        self._session.last_failed = status != "ok"
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
