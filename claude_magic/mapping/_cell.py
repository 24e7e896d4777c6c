"""What ``%%claude --map VAR`` and ``%claude_jobs`` do, behind the magic's option parsing."""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError

from ..exceptions import UserError
from ._rows import MapError

__all__ = ["check_map_flags", "jobs_command", "run_map_cell"]

_MAP_ONLY = ("job", "concurrency", "batch", "estimate", "budget", "resubmit")
_NOT_WITH_MAP = ("tools", "confirm", "raw", "new", "once", "file", "cite", "code")


def check_map_flags(args: Any) -> None:
    """Refuse map options without ``--map``, and cell options that mean nothing with it."""
    if args.map is None:
        given = [f"--{name}" for name in _MAP_ONLY if getattr(args, name) not in (None, False)]
        if given:
            raise UsageError(f"{', '.join(given)} only apply with --map VAR (a DataFrame, Series or list to map over).")
        return
    clash = [f"--{name}" for name in _NOT_WITH_MAP if getattr(args, name) not in (None, False)]
    if clash:
        raise UsageError(f"--map does not combine with {', '.join(clash)}: each row is asked on its own.")


async def run_map_cell(magics: Any, args: Any, cell: str | None) -> None:
    """Run (or estimate) the job the cell describes; ``-o`` receives the answers."""
    from ..core.state import kernel_state
    from ._run import run_estimate, run_job
    from ._settings import endpoint_for, options_from

    history = kernel_state().history

    if cell is None or not cell.strip():
        raise UsageError("--map needs a template: write the prompt in the cell body, with {column} names.")
    name = args.map
    if name not in magics.shell.user_ns:
        raise UsageError(f"--map {name}: no variable named {name!r} (define it before running this cell).")
    if args.out is not None and not args.out.isidentifier():
        raise UsageError(f"-o/--out needs a variable name, not {args.out!r}.")
    items = magics.shell.user_ns[name]
    try:
        options = options_from(
            magics, model=args.model, max_tokens=args.max_tokens, system=args.system, temperature=args.temperature,
            job=args.job, concurrency=args.concurrency, batch=args.batch, budget_usd=args.budget,
            resubmit=args.resubmit, cell=magics.current_cell_number(),
        )
        if args.estimate:
            endpoint = endpoint_for(magics)  # count_tokens is free: no budget to check
            print(await run_estimate(items, cell, options, namespace=magics.shell.user_ns, endpoint=endpoint))
            return
        endpoint = magics.runner.pipeline.preflight()  # the key, and the kernel's budget, as for a cell
        result = await run_job(items, cell, options, namespace=magics.shell.user_ns, endpoint=endpoint,
                               history=history)
    except UserError as exc:  # MapError included
        raise UsageError(str(exc)) from None
    if args.out:
        magics.shell.user_ns[args.out] = result.output
    else:
        from IPython.display import display

        display(result.output)


class JobsTable:
    """``%claude_jobs``: every job in the journal as plain text."""

    def __init__(self, jobs: list[Any]) -> None:
        self.jobs = jobs

    def __str__(self) -> str:
        if not self.jobs:
            return "No map jobs in the journal yet."
        header = ("job", "mode", "state", "done", "failed", "cost", "open batches")
        rows = [header] + [
            (j.name, j.mode, j.state, f"{j.done:,}/{j.total:,}", f"{j.failed:,}", f"${j.cost_usd:.4f}",
             ", ".join(j.open_batches) or "-")
            for j in self.jobs
        ]
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


async def jobs_command(magics: Any, *, cancel: str | None, forget: str | None) -> JobsTable | None:
    """List jobs; ``cancel`` cancels a job's running batches; ``forget`` drops a job from the journal."""
    from ..core import client as _client
    from ._journal import Journal, default_journal_path
    from ._settings import endpoint_for

    with Journal(default_journal_path(magics.usage_log)) as journal:
        names = {job.name: job for job in journal.jobs()}
        target = cancel or forget
        if target is not None and target not in names:
            known = ", ".join(names) or "none yet"
            raise UsageError(f"No map job named {target!r} (jobs: {known}).")
        if forget is not None:
            journal.forget(forget)
            print(f"Forgot job {forget!r}: its next run starts from the first row.")
            return None
        if cancel is not None:
            batch_ids = names[cancel].open_batches
            if batch_ids:
                try:
                    client = _client.get_client(endpoint_for(magics), stall_timeout=magics.stall_timeout)
                    for batch_id in batch_ids:
                        await client.messages.batches.cancel(batch_id)
                except MapError as exc:
                    raise UsageError(str(exc)) from None
            journal.set_state(cancel, "canceled")
            what = f"{len(batch_ids)} running batch(es) canceled" if batch_ids else "no batch was running"
            print(f"Job {cancel!r}: {what}. Finished rows stay in the journal; run its cell again to collect "
                  "or resume (--resubmit sends canceled rows again).")
            return None
        return JobsTable(list(names.values()))
