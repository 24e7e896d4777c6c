"""The job journal: SQLite beside the usage log, so a job resumes after a crash and nothing is paid twice.

One row per finished row of a job (its answer or error, its tokens and cost), one per batch
the job created, and the custom ids each batch holds. Every write commits at once (WAL, so
a killed kernel loses nothing committed); readers in other kernels see it straight away.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ._rows import MapError

__all__ = ["Finished", "Journal", "JobInfo", "default_journal_path"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    name TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, model TEXT NOT NULL, mode TEXT NOT NULL,
    total INTEGER NOT NULL, state TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS rows (
    job TEXT NOT NULL, key TEXT NOT NULL, prompt_hash TEXT NOT NULL, status TEXT NOT NULL,
    answer TEXT, error TEXT, input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL, finished_at REAL NOT NULL, PRIMARY KEY (job, key));
CREATE TABLE IF NOT EXISTS batches (
    batch_id TEXT PRIMARY KEY, job TEXT NOT NULL, state TEXT NOT NULL, requests INTEGER NOT NULL,
    created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS batch_rows (
    batch_id TEXT NOT NULL, custom_id TEXT NOT NULL, key TEXT NOT NULL, prompt_hash TEXT NOT NULL,
    PRIMARY KEY (batch_id, custom_id));
"""

#: Row statuses that end a row for good (until its prompt changes); others are asked again.
SETTLED = ("done", "invalid")


def default_journal_path(usage_log: str | Path | None) -> Path:
    """``map_jobs.sqlite3`` in the usage log's folder (the default data folder without one)."""
    from ..usage.log import default_log_path

    folder = Path(usage_log).expanduser().parent if usage_log else default_log_path().parent
    return folder / "map_jobs.sqlite3"


@dataclass(frozen=True)
class Finished:
    """A row the journal holds for a job."""

    key: str
    prompt_hash: str
    status: str
    answer: str | None
    error: str | None
    input_tokens: int
    output_tokens: int
    cost_usd: float | None


@dataclass(frozen=True)
class JobInfo:
    """A job as ``%claude_jobs`` lists it."""

    name: str
    model: str
    mode: str
    state: str
    total: int
    done: int
    failed: int
    open_batches: list[str]
    cost_usd: float
    updated_at: float


class Journal:
    """The journal file; one connection, used from one thread (the job's loop)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, timeout=10)
            self._conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a killed process loses nothing committed; only power loss could.
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise MapError(f"Job journal {self.path}: {exc}; make its folder writable.") from None

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- jobs ------------------------------------------------------------------------------
    def open_job(self, name: str, *, fingerprint: str, named: bool, model: str, mode: str, total: int,
                 register: bool = True) -> None:
        """Start or resume ``name``; a named job whose template or options changed is refused.

        ``register=False`` only checks (an estimate leaves no job behind).
        """
        row = self._conn.execute("SELECT fingerprint FROM jobs WHERE name = ?", (name,)).fetchone()
        now = time.time()
        with self._conn:
            if row is None:
                if not register:
                    return
                self._conn.execute("INSERT INTO jobs VALUES (?, ?, ?, ?, ?, 'running', ?, ?)",
                                   (name, fingerprint, model, mode, total, now, now))
                return
            if row[0] != fingerprint:
                if named:
                    raise MapError(
                        f"Job {name!r} was started with another template, model or options: give this one "
                        f"another --job name, or run `%claude_jobs --forget {name}` to start it over."
                    )
                # An unnamed job is named after its fingerprint: a clash is a truncated-hash collision.
                raise MapError(f"Job {name!r} clashes with another job: name this one with --job.")
            if not register:
                return
            self._conn.execute("UPDATE jobs SET mode = ?, total = ?, state = 'running', updated_at = ? WHERE name = ?",
                               (mode, total, now, name))

    def set_state(self, name: str, state: str) -> None:
        with self._conn:
            self._conn.execute("UPDATE jobs SET state = ?, updated_at = ? WHERE name = ?", (state, time.time(), name))

    def forget(self, name: str) -> bool:
        """Drop a job and everything it recorded; False when there was no such job."""
        with self._conn:
            batch_ids = [r[0] for r in self._conn.execute("SELECT batch_id FROM batches WHERE job = ?", (name,))]
            self._conn.executemany("DELETE FROM batch_rows WHERE batch_id = ?", [(b,) for b in batch_ids])
            self._conn.execute("DELETE FROM batches WHERE job = ?", (name,))
            self._conn.execute("DELETE FROM rows WHERE job = ?", (name,))
            return self._conn.execute("DELETE FROM jobs WHERE name = ?", (name,)).rowcount > 0

    def jobs(self) -> list[JobInfo]:
        """Every job, most recently active first."""
        out = []
        for name, model, mode, state, total, updated in self._conn.execute(
            "SELECT name, model, mode, state, total, updated_at FROM jobs ORDER BY updated_at DESC"
        ).fetchall():
            counts = dict(self._conn.execute(
                "SELECT status, COUNT(*) FROM rows WHERE job = ? GROUP BY status", (name,)).fetchall())
            cost = self._conn.execute("SELECT COALESCE(SUM(cost_usd), 0) FROM rows WHERE job = ?", (name,)).fetchone()[0]
            batches = [r[0] for r in self._conn.execute(
                "SELECT batch_id FROM batches WHERE job = ? AND state = 'open' ORDER BY created_at", (name,))]
            done = counts.pop("done", 0)
            out.append(JobInfo(name, model, mode, state, total, done, sum(counts.values()), batches, cost, updated))
        return out

    # -- rows --------------------------------------------------------------------------------
    def finished(self, job: str) -> dict[str, Finished]:
        """The rows of ``job`` the journal holds, by key."""
        cursor = self._conn.execute(
            "SELECT key, prompt_hash, status, answer, error, input_tokens, output_tokens, cost_usd "
            "FROM rows WHERE job = ?", (job,))
        return {r[0]: Finished(*r) for r in cursor}

    def record(self, job: str, rows: Iterable[Finished]) -> None:
        """Write finished rows in one commit (one row in live mode: before the bar moves)."""
        now = time.time()
        with self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO rows VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(job, r.key, r.prompt_hash, r.status, r.answer, r.error, r.input_tokens, r.output_tokens,
                  r.cost_usd, now) for r in rows],
            )

    # -- batches -----------------------------------------------------------------------------
    def add_batch(self, job: str, batch_id: str, entries: Iterable[tuple[str, str, str]]) -> None:
        """Journal a batch the moment it exists: ``entries`` are (custom_id, key, prompt_hash)."""
        entries = list(entries)
        with self._conn:
            self._conn.execute("INSERT INTO batches VALUES (?, ?, 'open', ?, ?)", (batch_id, job, len(entries), time.time()))
            self._conn.executemany("INSERT INTO batch_rows VALUES (?, ?, ?, ?)",
                                   [(batch_id, c, k, h) for c, k, h in entries])

    def open_batches(self, job: str) -> dict[str, dict[str, tuple[str, str]]]:
        """The job's batches not yet collected: ``{batch_id: {custom_id: (key, prompt_hash)}}``."""
        out: dict[str, dict[str, tuple[str, str]]] = {}
        ids = [r[0] for r in self._conn.execute(
            "SELECT batch_id FROM batches WHERE job = ? AND state = 'open' ORDER BY created_at", (job,))]
        for batch_id in ids:
            cursor = self._conn.execute("SELECT custom_id, key, prompt_hash FROM batch_rows WHERE batch_id = ?", (batch_id,))
            out[batch_id] = {c: (k, h) for c, k, h in cursor}
        return out

    def close_batch(self, batch_id: str, state: str = "collected") -> None:
        with self._conn:
            self._conn.execute("UPDATE batches SET state = ? WHERE batch_id = ?", (state, batch_id))
