"""The SQLite usage log shared by the kernels of one machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from claude_magic.usage.record import UsageRecord
from claude_magic.usage.log import UsageLog, UsageLogError, default_log_path


def _record(cell: int, **kw: object) -> UsageRecord:
    return UsageRecord(cell=cell, model="claude-sonnet-4-6", **kw)  # type: ignore[arg-type]


def test_default_path_is_under_xdg_data_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_log_path() == tmp_path / "claude_magic" / "usage.sqlite3"


def test_first_append_creates_folders_and_default_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    UsageLog().append(_record(1), session="k1")
    assert (tmp_path / "data" / "claude_magic" / "usage.sqlite3").is_file()


def test_every_field_survives_a_new_log_object_as_after_a_kernel_restart(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    record = UsageRecord(
        cell=3,
        model="claude-haiku-4-5",
        input_tokens=12,
        output_tokens=85,
        cache_creation_input_tokens=7,
        cache_read_input_tokens=100,
        ttft_s=0.31,
        duration_s=2.4,
        output_tokens_per_s=35.4,
        stop_reason="end_turn",
        status="interrupted",
        error="KeyboardInterrupt",
        cost_usd=0.0013,
        request_id="req_1",
        started_at="2026-05-01T10:00:00+00:00",
        rounds=[{"input_tokens": 5, "output_tokens": 40}, {"input_tokens": 7, "output_tokens": 45}],
    )
    UsageLog(path).append(record, session="k1")
    assert UsageLog(path).read_all() == [record]


def test_reading_a_missing_log_gives_no_records_and_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "nope" / "usage.sqlite3"
    assert UsageLog(path).read_all() == []
    assert not path.parent.exists()


def test_sessions_are_kept_apart_and_read_all_is_oldest_first(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    kernel_a, kernel_b = UsageLog(path), UsageLog(path)
    kernel_a.append(_record(1), session="a")
    kernel_b.append(_record(1, input_tokens=9), session="b")
    kernel_a.append(_record(2), session="a")

    assert [(r.cell, r.input_tokens) for r in UsageLog(path).read_all()] == [(1, 0), (1, 9), (2, 0)]
    assert [r.cell for r in kernel_b.read_session("a")] == [1, 2]
    assert [r.input_tokens for r in kernel_a.read_session("b")] == [9]
    assert kernel_a.read_session("c") == []


def test_unwritable_path_raises_one_line_error_naming_the_path(tmp_path: Path) -> None:
    # A file where a folder should be: fails even for root, unlike chmod.
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    path = blocker / "sub" / "usage.sqlite3"
    with pytest.raises(UsageLogError) as info:
        UsageLog(path).append(_record(1), session="a")
    message = str(info.value)
    assert str(path) in message
    assert "\n" not in message
    assert "writable" in message


def test_a_folder_given_as_the_log_path_says_so(tmp_path: Path) -> None:
    with pytest.raises(UsageLogError, match="is a folder|that is a folder") as info:
        UsageLog(tmp_path).append(_record(1), session="a")
    assert str(tmp_path) in str(info.value)


def test_corrupt_file_raises_error_telling_to_move_it_aside(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    path.write_bytes(b"this is not sqlite\n" * 200)
    for action in (lambda log: log.append(_record(1), session="a"), lambda log: log.read_all()):
        with pytest.raises(UsageLogError) as info:
            action(UsageLog(path))
        message = str(info.value)
        assert str(path) in message and "\n" not in message
        assert "move the file aside or delete it" in message


def test_log_from_an_older_version_gains_new_columns(tmp_path: Path) -> None:
    import sqlite3
    from contextlib import closing

    path = tmp_path / "usage.sqlite3"
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(
            "CREATE TABLE usage (id INTEGER PRIMARY KEY AUTOINCREMENT, session TEXT NOT NULL,"
            " cell, model, input_tokens, output_tokens)"
        )
        conn.execute(
            "INSERT INTO usage (session, cell, model, input_tokens, output_tokens)"
            " VALUES ('old', 1, 'claude-3-haiku', 4, 5)"
        )
    log = UsageLog(path)
    old = UsageRecord(cell=1, model="claude-3-haiku", input_tokens=4, output_tokens=5)
    assert log.read_all() == [old]
    log.append(_record(2, request_id="req_2"), session="new")
    assert [r.request_id for r in log.read_all()] == [None, "req_2"]


def test_kernels_writing_at_the_same_moment_all_get_their_rows_in(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    path = tmp_path / "usage.sqlite3"
    UsageLog(path).append(_record(0), session="setup")

    def kernel(name: str) -> None:
        log = UsageLog(path)  # each kernel has its own object and connections
        for cell in range(1, 41):
            log.append(_record(cell), session=name)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(kernel, ["a", "b", "c", "d"]))
    log = UsageLog(path)
    assert len(log.read_all()) == 161
    assert [r.cell for r in log.read_session("c")] == list(range(1, 41))


def test_the_backend_of_each_record_is_logged_and_an_old_row_reads_as_api(tmp_path: Path) -> None:
    import sqlite3
    from contextlib import closing

    path = tmp_path / "usage.sqlite3"
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("CREATE TABLE usage (id INTEGER PRIMARY KEY AUTOINCREMENT, session TEXT NOT NULL, cell, model)")
        conn.execute("INSERT INTO usage (session, cell, model) VALUES ('old', 1, 'claude-3-haiku')")
    log = UsageLog(path)
    log.append(_record(2, backend="emulator", cost_usd=0.25), session="new")
    assert [r.backend for r in log.read_all()] == ["api", "emulator"]
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT backend FROM usage ORDER BY id").fetchall() == [(None,), ("emulator",)]
