"""Live mode: rows as Messages requests, at most ``concurrency`` in flight, behind one shared gate.

Rows are asked without streaming: nobody reads a row's answer token by token, and a whole
message costs the kernel less than its events.

Each worker holds a slot of the :class:`~claude_magic.mapping._gate.Gate` and takes rows from
one queue until it is empty or the job says stop (its budget is spent). A 429 or 529 pauses
the whole job through the gate; other retryable failures (5xx, a lost connection) wait with
the row's own backoff. A row still failing after ``RetryPolicy.max_retries`` retries ends
failed, its error kept; a 400 ends it as invalid (asking again would not help). An error that
every row would hit (401, 403, 404) stops the job at once, with one line.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import anthropic

from ..core.errors import describe_error, error_type, is_retryable
from ..core.retry import RetryPolicy
from ._gate import Gate
from ._rows import MapError

__all__ = ["JobAborted", "Outcome", "Task", "run_live"]

#: Failures that are about the job (key, permission, model), not the row.
_JOB_WIDE = (401, 403, 404)
ROW_HINTS = ("Run the cell again to retry failed rows.",) * 2


class JobAborted(MapError):
    """An error every row would hit; the job stops with its one line."""


@dataclass(frozen=True)
class Task:
    key: str
    prompt: str
    prompt_hash: str


@dataclass(frozen=True)
class Outcome:
    """How one row ended: its answer or its error, and what it used."""

    task: Task
    status: str  # done | failed | invalid
    text: str | None = None
    error: str | None = None
    error_type: str | None = None
    usage: Any = None
    stop_reason: str | None = None
    request_id: str | None = None
    duration_s: float | None = None


def answer_text(message: Any) -> str:
    return "".join(block.text for block in message.content if getattr(block, "type", None) == "text")


async def run_live(
    client: anthropic.AsyncAnthropic,
    tasks: list[Task],
    request: Callable[[str], Mapping[str, Any]],
    *,
    concurrency: int,
    policy: RetryPolicy,
    on_outcome: Callable[[Outcome], None],
    on_flight: Callable[[int], None],
    should_stop: Callable[[], bool],
    base_url: str | None = None,
    timeout: float | None = None,
) -> Gate:
    """Run ``tasks``; ``on_outcome`` sees each finished row (journal it there, then move the bar)."""
    queue = deque(tasks)
    gate = Gate(concurrency)

    async def one(slot: int, task: Task) -> Outcome:
        attempt = 0
        while True:
            await gate.wait_turn(slot)
            attempt += 1
            on_flight(+1)
            started = time.monotonic()
            try:
                message = await client.messages.create(**request(task.prompt), timeout=timeout)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - every failure becomes the row's error or a retry
                failure: BaseException = exc
            else:
                gate.succeeded()
                return Outcome(task, "done", text=answer_text(message), usage=message.usage,
                               stop_reason=message.stop_reason, request_id=getattr(message, "_request_id", None),
                               duration_s=time.monotonic() - started)
            finally:
                on_flight(-1)
            status = getattr(failure, "status_code", None)
            if status in _JOB_WIDE:
                raise JobAborted(describe_error(failure, base_url=base_url)) from None
            if is_retryable(failure) and attempt <= policy.max_retries:
                delay = policy.delay_s(attempt, failure)
                if status in (429, 529):
                    gate.rate_limited(delay)  # wait_turn holds every worker until it has passed
                else:
                    await asyncio.sleep(delay)
                continue
            line = describe_error(failure, base_url=base_url, attempts=attempt, hints=ROW_HINTS)
            return Outcome(task, "invalid" if status == 400 else "failed", error=line,
                           error_type=error_type(failure))

    async def worker(slot: int) -> None:
        while queue and not should_stop():
            task = queue.popleft()
            on_outcome(await one(slot, task))

    workers = [asyncio.ensure_future(worker(slot)) for slot in range(min(concurrency, len(tasks)))]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    return gate
