"""The chat playground: ``claude_magic.Chat()``, a widget that streams answers into a transcript.

Send and Stop are widget events. Send arrives while no cell runs (or on a kernel subshell's
thread), so it is handed to the kernel's own event loop, captured when the Chat is created in
a cell, with ``call_soon_threadsafe``; the answers stream there as one task, the same loop
``%%claude`` cells use. Stop cancels that task's requests from any thread (``StopSwitch``).

Each answer goes through the same request pipeline as a ``%%claude`` cell
(``claude_magic.core.pipeline``): the same client, retry policy, usage record in
``claude_magic.history`` and the usage log, footer and error line. The answer's view is a
lane renderer over the live area's ``LiveFeed``, so only new text travels, finished Markdown
blocks as safe HTML; the answers of one prompt share a ``FeedGroup``, so comparing three models
sends one message an update, not three. With ``compare=[...]`` the same prompt goes to every model at once
(``asyncio.gather``) and each model keeps its own thread of the conversation.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import pathlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import anywidget
import traitlets

from ..core.conversation import Conversation
from ..core.errors import CHAT_RETRY_HINTS, redact
from ..core.pipeline import Pipeline, StopSwitch
from ..core.session import CellSpec
from ..core.settings import request_options
from ..core.state import kernel_state
from ..exceptions import Interrupted, UserError
from ..secrets import redact_deep, refuse_secrets
from ..usage.record import UsageRecord
from .lanes import LaneRenderer
from .transcript import ChatTranscript, TranscriptTurn
from .widget import FeedGroup, ThinkingFeed, _let_front_end_choose_subshell, _shared_layout

__all__ = ["Chat", "ChatAnswer"]

_HERE = pathlib.Path(__file__).parent
_LIVE_IMPORT = re.compile(r'from "\./widget\.js";')


def _module_source() -> str:
    """``chat.js`` with its import of ``./widget.js`` pointed at that file's text.

    anywidget loads a widget's module from a blob URL, where a relative import cannot resolve;
    a data: URL of the live area's module lets both widgets share one copy of its DOM code.
    """
    live = base64.b64encode((_HERE / "widget.js").read_bytes()).decode()
    chat = (_HERE / "chat.js").read_text(encoding="utf-8")
    source, found = _LIVE_IMPORT.subn(f'from "data:text/javascript;base64,{live}";', chat)
    assert found == 1, "chat.js must import from ./widget.js exactly once"
    return source


@dataclass(frozen=True)
class ChatAnswer:
    """One model's answer to one prompt: its text (partial when stopped), usage, error line."""

    model: str
    text: str
    record: UsageRecord | None
    error: str | None = None


def _kernel_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()  # a cell of ipykernel runs on the kernel's loop
    except RuntimeError:
        pass
    from IPython import get_ipython

    io_loop = getattr(getattr(get_ipython(), "kernel", None), "io_loop", None)
    return getattr(io_loop, "asyncio_loop", None)


class _AnswerView(LaneRenderer):
    """The sink of one answer: one column of the transcript."""

    def __init__(self, chat: Chat, answer: list[int], group: FeedGroup) -> None:
        super().__init__()
        self._send = lambda message: chat._post({"answer": answer, **message})
        self._feed = group.feed(lambda message: {"answer": answer, **message})
        self._thinking_feed = ThinkingFeed(self._send)

    def begin(self) -> None:
        self.start_waiting()

    def text(self, delta: str) -> None:
        self._feed.push(delta)

    def thinking(self, delta: str) -> None:
        self._thinking_feed.push(delta)

    def fold_thinking(self) -> None:
        self._thinking_feed.fold()

    def notice(self, line: str) -> None:
        self._send({"notice": line})

    def finish(self, text: str, *, footer: str, error: str | None) -> None:
        self.stop_waiting()
        # Everything that arrived stays on screen, its last block rendered (the thinking folded).
        if self.thinking_transcript:
            self._thinking_feed.fold()
        self._feed.finish()
        self._send({"notice": "", "footer": footer, "error": error, "done": True})


class Chat(anywidget.AnyWidget):
    """A chat playground: prompt box, model, system prompt, temperature, max tokens, Send, Stop.

    ``Chat(compare=["model-a", "model-b"])`` sends every prompt to each model at once and
    shows the answers side by side. From Python: ``await chat.send("...")`` (one
    :class:`ChatAnswer` per model), ``chat.stop()``, ``chat.messages``, ``chat.reset()``.
    """

    _esm = _module_source()
    _css = (_HERE / "widget.css").read_text(encoding="utf-8") + (_HERE / "chat.css").read_text(encoding="utf-8")

    model = traitlets.Unicode(help="The model that answers (the first of `compare` when comparing).").tag(sync=True)
    models = traitlets.List(traitlets.Unicode(), help="The model selector's choices.").tag(sync=True)
    compare = traitlets.List(traitlets.Unicode(), help="Models that all answer each prompt.").tag(sync=True)
    system = traitlets.Unicode("", help="System prompt; empty for none.").tag(sync=True)
    temperature = traitlets.Float(None, allow_none=True, help="0 to 1; None: the API's default.").tag(sync=True)
    max_tokens = traitlets.Int(help="Largest answer, in tokens.").tag(sync=True)
    busy = traitlets.Bool(False, help="An answer is streaming.").tag(sync=True)

    def __init__(
        self,
        *,
        model: str | None = None,
        compare: Sequence[str] | None = None,
        system: str = "",
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> None:
        settings = kernel_state().settings
        compare = list(compare or [])
        model = model or (compare[0] if compare else settings.model)
        choices = list(dict.fromkeys([model, *compare, *_suggested_models()]))
        super().__init__(
            model=model,
            models=choices,
            compare=compare,
            system=system or "",
            temperature=temperature,
            max_tokens=max_tokens or settings.max_tokens,
            layout=_shared_layout(),
        )
        self._loop = _kernel_loop()
        #: The conversation: one (key None) whatever the selected model, or one per compared model.
        self._threads: dict[str | None, Conversation] = {}
        self._turn_ids = itertools.count(1)
        self._task: asyncio.Task[list[ChatAnswer]] | None = None
        self._switches: list[StopSwitch] = []
        #: Finished turns, for :meth:`transcript` (what a saved notebook keeps).
        self._done: list[TranscriptTurn] = []
        self.on_msg(self._handle_custom)
        _let_front_end_choose_subshell(self.comm)  # Stop during `await chat.send(...)`
        self._models_task = self._offer_api_models()

    def _offer_api_models(self) -> asyncio.Task[None] | None:
        """Fill the selector with the endpoint's own models (``GET /v1/models``), in the
        background; the price table's models stay until (and if) that answers."""
        if self._loop is None or not self._loop.is_running():
            return None
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return None
        return asyncio.ensure_future(self._load_models())

    async def _load_models(self) -> None:
        from ..core.client import get_client
        from ..core.models import list_models

        try:
            endpoint = Pipeline(kernel_state()).preflight()
            offered = await asyncio.wait_for(list_models(get_client(endpoint, stall_timeout=10.0)), 10.0)
        except Exception:  # noqa: BLE001 - no key, offline, an old server: keep the fallback list
            return
        if offered:
            chosen = [self.model, *self.compare]
            self.models = list(dict.fromkeys([*chosen, *offered]))

    # -- what nbval and people see -------------------------------------------------------------
    def __repr__(self) -> str:
        # Deterministic (nbval compares text/plain): no memory address.
        if self.compare:
            return f"Chat(compare={list(self.compare)!r})"
        return f"Chat(model={self.model!r})"

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        if not self._done:
            return {**data, "text/plain": repr(self)}, metadata
        # Displayed again after some turns: the snapshot travels with the view, so a saved
        # notebook (or GitHub, which shows no widgets) still reads the conversation.
        return {**data, **self.transcript()._repr_mimebundle_()}, metadata

    def transcript(self) -> ChatTranscript:
        """The conversation so far as a static output (``text/plain`` and safe ``text/html``):
        end a notebook with ``chat.transcript()`` to save what was said through the widget."""
        return ChatTranscript(repr(self), self._done)

    # -- the conversation ------------------------------------------------------------------------
    @property
    def messages(self) -> list[dict[str, Any]]:
        """The conversation so far, as the Messages API takes it (a copy). With ``compare``,
        each model keeps its own thread: this is the first model's (see :attr:`threads`)."""
        key = self.compare[0] if self.compare else None
        thread = self._threads.get(key)
        return thread.messages() if thread is not None else []

    @property
    def threads(self) -> dict[str, list[dict[str, Any]]]:
        """Each model's conversation (a copy), by model: one entry unless comparing."""
        return {key or self.model: thread.messages() for key, thread in self._threads.items()}

    def reset(self) -> None:
        """Forget the conversation and clear the transcript."""
        self.stop()
        self._threads.clear()
        self._done.clear()
        self._post({"reset": True})

    # -- sending ---------------------------------------------------------------------------------
    def send(self, content: Any, buffers: Any = None) -> Any:
        """``chat.send("prompt")``: ask, and return the task that streams the answers.

        Await it in a cell (``answers = await chat.send("hi")``): it gives one
        :class:`ChatAnswer` per model. Call it on the kernel's loop (from a cell).
        A dict is a message to the front end (anywidget's own ``send``).
        """
        if not isinstance(content, str):
            return self._post(content, buffers)
        return self._start(content, cell=_current_cell())

    def _post(self, message: dict[str, Any], buffers: Any = None) -> None:
        """A custom message to the front end (see ``chat.js``)."""
        anywidget.AnyWidget.send(self, message, buffers)

    def stop(self) -> None:
        """Stop the answers that are streaming (from any thread); what arrived is kept."""
        for switch in self._switches:
            switch()

    def _start(self, prompt: str, *, cell: int | None) -> asyncio.Task[list[ChatAnswer]]:
        prompt = prompt.strip()
        if not prompt:
            raise ValueError("The prompt is empty.")
        if self._task is not None and not self._task.done():
            raise RuntimeError("An answer is still streaming: await it, or call chat.stop() first.")
        loop = asyncio.get_running_loop()
        self._loop = loop
        models = list(self.compare) or [self.model]
        self._switches = [StopSwitch(loop) for _ in models]
        self.busy = True
        self._task = loop.create_task(self._turn(prompt, models, self._switches, cell=cell))
        self._task.add_done_callback(self._show_failure)
        return self._task

    def _show_failure(self, task: asyncio.Task[list[ChatAnswer]]) -> None:
        # A bug, not an API error (those end in the answer's own error line): say so, once.
        # A kernel interrupt (Interrupted) already ended each answer with its "Stopped" line.
        if not task.cancelled() and task.exception() is not None and not isinstance(task.exception(), Interrupted):
            exc = task.exception()
            self._post({"notice": redact(f"The chat failed: {type(exc).__name__}: {exc}")})

    def _handle_custom(self, _widget: Any, content: Any, _buffers: Any) -> None:
        # Maybe on a subshell's thread: hand everything but Stop to the kernel's loop.
        if not isinstance(content, dict):
            return
        if content.get("stop"):
            self.stop()
        elif isinstance(content.get("send"), str) and self._loop is not None:
            self._loop.call_soon_threadsafe(self._send_from_widget, content["send"])

    def _send_from_widget(self, prompt: str) -> None:
        try:
            self._start(prompt, cell=None)
        except (ValueError, RuntimeError) as exc:
            self._post({"notice": str(exc)})

    async def _turn(self, prompt: str, models: list[str], switches: list[StopSwitch], *,
                    cell: int | None) -> list[ChatAnswer]:
        turn = next(self._turn_ids)
        try:
            self._post({"turn": turn, "prompt": redact(prompt), "models": models})
            pipeline = Pipeline(kernel_state())
            try:
                endpoint = pipeline.preflight()
                refuse_secrets(prompt, self.system or None)  # shown as the turn's error line
            except UserError as exc:
                self._post({"turn": turn, "error": str(exc)})
                return [ChatAnswer(model, "", None, str(exc)) for model in models]
            # The answers' live text leaves together: one message an update for all models.
            group = FeedGroup(lambda batch: self._post(batch[0] if len(batch) == 1 else {"answers": batch}))
            answers = [
                self._answer(pipeline, prompt, model, [turn, i], switch, group, endpoint=endpoint, cell=cell)
                for i, (model, switch) in enumerate(zip(models, switches))
            ]
            done = list(await asyncio.gather(*answers))
            self._done.append((prompt, [(a.model, a.text, _footer(a), a.error) for a in done]))
            return done
        finally:
            self.busy = False

    async def _answer(self, pipeline: Pipeline, prompt: str, model: str, answer: list[int], stop: StopSwitch,
                      group: FeedGroup, *, endpoint: Any, cell: int | None) -> ChatAnswer:
        thread = self._threads.setdefault(model if self.compare else None, Conversation())
        spec = CellSpec(prompt=prompt, model=model, max_tokens=self.max_tokens, system=self.system or None,
                        temperature=self.temperature, out=None, new=False, once=False, cell=cell,
                        **request_options(pipeline.settings))
        messages = [*thread.messages(), {"role": "user", "content": prompt}]
        view = _AnswerView(self, answer, group)
        try:
            plan = await pipeline.plan(spec, endpoint)
        except UserError as exc:
            # An option of ClaudeMagic this model does not take: said under the answer, nothing sent.
            view.finish("", footer="", error=str(exc))
            return ChatAnswer(model, "", None, str(exc))
        outcome = await pipeline.run(spec, messages, view, stop=stop, endpoint=endpoint,
                                     hints=CHAT_RETRY_HINTS, plan=plan)
        thread.record(answer[0], prompt, redact_deep(outcome.content))  # nothing is recorded for an empty answer
        outcome.raise_interrupt()
        return ChatAnswer(model, outcome.answer_text, outcome.record, outcome.error_line)


def _footer(answer: ChatAnswer) -> str:
    from ..usage.footer import format_footer

    return format_footer(answer.record) if answer.record is not None else ""


def _current_cell() -> int | None:
    return kernel_state().current_cell()


def _suggested_models() -> list[str]:
    """The selector's first choices, until the API's list arrives (or if it never does):
    the current models of the price table, every family (Haiku too)."""
    from ..usage.pricing import PRICES

    return [m for m in PRICES if not m.startswith("claude-3")]
