"""Python functions -> Anthropic tool definitions (claude_magic.tools.schema)."""

from __future__ import annotations

import enum
import functools
from typing import Annotated, Any, Literal, Optional

import jsonschema
import pydantic
import pytest

from claude_magic.tools.schema import ToolDefinitionError, describe_tool, tool_definition


class Unit(enum.Enum):
    CELSIUS = "celsius"
    FAHRENHEIT = "fahrenheit"


class Point(pydantic.BaseModel):
    """A point on the map."""

    x: int
    y: int = 0


class Tree(pydantic.BaseModel):
    value: int
    children: list[Tree] = []


def get_weather(city: str, unit: Literal["C", "F"] = "C", days: Optional[int] = None) -> str:
    """Get the current weather for a city.

    Uses the cached forecast when there is one.

    Args:
        city: The city, e.g. "Paris".
        unit: Temperature unit.
        days (int, optional): Days ahead,
            counting from today.

    Returns:
        A short report.
    """
    return ""


def scalars(text: str, count: int, ratio: float, flag: bool) -> None:
    """Scalars."""


def collections(
    ids: list[int], pair: tuple[int, str], tags: set[str], weights: dict[str, float]
) -> None:
    """Collections."""


def nullable(note: Optional[str], other: str | None = None) -> None:
    """Nullable."""


def with_enum(unit: Unit = Unit.CELSIUS) -> None:
    """Enum."""


def annotated(
    n: Annotated[int, "how many, from Annotated"],
    m: Annotated[int, pydantic.Field(description="from Field", ge=0)] = 1,
) -> None:
    """Annotated.

    Args:
        n: from the docstring, which Annotated overrides
        m: also overridden
    """


def with_model(where: Point, maybe: Point | None = None) -> None:
    """Model.

    Args:
        where: Where to look.
    """


def with_tree(tree: Tree) -> None:
    """A recursive model."""


def untyped(thing, other=3) -> None:  # type: ignore[no-untyped-def]
    """No hints."""


def clashing(json: str, model_config: int, schema: bool = False) -> None:
    """Parameter names that are BaseModel attributes."""


def odd_default(when: Any = object()) -> None:
    """A default JSON cannot express."""


def undocumented(x: int) -> None:
    pass


def google(city: str, days: int = 1) -> None:
    """Forecast.

    Args:
        city: The city
            name.
        days: How many days.
    """


def numpy(city: str, days: int = 1) -> None:
    """Forecast.

    Parameters
    ----------
    city : str
        The city
        name.
    days : int, optional
        How many days.
    """


def rest(city: str, days: int = 1) -> None:
    """Forecast.

    :param city: The city
        name.
    :param int days: How many days.
    :returns: nothing
    """


def test_google_docstring_gives_exact_definition() -> None:
    assert tool_definition(get_weather) == {
        "name": "get_weather",
        "description": "Get the current weather for a city.\n\nUses the cached forecast when there is one.",
        "input_schema": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": 'The city, e.g. "Paris".'},
                "unit": {
                    "type": "string",
                    "enum": ["C", "F"],
                    "default": "C",
                    "description": "Temperature unit.",
                },
                "days": {
                    "anyOf": [{"type": "integer"}, {"type": "null"}],
                    "default": None,
                    "description": "Days ahead, counting from today.",
                },
            },
            "required": ["city"],
            "additionalProperties": False,
        },
    }


def test_scalars_map_to_json_types_and_are_required() -> None:
    schema = tool_definition(scalars)["input_schema"]
    assert schema["properties"] == {
        "text": {"type": "string"},
        "count": {"type": "integer"},
        "ratio": {"type": "number"},
        "flag": {"type": "boolean"},
    }
    assert schema["required"] == ["text", "count", "ratio", "flag"]


def test_collections_map_to_arrays_and_objects() -> None:
    assert tool_definition(collections)["input_schema"]["properties"] == {
        "ids": {"type": "array", "items": {"type": "integer"}},
        "pair": {
            "type": "array",
            "prefixItems": [{"type": "integer"}, {"type": "string"}],
            "minItems": 2,
            "maxItems": 2,
        },
        "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
        "weights": {"type": "object", "additionalProperties": {"type": "number"}},
    }


def test_optional_is_nullable_and_required_only_without_default() -> None:
    schema = tool_definition(nullable)["input_schema"]
    nullable_string = [{"type": "string"}, {"type": "null"}]
    assert schema["properties"]["note"] == {"anyOf": nullable_string}
    assert schema["properties"]["other"] == {"anyOf": nullable_string, "default": None}
    assert schema["required"] == ["note"]


def test_enum_becomes_enum_of_values_inline() -> None:
    schema = tool_definition(with_enum)["input_schema"]
    assert schema["properties"]["unit"] == {
        "type": "string",
        "enum": ["celsius", "fahrenheit"],
        "default": "celsius",
    }
    assert "$defs" not in schema
    assert schema["required"] == []


def test_annotated_description_wins_over_docstring() -> None:
    properties = tool_definition(annotated)["input_schema"]["properties"]
    assert properties["n"] == {"type": "integer", "description": "how many, from Annotated"}
    assert properties["m"] == {
        "type": "integer",
        "description": "from Field",
        "minimum": 0,
        "default": 1,
    }


def test_model_parameter_is_inlined_with_its_own_schema() -> None:
    schema = tool_definition(with_model)["input_schema"]
    point = {
        "type": "object",
        "description": "A point on the map.",
        "properties": {"x": {"type": "integer"}, "y": {"type": "integer", "default": 0}},
        "required": ["x"],
    }
    # The parameter's own description beats the model's docstring.
    assert schema["properties"]["where"] == {**point, "description": "Where to look."}
    assert schema["properties"]["maybe"] == {"anyOf": [point, {"type": "null"}], "default": None}
    assert "$defs" not in schema
    assert schema["required"] == ["where"]


def test_recursive_model_keeps_its_definition_under_top_level_defs() -> None:
    schema = tool_definition(with_tree)["input_schema"]
    tree = schema["properties"]["tree"]
    assert tree["properties"]["children"]["items"] == {"$ref": "#/$defs/Tree"}
    assert schema["$defs"]["Tree"]["properties"]["value"] == {"type": "integer"}
    valid = {"tree": {"value": 1, "children": [{"value": 2, "children": []}]}}
    jsonschema.validate(valid, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"tree": {"value": 1, "children": [{"value": "x"}]}}, schema)


def test_parameter_without_hint_accepts_any_type() -> None:
    properties = tool_definition(untyped)["input_schema"]["properties"]
    assert properties == {"thing": {}, "other": {"default": 3}}


def test_parameter_names_that_are_basemodel_attributes_work() -> None:
    spec = describe_tool(clashing)
    assert list(spec.definition["input_schema"]["properties"]) == ["json", "model_config", "schema"]
    assert spec.bind({"json": "x", "model_config": "2"}) == ((), {"json": "x", "model_config": 2})


def test_default_json_cannot_express_is_left_out_without_warning() -> None:
    # Warnings are errors in this test run, so a pydantic warning would fail here.
    assert tool_definition(odd_default)["input_schema"]["properties"] == {"when": {}}


def test_no_docstring_means_no_description() -> None:
    assert "description" not in tool_definition(undocumented)


@pytest.mark.parametrize("func", [google, numpy, rest], ids=["google", "numpy", "rest"])
def test_docstring_styles_give_the_same_parameter_descriptions(func: Any) -> None:
    definition = tool_definition(func)
    assert definition["description"] == "Forecast."
    properties = definition["input_schema"]["properties"]
    assert properties["city"]["description"] == "The city name."
    assert properties["days"]["description"] == "How many days."


@pytest.mark.parametrize(
    "func",
    [get_weather, scalars, collections, nullable, with_enum, annotated, with_model, with_tree, untyped],
)
def test_every_schema_is_a_valid_object_schema(func: Any) -> None:
    schema = tool_definition(func)["input_schema"]
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object"
    assert isinstance(schema["properties"], dict)
    assert set(schema["required"]) <= set(schema["properties"])


def test_name_can_be_given() -> None:
    assert tool_definition(get_weather, name="weather")["name"] == "weather"


def test_partial_keeps_remaining_parameters() -> None:
    definition = tool_definition(functools.partial(get_weather, unit="F"), name="paris")
    assert definition["description"].startswith("Get the current weather for a city.")
    schema = definition["input_schema"]
    assert schema["properties"]["unit"]["default"] == "F"
    assert schema["required"] == ["city"]


def star_args(city: str, *more: str) -> None:
    """Varargs."""


def star_kwargs(city: str, **options: Any) -> None:
    """Keyword varargs."""


@pytest.mark.parametrize(
    ("func", "fragment"),
    [(star_args, "*more is not supported"), (star_kwargs, "**options is not supported")],
)
def test_var_arguments_are_refused_naming_function(func: Any, fragment: str) -> None:
    with pytest.raises(ToolDefinitionError) as caught:
        tool_definition(func)
    message = str(caught.value)
    assert func.__name__ in message and fragment in message
    assert "\n" not in message


def test_invalid_tool_name_is_refused() -> None:
    with pytest.raises(ToolDefinitionError, match="'<lambda>' as a tool name"):
        tool_definition(lambda x: x)


def test_unresolvable_hint_is_refused() -> None:
    class Local:
        pass

    def uses_local(x: Local) -> None:
        """The string hint 'Local' cannot be resolved from module globals."""

    with pytest.raises(ToolDefinitionError, match=r"uses_local.*type hints cannot be resolved.*Local"):
        tool_definition(uses_local)


class Opaque:
    pass


def takes_opaque(thing: Opaque) -> None:
    """An arbitrary class has no JSON schema."""


def test_type_without_json_schema_is_refused_naming_parameter() -> None:
    with pytest.raises(ToolDefinitionError) as caught:
        tool_definition(takes_opaque)
    assert str(caught.value) == "cannot use takes_opaque as a tool: parameter thing: type Opaque has no JSON schema"


def test_tool_definition_error_is_a_value_error() -> None:
    assert issubclass(ToolDefinitionError, ValueError)


def test_not_callable_is_refused() -> None:
    with pytest.raises(ToolDefinitionError, match="not callable"):
        tool_definition(42, name="answer")  # type: ignore[arg-type]
