"""``{name}`` interpolation of a prompt from the user's namespace, safe for pasted code.

A brace group is a field when it reads like ``str.format``'s: a Python name followed by
``.attr``, ``[0]``, ``[key]`` or ``["key"]`` parts, then an optional ``!r``/``!s``/``!a`` and
``:spec`` (which may itself hold ``{name}`` fields). ``{{`` and ``}}`` are literal braces. Any
other brace group (``{"a": 1}``, ``{}``, ``{0}``, ``{x for x in y}``) and an unmatched brace are
kept exactly as written, so pasted code and JSON reach the model untouched.
"""

from __future__ import annotations

import _string  # the field-name splitter that string.Formatter.get_field uses
import re
import string
from collections.abc import Mapping
from typing import Any, Callable

from ..exceptions import PromptError

__all__ = ["PromptError", "interpolate", "interpolate_parts"]

# str() of an object that defines no __str__ or __repr__: nothing the model could use.
_DEFAULT_REPR = re.compile(r"<.+ at 0x[0-9A-Fa-f]+>+", re.DOTALL)

_CONVERSIONS: dict[str, Callable[[Any], str]] = {"r": repr, "s": str, "a": ascii}


def interpolate(template: str, namespace: Mapping[str, Any]) -> str:
    """Fill ``{name}`` fields of ``template`` from ``namespace`` (see the module docstring)."""
    return "".join(_pieces(template, namespace, None))


def interpolate_parts(template: str, namespace: Mapping[str, Any], attach: Attach) -> list[Any]:
    """Like :func:`interpolate`, but a plain ``{name}`` (no ``!r``, no ``:spec``) whose value
    ``attach(value, name)`` turns into something (an image, a table) is kept as that object:
    the result is the template's text pieces with those objects between them, in order."""
    return _pieces(template, namespace, attach)


#: Turns a field's value into a prompt part, or returns None to leave it to its text.
Attach = Callable[[Any, str], Any]


def _pieces(template: str, namespace: Mapping[str, Any], attach: Attach | None) -> list[Any]:
    out: list[Any] = []
    i, n = 0, len(template)
    while i < n:
        ch = template[i]
        if ch in "{}" and template.startswith(ch * 2, i):
            out.append(ch)
            i += 2
            continue
        if ch != "{":
            out.append(ch)
            i += 1
            continue
        end = _matching_brace(template, i)
        if end is None:
            # An unmatched "{" (half a code block): keep the rest as written.
            out.append(template[i:])
            break
        group = template[i : end + 1]
        field = _parse_field(group)
        if field is None:
            out.append(group)
        else:
            name, conversion, spec = field
            value = _lookup(name, namespace)
            part = attach(value, name) if attach is not None and conversion is None and not spec else None
            out.append(part if part is not None else _fill(name, conversion, spec, namespace, value))
        i = end + 1
    return out


def _matching_brace(text: str, start: int) -> int | None:
    depth = 0
    for j in range(start, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return None


def _parse_field(group: str) -> tuple[str, str | None, str] | None:
    """``(field_name, conversion, spec)`` when ``group`` is a field, else ``None``."""
    try:
        parsed = list(string.Formatter().parse(group))
    except ValueError:
        return None
    if len(parsed) != 1:
        return None
    literal, name, spec, conversion = parsed[0]
    if literal or name is None or (conversion is not None and conversion not in _CONVERSIONS):
        return None
    if not _is_name_path(name):
        return None
    return name, conversion, spec or ""


def _is_name_path(name: str) -> bool:
    try:
        first, rest = _string.formatter_field_name_split(name)
        parts = list(rest)
    except ValueError:
        return False
    if not isinstance(first, str) or not first.isidentifier():
        return False
    return all(
        (not is_attr) or (isinstance(key, str) and key.isidentifier()) for is_attr, key in parts
    )


def _index_key(key: Any) -> Any:
    # str.format would look up '"key"' with its quotes; a prompt author means the string key.
    if isinstance(key, str) and len(key) >= 2 and key[0] == key[-1] and key[0] in "\"'":
        return key[1:-1]
    return key


def _fill(name: str, conversion: str | None, spec: str, namespace: Mapping[str, Any], value: Any) -> str:
    where = "{" + _cut(name) + "}"
    if conversion is not None:
        value = _CONVERSIONS[conversion](value)
    if "{" in spec:
        spec = interpolate(spec, namespace)
    try:
        text = format(value, spec)
    except PromptError:
        raise  # a value that explains itself
    except Exception as exc:  # noqa: BLE001 - any __format__/__str__ failure, reported in one line
        detail = f"format spec {spec!r} does not apply to " if spec else "str() failed for "
        raise PromptError(
            f"{where}: {detail}{type(value).__name__} ({type(exc).__name__})"
        ) from None
    if _DEFAULT_REPR.fullmatch(text):
        raise PromptError(
            f"{where}: a {type(value).__name__} has no readable text form, only its default "
            f"repr; give its class a __str__, or interpolate one of its fields, e.g. "
            f"{{{_cut(name)}.some_attribute}}"
        )
    return text


def _cut(text: str, limit: int = 60) -> str:
    """A name as an error line shows it: a pasted megabyte must not become a megabyte line."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _lookup(name: str, namespace: Mapping[str, Any]) -> Any:
    first, rest = _string.formatter_field_name_split(name)
    if first not in namespace:
        raise PromptError(
            f"name {_cut(repr(first))} is not defined: define it before running this cell, "
            f"or write {{{{{_cut(first)}}}}} for literal braces"
        )
    value = namespace[first]
    path = first
    for is_attr, key in rest:
        if is_attr:
            try:
                value = getattr(value, key)
            except Exception as exc:  # noqa: BLE001 - a property may raise anything
                raise PromptError(
                    f"{{{_cut(name)}}}: {_cut(path)} ({type(value).__name__}) has no attribute {_cut(repr(key))} "
                    f"({type(exc).__name__})"
                ) from None
            path = f"{path}.{key}"
        else:
            key = _index_key(key)
            try:
                value = value[key]
            except PromptError:
                raise
            except Exception as exc:  # noqa: BLE001 - __getitem__ may raise anything
                raise PromptError(
                    f"{{{_cut(name)}}}: {_cut(path)} ({type(value).__name__}) has no item [{_cut(repr(key))}] "
                    f"({type(exc).__name__})"
                ) from None
            path = f"{path}[{key!r}]"
    return value
