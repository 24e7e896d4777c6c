"""Running tool calls safely (claude_magic.tools.runner)."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import re
import threading
from typing import Any

import pydantic
import pytest

from claude_magic.tools.runner import DISPLAY_LIMIT, ToolBox, ToolOutcome, resolve_tools
from claude_magic.tools.schema import ToolDefinitionError

CALLS: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []


class Unit(enum.Enum):
    C = "celsius"
    F = "fahrenheit"


class Place(pydantic.BaseModel):
    city: str
    country: str = "FR"


def get_weather(city: str, days: int = 1, *, unit: Unit = Unit.C) -> dict[str, Any]:
    """Weather for a city."""
    CALLS.append(("get_weather", (city,), {"days": days, "unit": unit}))
    return {"city": city, "days": days, "unit": unit.value}


def record(place: Place, when: int = 0) -> str:
    """Records what it receives."""
    CALLS.append(("record", (place,), {"when": when}))
    return "ok"


def defaults_seen(a: int, b: list[int] | None = None) -> str:
    """Reports which keyword arguments it was called with."""
    return repr(b)


def positional(a: int, b: int = 10, /) -> int:
    """Positional-only parameters."""
    return a * b


def no_arguments() -> str:
    """Needs nothing."""
    return "pong"


def boom(message: str = "no network") -> str:
    """Always fails."""
    raise RuntimeError(message)


def silent_failure() -> str:
    """Raises an exception without a message."""
    raise KeyError


def validates_inside() -> None:
    """A pydantic error of the tool's own is the tool's failure, not a bad call."""
    Place.model_validate({})


def interrupted() -> None:
    """Ctrl-C while the tool runs."""
    raise KeyboardInterrupt


async def slow_echo(text: str, delay: float = 0.0) -> str:
    """Async tool."""
    await asyncio.sleep(delay)
    return text.upper()


def shouty(text: str) -> str:
    """Prints and reports its thread."""
    print(f"tool says {text}")
    return str(threading.get_ident())


class Gadget:
    pass


@dataclasses.dataclass
class Reading:
    celsius: float
    station: str


def returns(kind: str) -> Any:
    """Returns a value of the given kind."""
    return {
        "none": None,
        "int": 3,
        "list": [1, "two"],
        "model": Place(city="Paris"),
        "dataclass": Reading(12.5, "Orly"),
        "object": Gadget(),
        "nested": {"gadget": Gadget()},
        "long": "x" * (DISPLAY_LIMIT + 50),
    }[kind]


BOX = ToolBox(
    {
        "get_weather": get_weather,
        "record": record,
        "defaults_seen": defaults_seen,
        "positional": positional,
        "no_arguments": no_arguments,
        "boom": boom,
        "silent_failure": silent_failure,
        "validates_inside": validates_inside,
        "interrupted": interrupted,
        "slow_echo": slow_echo,
        "shouty": shouty,
        "returns": returns,
    }
)


def call(name: str, raw_input: str | dict[str, Any], box: ToolBox = BOX) -> ToolOutcome:
    return asyncio.run(box.call(tool_use_id="toolu_1", name=name, raw_input=raw_input))


@pytest.fixture(autouse=True)
def _clear_calls() -> None:
    CALLS.clear()


def test_parsed_arguments_reach_the_function_once_coerced() -> None:
    outcome = call("get_weather", '{"city": "Paris", "days": "3", "unit": "fahrenheit"}')
    assert CALLS == [("get_weather", ("Paris",), {"days": 3, "unit": Unit.F})]
    assert outcome == ToolOutcome(
        tool_use_id="toolu_1",
        content='{"city":"Paris","days":3,"unit":"fahrenheit"}',
        is_error=False,
        display='{"city":"Paris","days":3,"unit":"fahrenheit"}',
    )


def test_dict_input_and_model_argument_arrive_as_model_instance() -> None:
    outcome = call("record", {"place": {"city": "Lyon"}, "when": 5})
    assert CALLS == [("record", (Place(city="Lyon", country="FR"),), {"when": 5})]
    assert not outcome.is_error


def test_omitted_arguments_use_the_functions_own_defaults() -> None:
    assert call("defaults_seen", {"a": 1}).content == "None"
    assert call("defaults_seen", {"a": 1, "b": ["2"]}).content == "[2]"


def test_positional_only_parameters_are_passed_positionally() -> None:
    assert call("positional", {"a": 3}).content == "30"
    assert call("positional", {"a": 3, "b": 2}).content == "6"


def test_empty_input_text_calls_a_tool_without_parameters() -> None:
    assert call("no_arguments", "").content == "pong"


def test_bad_json_is_an_error_naming_the_position() -> None:
    outcome = call("get_weather", '{"city": "Paris",')
    assert outcome.is_error
    assert outcome.content.startswith("invalid input for get_weather: not valid JSON:")
    assert "line 1 column 18" in outcome.content
    assert CALLS == []


def test_json_that_is_not_an_object_is_an_error() -> None:
    outcome = call("get_weather", '["Paris"]')
    assert outcome.is_error
    assert outcome.content == "invalid input for get_weather: expected a JSON object, got list"


def test_missing_argument_is_named() -> None:
    outcome = call("get_weather", {"days": 2})
    assert outcome.is_error
    assert outcome.content == "invalid arguments for get_weather: missing argument city"
    assert CALLS == []


def test_wrong_type_is_named_with_the_value_received() -> None:
    outcome = call("get_weather", {"city": "Paris", "days": "soon"})
    assert outcome.is_error
    assert outcome.content.startswith("invalid arguments for get_weather: argument days: ")
    assert "valid integer" in outcome.content and "(got 'soon')" in outcome.content


def test_nested_problem_names_the_path() -> None:
    outcome = call("record", {"place": {"city": 3}})
    assert outcome.is_error
    assert "argument place.city: Input should be a valid string" in outcome.content


def test_unexpected_argument_is_named() -> None:
    outcome = call("get_weather", {"city": "Paris", "colour": "red"})
    assert outcome.is_error
    assert outcome.content == "invalid arguments for get_weather: unexpected argument colour"


def test_exception_inside_tool_is_error_without_traceback() -> None:
    outcome = call("boom", {"message": "host unreachable"})
    assert outcome.is_error
    assert outcome.content == "RuntimeError: host unreachable"


def test_exception_without_message_gives_its_type() -> None:
    assert call("silent_failure", {}).content == "KeyError"


def test_validation_error_raised_by_the_tool_is_the_tools_failure() -> None:
    outcome = call("validates_inside", {})
    assert outcome.is_error
    assert outcome.content.startswith("ValidationError: ")
    assert "invalid arguments" not in outcome.content


def test_keyboard_interrupt_is_not_swallowed() -> None:
    with pytest.raises(KeyboardInterrupt):
        call("interrupted", {})


def test_async_tool_is_awaited() -> None:
    outcome = call("slow_echo", {"text": "hi", "delay": 0.01})
    assert outcome.content == "HI"
    assert not outcome.is_error


def test_sync_tool_runs_on_the_loop_thread_and_can_print(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = call("shouty", {"text": "hello"})
    assert outcome.content == str(threading.get_ident())
    assert capsys.readouterr().out == "tool says hello\n"


def test_unknown_tool_lists_the_available_ones() -> None:
    box = ToolBox({"get_weather": get_weather, "boom": boom})
    outcome = call("rm_rf", {}, box)
    assert outcome.is_error
    assert outcome.content == "unknown tool rm_rf; available: get_weather, boom"


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("none", "null"),
        ("int", "3"),
        ("list", '[1,"two"]'),
        ("model", '{"city":"Paris","country":"FR"}'),
        ("dataclass", '{"celsius":12.5,"station":"Orly"}'),
        ("object", f"<{__name__}.Gadget object>"),
        ("nested", f'{{"gadget":"<{__name__}.Gadget object>"}}'),
    ],
)
def test_return_values_become_text(kind: str, text: str) -> None:
    assert call("returns", {"kind": kind}).content == text


def test_display_is_shortened_but_content_is_whole() -> None:
    outcome = call("returns", {"kind": "long"})
    assert outcome.content == "x" * (DISPLAY_LIMIT + 50)
    assert outcome.display == "x" * DISPLAY_LIMIT + "… [50 more characters]"


def test_outcome_as_tool_result_block() -> None:
    assert call("no_arguments", "").to_param() == {
        "type": "tool_result",
        "tool_use_id": "toolu_1",
        "content": "pong",
    }
    assert call("boom", {}).to_param() == {
        "type": "tool_result",
        "tool_use_id": "toolu_1",
        "content": "RuntimeError: no network",
        "is_error": True,
    }


def test_definitions_follow_the_mapping_names() -> None:
    box = ToolBox({"weather": get_weather, "echo": slow_echo})
    assert [d["name"] for d in box.definitions()] == ["weather", "echo"]
    assert box.definitions()[0]["input_schema"]["required"] == ["city"]
    box.definitions()[-1]["cache_control"] = {"type": "ephemeral"}
    assert "cache_control" not in box.definitions()[-1]


def test_toolbox_refuses_a_tool_it_cannot_describe() -> None:
    def varargs(*values: int) -> None:
        """Varargs."""

    with pytest.raises(ToolDefinitionError, match="varargs"):
        ToolBox({"varargs": varargs})


NAMESPACE = {"get_weather": get_weather, "slow_echo": slow_echo, "weather": get_weather, "limit": 3}


def test_resolve_tools_from_comma_separated_names() -> None:
    box = resolve_tools("get_weather, slow_echo", NAMESPACE)
    assert box.names == ["get_weather", "slow_echo"]


def test_resolve_tools_uses_the_namespace_name() -> None:
    assert resolve_tools("weather", NAMESPACE).names == ["weather"]


def test_resolve_tools_from_list_of_callables_and_names() -> None:
    box = resolve_tools([boom, "slow_echo"], NAMESPACE)
    assert box.names == ["boom", "slow_echo"]
    assert call("boom", {}, box).content == "RuntimeError: no network"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("get_weather,nowhere", "tool nowhere is not defined in the notebook"),
        ("limit", "tool limit is not callable (its type is int)"),
        ("get_weather,get_weather", "tool get_weather is named twice"),
        (" , ", "no tools named"),
        ([3], "neither a name nor a callable"),
    ],
)
def test_resolve_tools_errors_name_the_problem(spec: Any, message: str) -> None:
    with pytest.raises(ToolDefinitionError, match=re.escape(message)):
        resolve_tools(spec, NAMESPACE)
