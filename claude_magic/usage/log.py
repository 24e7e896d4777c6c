"""The SQLite usage log: every %%claude run of every kernel on this machine, kept on disk.

Each append opens the file, inserts one row, commits and closes, so several kernels can share
one log without holding it open; a busy timeout covers two cells ending at the same moment.
Any failure surfaces as :class:`UsageLogError`, whose message is one line naming the file and
the fix, so a broken log never breaks the cell that tried to write it.
"""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import closing
from pathlib import Path

import platformdirs

from .record import RECORD_FIELDS, UsageRecord

from ..exceptions import UsageLogError

__all__ = ["UsageLog", "UsageLogError", "default_log_path"]

_TABLE = "usage"
_DEFAULT_TIMEOUT_S = 5.0


def default_log_path() -> Path:
    """``<user data dir>/claude_magic/usage.sqlite3`` (honours ``XDG_DATA_HOME`` on Linux)."""
    return Path(platformdirs.user_data_dir("claude_magic")) / "usage.sqlite3"


def _error(path: Path, exc: BaseException) -> UsageLogError:
    text = str(exc)
    reason = text.splitlines()[0] if text else type(exc).__name__
    try:
        is_folder = path.is_dir()
    except OSError:  # a folder we may not even look into
        is_folder = False
    if is_folder:
        fix = "that is a folder: give the usage log a file path"
    elif isinstance(exc, OSError):
        reason = exc.strerror or reason
        fix = "make its folder writable, or choose another usage log path"
    elif "locked" in reason:
        fix = "another kernel is holding it; run the cell again, or choose another usage log path"
    elif isinstance(exc, sqlite3.OperationalError):
        # "unable to open database file", "attempt to write a readonly database", ...
        fix = "make the file and its folder writable, or choose another usage log path"
    else:
        # "file is not a database", "malformed", or a row whose JSON was damaged by hand.
        fix = "move the file aside or delete it (a new log starts on the next cell)"
    return UsageLogError(f"usage log {path}: {reason}; {fix}")


class UsageLog:
    """Rows of :class:`UsageRecord` tagged with the session (kernel) that wrote them."""

    def __init__(
        self, path: str | os.PathLike[str] | None = None, *, timeout: float = _DEFAULT_TIMEOUT_S
    ) -> None:
        self.path = Path(path).expanduser() if path is not None else default_log_path()
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"UsageLog({str(self.path)!r})"

    def append(self, record: UsageRecord, *, session: str) -> None:
        """Write one record now (the cell has ended); create the folder and table if needed."""
        self.append_many([record], session=session)

    def append_many(self, records: list[UsageRecord], *, session: str) -> None:
        """Write records in one transaction (a ``--map`` job writes its rows in chunks)."""
        columns = ("session", *RECORD_FIELDS)
        rows = []
        for record in records:
            # getattr, not as_dict(): dataclasses.asdict deep-copies every value, which a job
            # writing thousands of rows pays for in CPU.
            row = {name: getattr(record, name) for name in RECORD_FIELDS}
            row["rounds"] = json.dumps(row["rounds"])
            rows.append((session, *(row[name] for name in RECORD_FIELDS)))
        sql = (
            f"INSERT INTO {_TABLE} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})"
        )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(self._connect()) as conn, conn:
                self._ensure_table(conn)
                conn.executemany(sql, rows)
        except (OSError, sqlite3.Error) as exc:
            raise _error(self.path, exc) from exc

    def read_all(self) -> list[UsageRecord]:
        """Every session's records, in the order they were written (oldest first)."""
        return self._select("", ())

    def read_session(self, session: str) -> list[UsageRecord]:
        """One session's records, oldest first."""
        return self._select("WHERE session = ?", (session,))

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=self._timeout)

    def _ensure_table(self, conn: sqlite3.Connection) -> None:
        fields = ", ".join(RECORD_FIELDS)
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {_TABLE} "
            f"(id INTEGER PRIMARY KEY AUTOINCREMENT, session TEXT NOT NULL, {fields})"
        )
        conn.execute(f"CREATE INDEX IF NOT EXISTS {_TABLE}_session ON {_TABLE} (session)")
        # A log written by an older claude_magic lacks fields added since: add them, empty.
        present = {row[1] for row in conn.execute(f"PRAGMA table_info({_TABLE})")}
        for name in RECORD_FIELDS:
            if name not in present:
                conn.execute(f"ALTER TABLE {_TABLE} ADD COLUMN {name}")

    def _select(self, where: str, params: tuple[str, ...]) -> list[UsageRecord]:
        # Reading never creates the file: a machine with no log yet simply has no records.
        if not self.path.exists():
            return []
        try:
            with closing(self._connect()) as conn:
                present = {row[1] for row in conn.execute(f"PRAGMA table_info({_TABLE})")}
                if not present:
                    return []
                columns = [name for name in RECORD_FIELDS if name in present]
                cursor = conn.execute(
                    f"SELECT {', '.join(columns)} FROM {_TABLE} {where} ORDER BY id", params
                )
                rows = cursor.fetchall()
            records = []
            for row in rows:
                data = dict(zip(columns, row))
                data["rounds"] = json.loads(data["rounds"]) if data.get("rounds") else []
                records.append(UsageRecord.from_dict(data))
            return records
        except (OSError, sqlite3.Error, ValueError, TypeError) as exc:
            raise _error(self.path, exc) from exc
