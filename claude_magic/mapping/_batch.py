"""Batch mode: rows through the Message Batches API, journaled so a restart re-attaches, never re-pays.

A job's rows go out in as few batches as the API allows (100,000 requests or 256 MB each).
Each batch id is journaled, with its custom ids, the moment ``create`` returns; a run that
finds open batches in the journal polls those instead of creating new ones. Polling starts at
``poll_s`` and backs off to ``poll_max_s``. When a batch ends its results stream in (joined on
``custom_id``; the API promises no order) and are journaled in chunks. Expired and canceled
rows are resubmitted once when asked to (``resubmit``); errored ones never in this run, and
invalid requests never at all (until their prompt changes).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import anthropic

from ._journal import Journal
from ._live import Outcome, Task, answer_text
from ._template import custom_id

__all__ = ["MAX_BATCH_BYTES", "MAX_BATCH_REQUESTS", "run_batches", "split"]

MAX_BATCH_REQUESTS = 100_000
MAX_BATCH_BYTES = 256 * 1024 * 1024
# Room for the JSON around the requests, so a batch at the limit is not refused.
_ENVELOPE_BYTES = 1024
_RESULT_CHUNK = 500


def split(requests: list[dict[str, Any]], *, max_requests: int = MAX_BATCH_REQUESTS,
          max_bytes: int = MAX_BATCH_BYTES) -> Iterator[list[dict[str, Any]]]:
    """Consecutive groups that each fit in one batch."""
    group: list[dict[str, Any]] = []
    size = _ENVELOPE_BYTES
    for item in requests:
        item_size = len(json.dumps(item, separators=(",", ":")).encode()) + 1
        if group and (len(group) >= max_requests or size + item_size > max_bytes):
            yield group
            group, size = [], _ENVELOPE_BYTES
        group.append(item)
        size += item_size
    if group:
        yield group


def _elapsed(batch: Any) -> float:
    return max(0.0, time.time() - batch.created_at.timestamp())


async def run_batches(
    client: anthropic.AsyncAnthropic,
    job: str,
    tasks: list[Task],
    request: Callable[[str], Mapping[str, Any]],
    *,
    journal: Journal,
    resubmit: bool,
    poll_s: float,
    poll_max_s: float,
    on_outcomes: Callable[[list[Outcome]], None],
    on_status: Callable[[str, str, float], None],
    max_requests: int = MAX_BATCH_REQUESTS,
    max_bytes: int = MAX_BATCH_BYTES,
) -> dict[str, int]:
    """Submit, poll and collect; returns counts of ``created`` and ``reattached`` batches."""
    open_batches = journal.open_batches(job)
    waiting = {key for entries in open_batches.values() for key, _ in entries.values()}
    by_key = {task.key: task for task in tasks}
    counts = {"created": 0, "reattached": len(open_batches), "resubmitted": 0}

    async def submit(batch_tasks: list[Task]) -> None:
        items = [{"custom_id": custom_id(t.key), "params": dict(request(t.prompt))} for t in batch_tasks]
        ids = {item["custom_id"]: t for item, t in zip(items, batch_tasks)}
        for group in split(items, max_requests=max_requests, max_bytes=max_bytes):
            batch = await client.messages.batches.create(requests=group)  # type: ignore[arg-type]
            entries = {item["custom_id"]: (ids[item["custom_id"]].key, ids[item["custom_id"]].prompt_hash)
                       for item in group}
            journal.add_batch(job, batch.id, ((c, k, h) for c, (k, h) in entries.items()))
            open_batches[batch.id] = entries
            counts["created"] += 1
            on_status(batch.id, batch.processing_status, _elapsed(batch))

    await submit([t for t in tasks if t.key not in waiting])
    resubmitted: set[str] = set()
    interval = poll_s
    while open_batches:
        for batch_id in list(open_batches):
            batch = await client.messages.batches.retrieve(batch_id)
            on_status(batch_id, batch.processing_status, _elapsed(batch))
            if batch.processing_status != "ended":
                continue
            again = await _collect(client, batch_id, open_batches.pop(batch_id), by_key, on_outcomes)
            journal.close_batch(batch_id)
            again = [t for t in again if t.key not in resubmitted]
            if resubmit and again:
                resubmitted.update(t.key for t in again)
                counts["resubmitted"] += len(again)
                await submit(again)
                interval = poll_s
        if open_batches:
            await asyncio.sleep(interval)
            interval = min(interval * 1.5, poll_max_s)
    return counts


async def _collect(
    client: anthropic.AsyncAnthropic,
    batch_id: str,
    entries: dict[str, tuple[str, str]],
    by_key: dict[str, Task],
    on_outcomes: Callable[[list[Outcome]], None],
) -> list[Task]:
    """Stream one ended batch's results into outcomes; returns the expired and canceled rows."""
    again: list[Task] = []
    chunk: list[Outcome] = []
    async for line in await client.messages.batches.results(batch_id):
        entry = entries.get(line.custom_id)
        if entry is None:
            continue  # not a row of this job (the journal is the source of truth)
        key, prompt_hash = entry
        task = by_key.get(key) or Task(key=key, prompt="", prompt_hash=prompt_hash)
        task = Task(key=key, prompt=task.prompt, prompt_hash=prompt_hash)
        result = line.result
        if result.type == "succeeded":
            message = result.message
            chunk.append(Outcome(task, "done", text=answer_text(message), usage=message.usage,
                                 stop_reason=message.stop_reason, request_id=message.id))
        elif result.type == "errored":
            error = result.error.error
            invalid = error.type == "invalid_request_error"
            chunk.append(Outcome(task, "invalid" if invalid else "failed", error=f"{error.type}: {error.message}",
                                 error_type=error.type))
        else:  # expired or canceled: never processed, not billed
            chunk.append(Outcome(task, result.type, error=f"{result.type} in batch {batch_id}", error_type=result.type))
            if key in by_key:
                again.append(by_key[key])
        if len(chunk) >= _RESULT_CHUNK:
            on_outcomes(chunk)
            chunk = []
    if chunk:
        on_outcomes(chunk)
    return again
