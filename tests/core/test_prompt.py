"""{name} interpolation of prompts from the user namespace."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from claude_magic.core.prompt import PromptError, interpolate


class Opaque:
    pass


@dataclass
class Point:
    x: int
    y: int


class Secretive:
    @property
    def token(self) -> str:
        raise RuntimeError("sk-ant-very-secret")


NS = {
    "name": "Ada",
    "n": 3.14159,
    "items": ["first", "second"],
    "data": {"key": "value", "0": "string zero"},
    "pt": Point(1, 2),
    "opaque": Opaque(),
    "width": 6,
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("Hello {name}!", "Hello Ada!"),
        ("{pt.x},{pt.y}", "1,2"),
        ("{items[0]} then {items[1]}", "first then second"),
        ('{data["key"]}', "value"),
        ("{data['key']}", "value"),
        ("{data[key]}", "value"),
        ('{data["0"]}', "string zero"),
        ("{n:.2f}", "3.14"),
        ("[{name:>5}]", "[  Ada]"),
        ("[{name:>{width}}]", "[   Ada]"),
        ("{name!r}", "'Ada'"),
        ("{pt!s}", "Point(x=1, y=2)"),
        ("{items!a}", "['first', 'second']"),
        ("{{name}} is literal", "{name} is literal"),
        ("a }} b {{", "a } b {"),
        ("no fields at all", "no fields at all"),
    ],
)
def test_fields_are_filled_like_str_format(template: str, expected: str) -> None:
    assert interpolate(template, NS) == expected


@pytest.mark.parametrize(
    "pasted",
    [
        'Explain {"a": 1, "b": [1, 2]}',
        'nested {"a": {"b": {"c": 1}}} json',
        "def f():\n    return {}\n",
        "'{0} and {1}'.format(x, y)",
        "{x for x in range(3)}",
        "{a, b}",
        "{ name }",
        "if x:\n    {\n",
        "close only } here",
        "{name!z}",
        "{0[name]}",
    ],
)
def test_pasted_code_and_json_braces_are_left_as_written(pasted: str) -> None:
    assert interpolate(pasted, NS) == pasted


def test_fields_and_pasted_json_mix() -> None:
    template = 'For {name}, parse {"user": {"id": 1}} and list {items[1]}.'
    assert interpolate(template, NS) == 'For Ada, parse {"user": {"id": 1}} and list second.'


def test_undefined_name_says_how_to_fix_in_one_line() -> None:
    with pytest.raises(PromptError) as info:
        interpolate("Summarise {x} please", NS)
    assert str(info.value) == (
        "name 'x' is not defined: define it before running this cell, "
        "or write {{x}} for literal braces"
    )
    assert isinstance(info.value, ValueError)


def test_missing_attribute_says_which() -> None:
    with pytest.raises(PromptError, match=r"\{pt\.z\}: pt \(Point\) has no attribute 'z'"):
        interpolate("{pt.z}", NS)


def test_missing_index_says_which() -> None:
    message = r"\{items\[5\]\}: items \(list\) has no item \[5\] \(IndexError\)"
    with pytest.raises(PromptError, match=message):
        interpolate("{items[5]}", NS)
    with pytest.raises(PromptError, match=r"data \(dict\) has no item \['nope'\] \(KeyError\)"):
        interpolate('{data["nope"]}', NS)


def test_failing_property_message_does_not_leak_its_value() -> None:
    with pytest.raises(PromptError) as info:
        interpolate("{s.token}", {"s": Secretive()})
    message = str(info.value)
    assert "token" in message and "RuntimeError" in message
    assert "sk-ant" not in message


def test_bad_format_spec_names_the_field_not_the_value() -> None:
    message = r"\{name\}: format spec 'd' does not apply to str"
    with pytest.raises(PromptError, match=message) as info:
        interpolate("{name:d}", NS)
    assert "Ada" not in str(info.value)


@pytest.mark.parametrize("template", ["{opaque}", "{opaque!r}", "{f}", "{m}"])
def test_object_with_only_a_default_repr_is_refused(template: str) -> None:
    def f() -> None: ...

    namespace = {**NS, "f": f, "m": Opaque().__init__}
    with pytest.raises(PromptError) as info:
        interpolate(template, namespace)
    message = str(info.value)
    assert "__str__" in message and "0x" not in message and "\n" not in message


def test_object_with_a_str_is_fine() -> None:
    class Named:
        def __str__(self) -> str:
            return "a named thing"

    assert interpolate("{obj}", {"obj": Named()}) == "a named thing"
