"""What ``--map`` takes and gives back: a DataFrame, Series, list or dict as keyed rows, and the output.

Each row is a key (the DataFrame or Series index, the list position, the dict key) and the
names its template may use: a DataFrame's columns, or ``item`` for a Series value, a string
or any other scalar (a named Series also under its name); a dict row is its own names. The
output lines up with the input: a pandas Series on the same index for a DataFrame or Series,
a list for a list, a dict for a dict. pandas is imported only when the input already is pandas.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..exceptions import UserError

__all__ = ["Answers", "MapError", "Row", "Rows", "as_rows", "build_output"]

#: The template's name for a row that is a single value.
ITEM = "item"


class MapError(UserError, ValueError):
    """A mistake in what was mapped or how: the message is one line that says what to do."""


@dataclass(frozen=True)
class Row:
    key: Any
    #: The key as the journal stores it (keys must differ as text).
    key_text: str
    values: Mapping[str, Any]


@dataclass
class Rows:
    rows: list[Row]
    kind: Literal["frame", "series", "list", "dict"]
    index: Any = None


class Answers(list[Any]):
    """The answers for a list input; ``errors`` maps a failed row's position to its error."""

    errors: dict[int, str]


def _is_pandas(obj: Any, name: str) -> bool:
    return type(obj).__module__.split(".")[0] == "pandas" and type(obj).__name__ == name


def _row_values(value: Any, series_name: Any = None) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    values = {ITEM: value}
    if isinstance(series_name, str) and series_name.isidentifier():
        values[series_name] = value
    return values


def as_rows(items: Any) -> Rows:
    """``items`` as keyed rows; raises :class:`MapError` for what cannot be mapped."""
    if _is_pandas(items, "DataFrame"):
        columns = [str(c) for c in items.columns]
        records = [dict(zip(columns, values)) for values in items.itertuples(index=False, name=None)]
        rows, kind, index = list(zip(items.index, records)), "frame", items.index
    elif _is_pandas(items, "Series"):
        rows = [(k, _row_values(v, items.name)) for k, v in items.items()]
        kind, index = "series", items.index
    elif isinstance(items, Mapping):
        rows, kind, index = [(k, _row_values(v)) for k, v in items.items()], "dict", None
    elif isinstance(items, Sequence) and not isinstance(items, (str, bytes)):
        rows, kind, index = [(i, _row_values(v)) for i, v in enumerate(items)], "list", None
    else:
        raise MapError(
            f"--map takes a DataFrame, a Series, a list (of strings or dicts) or a dict, not {type(items).__name__}."
        )
    out: list[Row] = []
    seen: set[str] = set()
    for key, values in rows:
        text = str(key)
        if text in seen:
            raise MapError(f"Row key {text!r} appears twice: keys must be unique (try df.reset_index(drop=True)).")
        seen.add(text)
        out.append(Row(key=key, key_text=text, values=values))
    return Rows(rows=out, kind=kind, index=index)  # type: ignore[arg-type]


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise MapError("This needs pandas, which is not installed: pip install pandas.") from None
    return pandas


def build_output(rows: Rows, answers: Mapping[str, Any], errors: Mapping[str, str]) -> Any:
    """Answers lined up with the input; a row without one is None, its error in ``errors``."""
    values = [answers.get(row.key_text) for row in rows.rows]
    failed = {row.key: errors[row.key_text] for row in rows.rows if row.key_text in errors}
    if rows.kind in ("frame", "series"):
        series = _pandas().Series(values, index=rows.index, dtype=object)
        series.attrs["errors"] = failed
        return series
    if rows.kind == "dict":
        return {row.key: value for row, value in zip(rows.rows, values)}
    answers_list = Answers(values)
    answers_list.errors = failed
    return answers_list
