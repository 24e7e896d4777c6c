"""One map job from start to end: render rows, resume from the journal, run live or in batches, report.

The order of every finished row is fixed: journal first (live rows in groups committed every
20 ms), then the usage log buffer, then the tally, then the bar, so what the bar shows is
always on disk. The job's usage goes to the usage log row by row under the job's name (batch
rows at batch prices) and into ``claude_magic.history`` as one record for the run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import anthropic

from ..core import client as _client
from ..usage.pricing import cost_usd
from ..core.retry import RetryPolicy
from ..usage.record import UsageRecord
from ..exceptions import UsageLogError
from ..usage.log import UsageLog
from ._batch import run_batches
from ._estimate import BATCH_DISCOUNT, Estimate, estimate
from ._journal import SETTLED, Finished, Journal, default_journal_path
from ._live import Outcome, Task, run_live
from ._progress import Progress, Tally
from ._rows import MapError, Rows, as_rows, build_output
from ._template import fingerprint, prompt_hash, render

__all__ = ["MapOptions", "MapResult", "prepare", "run_job", "run_estimate"]

#: How often buffered usage records reach the usage log (and always at the end).
_USAGE_FLUSH_S = 2.0
#: How long a finished live row may wait for its journal commit (shared with the rows beside it).
_COMMIT_S = 0.02


@dataclass(frozen=True)
class MapOptions:
    """Everything a job needs besides its rows and template (``map()`` and the magic fill it)."""

    model: str = "claude-sonnet-4-6"
    max_tokens: int = 1024
    system: str | None = None
    temperature: float | None = None
    job: str | None = None
    concurrency: int = 8
    batch: bool = False
    budget_usd: float | None = None
    resubmit: bool = False
    poll_s: float = 10.0
    poll_max_s: float = 60.0
    max_retries: int = 4
    retry_cap_s: float = 30.0
    stall_timeout: float = 60.0
    prices: Mapping[str, Any] = field(default_factory=dict)
    usage_log: str | None = None
    journal: str | None = None
    progress: bool = True
    session: str = "map"
    cell: int | None = None
    sample: int = 20
    #: Turns an answer's text into the row's value: the extension point for ``--json MODEL``
    #: (structured output), which would also add its ``output_config`` to ``request``.
    parse: Callable[[str], Any] | None = None

    def request(self, prompt: str) -> dict[str, Any]:
        params: dict[str, Any] = {"model": self.model, "max_tokens": self.max_tokens,
                                  "messages": [{"role": "user", "content": prompt}]}
        if self.system:
            params["system"] = self.system
        params.update(_client.sampling_options(temperature=self.temperature))
        return params

    def read_timeout(self) -> float:
        """Seconds to wait for a whole (non-streamed) answer: the stall timeout, or longer for
        a long answer, which arrives only once it is complete (at 20 tokens/s at worst)."""
        return max(self.stall_timeout, 30.0 + self.max_tokens / 20)

    def identity(self) -> dict[str, Any]:
        """What makes a job: the request options (not how it is run)."""
        return {"model": self.model, "max_tokens": self.max_tokens, "system": self.system,
                "temperature": self.temperature}

    def check(self) -> None:
        if self.concurrency < 1:
            raise MapError("--concurrency must be 1 or more.")
        if self.max_tokens < 1:
            raise MapError("--max-tokens must be a positive number of tokens.")
        if self.budget_usd is not None and self.budget_usd <= 0:
            raise MapError("--budget must be a positive number of dollars.")
        if self.job is not None and not self.job.strip():
            raise MapError("--job needs a name.")


@dataclass
class Prepared:
    name: str
    rows: Rows
    tasks: list[Task]
    answers: dict[str, str]
    errors: dict[str, str]
    finished: dict[str, Finished]
    journal: Journal


@dataclass
class MapResult:
    """A job's output (lined up with the input), its summary line and its counts."""

    output: Any
    summary: str
    tally: Tally
    job: str


def prepare(items: Any, template: str, options: MapOptions, namespace: Mapping[str, Any], *,
            register: bool = True) -> Prepared:
    """Render every row (a bad one stops here, before any request) and sort out what is left to do."""
    options.check()
    rows = as_rows(items)
    rendered = [(row, render(template, row, namespace)) for row in rows.rows]
    print_ = fingerprint(template, options.identity())
    name = options.job or f"map-{print_[:8]}"
    journal = Journal(options.journal or default_journal_path(options.usage_log))
    try:
        journal.open_job(name, fingerprint=print_, named=options.job is not None, model=options.model,
                         mode="batch" if options.batch else "live", total=len(rows.rows), register=register)
    except MapError:
        journal.close()
        raise
    finished = journal.finished(name)
    answers: dict[str, str] = {}
    errors: dict[str, str] = {}
    tasks: list[Task] = []
    for row, prompt in rendered:
        digest = prompt_hash(prompt)
        known = finished.get(row.key_text)
        if known is not None and known.prompt_hash == digest and known.status in SETTLED:
            if known.status == "done":
                answers[row.key_text] = known.answer or ""
            else:
                errors[row.key_text] = known.error or "invalid request"
            continue
        tasks.append(Task(key=row.key_text, prompt=prompt, prompt_hash=digest))
    return Prepared(name, rows, tasks, answers, errors, finished, journal)


class _Usage:
    """Builds a usage record per row, buffers them, and writes them to the usage log in chunks."""

    def __init__(self, job: str, options: MapOptions) -> None:
        self.job, self.options = job, options
        self.buffer: list[UsageRecord] = []
        self.problem: str | None = None
        self._flushed = time.monotonic()
        self.totals = UsageRecord(cell=options.cell, model=options.model, job=job, started_at=_now())

    def cost(self, outcome: Outcome) -> float | None:
        """USD for the row (batch rows at batch prices); None when the model has no price."""
        usage = outcome.usage
        if usage is None:
            return 0.0
        cost = cost_usd(self.options.model, prices=self.options.prices, **_tokens(usage))
        return None if cost is None else cost * (BATCH_DISCOUNT if self.options.batch else 1.0)

    def add(self, outcome: Outcome, cost: float | None) -> None:
        tokens = _tokens(outcome.usage)
        for name, value in tokens.items():
            setattr(self.totals, name, getattr(self.totals, name) + value)
        if cost is not None:
            self.totals.cost_usd = (self.totals.cost_usd or 0.0) + cost
        if self.options.usage_log and outcome.status in ("done", "failed", "invalid"):
            record = UsageRecord(
                cell=self.options.cell, model=self.options.model, stop_reason=outcome.stop_reason,
                status="ok" if outcome.status == "done" else "error", error=outcome.error_type, cost_usd=cost,
                request_id=outcome.request_id, duration_s=outcome.duration_s, started_at=_now(), job=self.job)
            for name, value in tokens.items():
                setattr(record, name, value)
            self.buffer.append(record)
            if time.monotonic() - self._flushed > _USAGE_FLUSH_S:
                self.flush()

    def flush(self) -> None:
        self._flushed = time.monotonic()
        if not self.buffer or not self.options.usage_log:
            return
        records, self.buffer = self.buffer, []
        try:
            UsageLog(self.options.usage_log).append_many(records, session=self.options.session)
        except UsageLogError as exc:
            self.problem = str(exc)


_TOKEN_NAMES = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


def _tokens(usage: Any) -> dict[str, int]:
    return {name: getattr(usage, name, 0) or 0 for name in _TOKEN_NAMES}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _summary(name: str, tally: Tally, *, elapsed: float, batch: bool, left: int, budget_stop: bool,
             errors_where: str, state: str) -> str:
    finished = tally.from_journal + tally.done
    parts = [f"{name}: {finished:,}/{tally.total:,} rows done"]
    if tally.from_journal:
        parts.append(f"{tally.from_journal:,} from the journal")
    if tally.failed:
        parts.append(f"{tally.failed:,} failed (errors in {errors_where})")
    parts.append(f"{tally.input_tokens + tally.output_tokens:,} tokens")
    parts.append(f"${tally.cost_usd:.4f}" + (" at batch prices" if batch else ""))
    parts.append(f"{elapsed:.1f} s")
    if budget_stop and left:
        parts.append(f"budget reached: {left:,} rows not requested (run again to continue)")
    elif state == "interrupted":
        parts.append(f"interrupted: {left:,} rows left (run the cell again to resume)")
    return " · ".join(parts)


async def run_job(
    items: Any,
    template: str,
    options: MapOptions,
    *,
    namespace: Mapping[str, Any],
    endpoint: _client.Endpoint,
    history: list[Any] | None = None,
) -> MapResult:
    """Run (or resume) the job; the output lines up with ``items``."""
    prep = prepare(items, template, options, namespace)
    name, journal = prep.name, prep.journal
    tally = Tally(total=len(prep.rows.rows), from_journal=len(prep.answers), failed=len(prep.errors))
    progress = Progress(name, tally, where=None if options.progress else "none")
    usage = _Usage(name, options)
    client = _client.get_client(endpoint, stall_timeout=options.stall_timeout)
    budget_hit = False

    def should_stop() -> bool:
        nonlocal budget_hit
        if options.budget_usd is None:
            return False
        # Rows finished but not yet committed (a commit groups 20 ms of them) are spent too.
        spent = tally.cost_usd + sum(usage.cost(o) or 0.0 for o in pending)
        budget_hit = spent >= options.budget_usd
        return budget_hit

    def on_outcomes(outcomes: list[Outcome]) -> None:
        costs = [usage.cost(o) for o in outcomes]
        journal.record(name, [Finished(o.task.key, o.task.prompt_hash, o.status, o.text, o.error,
                                       getattr(o.usage, "input_tokens", 0) or 0,
                                       getattr(o.usage, "output_tokens", 0) or 0, cost)
                              for o, cost in zip(outcomes, costs)])
        for o, cost in zip(outcomes, costs):
            usage.add(o, cost)
            tally.cost_usd += cost or 0.0
            tally.input_tokens += getattr(o.usage, "input_tokens", 0) or 0
            tally.output_tokens += getattr(o.usage, "output_tokens", 0) or 0
            if o.status == "done":
                tally.done += 1
                prep.answers[o.task.key] = o.text or ""
                prep.errors.pop(o.task.key, None)
            else:
                tally.failed += 1
                prep.errors[o.task.key] = o.error or o.status
        progress.changed()

    # Live rows are committed in groups, one transaction per _COMMIT_S: a commit blocks the
    # loop, and one per row costs a busy machine more than the requests themselves. The bar
    # still moves only after the commit, so a crash loses at most _COMMIT_S of finished rows.
    pending: list[Outcome] = []
    loop = asyncio.get_running_loop()
    commit_at: list[asyncio.TimerHandle] = []

    def commit() -> None:
        commit_at.clear()
        if pending:
            finished, pending[:] = pending[:], []
            on_outcomes(finished)

    def on_outcome(outcome: Outcome) -> None:
        pending.append(outcome)
        if not commit_at:
            commit_at.append(loop.call_later(_COMMIT_S, commit))

    def on_flight(delta: int) -> None:
        tally.in_flight += delta

    def on_status(batch_id: str, status: str, age: float) -> None:
        moved = tally.batches.get(batch_id, ("",))[0] != status
        tally.batches[batch_id] = (status, age)
        progress.changed(force=moved)

    started = time.monotonic()
    state = "interrupted"
    progress.changed(force=True)
    try:
        if options.batch:
            await run_batches(client, name, prep.tasks, options.request, journal=journal, resubmit=options.resubmit,
                              poll_s=options.poll_s, poll_max_s=options.poll_max_s, on_outcomes=on_outcomes,
                              on_status=on_status)
        else:
            policy = RetryPolicy(max_retries=options.max_retries, cap_s=options.retry_cap_s)
            await run_live(client, prep.tasks, options.request, concurrency=options.concurrency, policy=policy,
                           on_outcome=on_outcome, on_flight=on_flight, should_stop=should_stop,
                           base_url=endpoint.base_url, timeout=options.read_timeout())
        commit()
        state = "done" if len(prep.answers) == tally.total else "incomplete"
    except MapError:
        state = "failed"
        raise
    finally:
        for handle in commit_at:
            handle.cancel()
        commit()  # rows that finished, even if the job was interrupted, are kept
        usage.flush()
        journal.set_state(name, state)
        journal.close()
        left = tally.total - tally.from_journal - tally.done - tally.failed
        errors_where = ".attrs['errors']" if prep.rows.kind in ("frame", "series") else ".errors"
        summary = _summary(name, tally, elapsed=time.monotonic() - started, batch=options.batch, left=left,
                           budget_stop=budget_hit, errors_where=errors_where, state=state)
        if usage.problem:
            summary += f"\n{usage.problem}"
        progress.finish(summary)
        if history is not None:
            record = usage.totals
            record.status = "ok" if state == "done" else ("interrupted" if state == "interrupted" else "error")
            record.duration_s = time.monotonic() - started
            history.append(record)
    parse = options.parse
    answers = {k: parse(v) for k, v in prep.answers.items()} if parse else prep.answers
    return MapResult(build_output(prep.rows, answers, prep.errors), summary, tally, name)


async def run_estimate(
    items: Any, template: str, options: MapOptions, *, namespace: Mapping[str, Any], endpoint: _client.Endpoint
) -> Estimate:
    """Price the rows still to do (``count_tokens`` only)."""
    prep = prepare(items, template, options, namespace, register=False)
    prep.journal.close()
    observed = [f.output_tokens for f in prep.finished.values() if f.status == "done"]
    client = _client.get_client(endpoint, stall_timeout=options.stall_timeout)
    try:
        return await estimate(client, [t.prompt for t in prep.tasks], options.request, rows=len(prep.rows.rows),
                              model=options.model, max_tokens=options.max_tokens, observed_output=observed,
                              prices=options.prices, sample=options.sample)
    except anthropic.APIError as exc:
        from ..core.errors import describe_error

        raise MapError(describe_error(exc, base_url=endpoint.base_url)) from None
