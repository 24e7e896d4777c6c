"""claude_magic.mapping: one prompt over every row of a DataFrame, list or dict, live or in batches.

``%%claude --map VAR`` and :func:`map` render the template per row, send the rows live (bounded
concurrency, one shared cooldown on rate limits) or through the Message Batches API, journal
every finished row so a re-run resumes, and return answers lined up with the input.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from ._estimate import Estimate
from ._rows import Answers, MapError
from ._run import MapOptions, MapResult

__all__ = ["Answers", "Estimate", "MapError", "MapOptions", "MapResult", "map"]


async def _map(items: Any, template: str, *, estimate: bool, namespace: Mapping[str, Any] | None,
               own_loop: bool, options: dict[str, Any]) -> Any:
    from ..core.state import kernel_state
    from ..core.client import close_loop_clients
    from ._run import run_estimate, run_job
    from ._settings import endpoint_for, loaded_magics, options_from

    history = kernel_state().history

    magics = loaded_magics()
    chosen = options_from(magics, **options)
    if namespace is None:
        namespace = magics.shell.user_ns if magics is not None else {}
    try:
        endpoint = endpoint_for(magics)
        if estimate:
            return await run_estimate(items, template, chosen, namespace=namespace, endpoint=endpoint)
        return (await run_job(items, template, chosen, namespace=namespace, endpoint=endpoint,
                              history=history)).output
    finally:
        if own_loop:
            await close_loop_clients()


def map(  # noqa: A001 - the name the issue gives it; claude_magic.map, never imported bare
    items: Any,
    template: str,
    *,
    estimate: bool = False,
    namespace: Mapping[str, Any] | None = None,
    **options: Any,
) -> Any:
    """Ask ``template`` of every row of ``items``; returns answers lined up with ``items``.

    ``items``: a DataFrame (columns are the template's ``{names}``; the index is the row key),
    a Series or a list of strings (``{item}``), a list of dicts, or a dict. Options (keyword):
    ``model``, ``max_tokens``, ``system``, ``temperature``, ``job`` (a name: resume it, refuse a
    changed template), ``concurrency``, ``batch`` (Message Batches API, 50% price),
    ``budget_usd``, ``resubmit`` (expired or canceled batch rows, once), ``poll_s``,
    ``progress``, ``journal`` (path). ``estimate=True`` returns an :class:`Estimate` instead,
    sending only ``count_tokens`` requests. Names the row lacks come from ``namespace`` (the
    notebook's by default).

    With an event loop running (a notebook) this returns an awaitable: ``await map(...)``;
    without one (a script) it runs the job and returns the answers.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_map(items, template, estimate=estimate, namespace=namespace, own_loop=True,
                                options=options))
    return _map(items, template, estimate=estimate, namespace=namespace, own_loop=False, options=options)
