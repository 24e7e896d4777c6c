"""A %%claude cell through the pipeline: the IPython side of one turn.

The pipeline streams and concludes; this adds what belongs to a cell: the display chosen for
this front end, the conversation keyed by cell, ``-o`` into the user's namespace, the tool
functions found in it, ``--confirm`` asked on stdin, and IPython's one-line ``UsageError`` for
a user's mistake.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

from IPython.core.error import UsageError

from ..core.continuation import continue_messages
from ..core.pipeline import Pipeline, StopSwitch
from ..core.session import CellSpec
from ..core.state import KernelState
from ..display.choose import choose_sink
from ..display.code_blocks import python_code
from ..display.lanes import tool_call
from ..exceptions import UserError
from ..secrets import redact_deep
from .frontend import in_kernel

__all__ = ["CellRunner", "confirm_on_stdin"]


def confirm_on_stdin(name: str, raw_input: str) -> bool:
    """``--confirm``: ask through the kernel's stdin channel (or the terminal)."""
    try:
        return input(f"Run {tool_call(name, raw_input)}? [y/N] ").strip().lower() in ("y", "yes")
    except Exception:  # noqa: BLE001 - a front end without stdin: nothing was confirmed
        return False


class CellRunner:
    """One per kernel; ``run`` is awaited on the kernel's own loop for every cell."""

    def __init__(self, *, shell: Any, state: KernelState, pipeline: Pipeline | None = None) -> None:
        self._shell = shell
        self._state = state
        self.pipeline = pipeline or Pipeline(state)

    def messages(self, spec: CellSpec, *, prefill: bool = False) -> list[dict[str, Any]]:
        """The conversation before this cell, then its prompt (and, to continue a partial
        answer, a prefill where the model takes one, else a user turn asking for the rest)."""
        session = self._state.session
        messages = [] if spec.once else session.conversation.messages_before(spec.cell_key)
        messages.append({"role": "user", "content": spec.prompt})
        if spec.continue_from:
            messages = continue_messages(messages, spec.continue_from, prefill=prefill)
        return messages

    async def run(self, spec: CellSpec, *, on_event: Callable[[Any, float], None] | None = None) -> str:
        """Stream the cell's answer; returns its text. After a kernel interrupt it raises
        :class:`Interrupted` once the cell has been finished: the cell fails (queued cells
        abort) and shows the one "Stopped" line instead of a traceback."""
        try:
            endpoint = self.pipeline.preflight()
            toolbox = self._toolbox(spec)
            plan = await self.pipeline.plan(spec, endpoint)
        except UserError as exc:
            raise UsageError(str(exc)) from None
        stop = StopSwitch(asyncio.get_running_loop())
        sink = choose_sink(in_kernel=in_kernel(self._shell), mode=self._state.settings.display, on_stop=stop)
        try:
            outcome = await self.pipeline.run(
                spec, self.messages(spec, prefill=plan.prefill), sink, stop=stop, endpoint=endpoint,
                toolbox=toolbox, confirm=confirm_on_stdin if spec.confirm else None, on_event=on_event, plan=plan,
                interrupt_line_in_sink=False,
            )
        except UserError as exc:
            raise UsageError(str(exc)) from None
        text = outcome.answer_text
        session = self._state.session
        if text and not spec.once:
            # Later requests carry this turn: no key the model wrote goes back to the API.
            session.conversation.record(spec.cell_key, spec.prompt, redact_deep(outcome.content))
        if spec.out:
            # --json: the validated value; text that did not validate is kept as text.
            self._shell.user_ns[spec.out] = outcome.value if outcome.value is not None else text
        session.last_spec = spec
        session.last_partial = text
        if spec.code and outcome.interrupt is None:
            self._code_below(text)
        outcome.raise_interrupt()
        return text

    def _code_below(self, answer: str) -> None:
        """--code: the answer's Python into a new cell below (never run); a terminal prints it."""
        code = python_code(answer)
        if not code:
            print("--code: the answer has no Python code block; no cell was added.")
        elif in_kernel(self._shell):
            self._shell.set_next_input(code, replace=False)
        else:
            print(f"--code: the answer's Python, ready to copy:\n\n{code}")

    def _toolbox(self, spec: CellSpec) -> Any:
        names = spec.tools if spec.tools is not None else self._state.settings.tools
        if not names:
            return None
        from ..tools.runner import resolve_tools

        return resolve_tools(names, self._shell.user_ns)
