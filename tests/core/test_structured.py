"""--json: a user's type or schema becomes output_config.format, and the answer is checked against it."""

from __future__ import annotations

import dataclasses
import sys
import typing

import pydantic
import pytest
from typing_extensions import TypedDict

from claude_magic.core.structured import OutputSchema, StructuredOutputError


class Recipe(pydantic.BaseModel):
    title: str
    servings: int = pydantic.Field(ge=1, le=12)


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Movie(TypedDict):
    name: str
    year: int


def test_a_pydantic_model_goes_out_closed_and_comes_back_as_an_instance():
    output = OutputSchema.from_object("Recipe", Recipe)
    assert output.schema["type"] == "object" and output.schema["additionalProperties"] is False
    checked = output.check('{"title": "Soup", "servings": 4}')
    assert checked.ok and isinstance(checked.value, Recipe) and checked.value.servings == 4


def test_a_constraint_the_api_does_not_enforce_is_still_checked_here():
    checked = OutputSchema.from_object("Recipe", Recipe).check('{"title": "Feast", "servings": 40}')
    assert checked.value is None
    assert checked.error == "--json Recipe: the answer does not validate: servings: Input should be less than or equal to 12"


def test_dataclasses_typeddicts_and_schema_dicts_give_dicts():
    assert OutputSchema.from_object("Point", Point).check('{"x": 1, "y": 2}').value == {"x": 1, "y": 2}
    assert OutputSchema.from_object("Movie", Movie).check('{"name": "M", "year": 1931}').value == {"name": "M",
                                                                                                   "year": 1931}
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    output = OutputSchema.from_object("schema", schema)
    assert output.check('{"n": 3}').value == {"n": 3}
    assert output.check('{"n": "three"}').error == "--json schema: the answer does not validate: n: 'three' is not of type 'integer'"


def test_text_that_is_not_json_says_where_it_broke():
    checked = OutputSchema.from_object("Point", Point).check('{"x": 1,')
    assert checked.error is not None and checked.error.startswith("--json Point: the answer is not JSON (")


def test_something_that_is_not_a_type_or_schema_is_one_line():
    with pytest.raises(StructuredOutputError, match="give a pydantic model, a dataclass, a TypedDict or a JSON-schema dict"):
        OutputSchema.from_object("n", 42)
    with pytest.raises(StructuredOutputError, match="must describe a JSON object"):
        OutputSchema.from_object("s", {"type": "string"})


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="pydantic takes typing.TypedDict from Python 3.12")
def test_a_typing_typeddict_on_older_pythons_says_the_fix_in_one_line():
    class Old(typing.TypedDict):
        a: int

    with pytest.raises(StructuredOutputError) as caught:
        OutputSchema.from_object("Old", Old)
    assert str(caught.value) == "--json Old: Please use `typing_extensions.TypedDict` instead of `typing.TypedDict` on Python < 3.12."
