"""Options as a user types them: quotes removed, one usage line for a mistake."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.testing.globalipapp import start_ipython

from claude_magic.ipython.magic import ClaudeMagic, check_encodable, check_out_name
from claude_magic.ipython.options import parse_line


@pytest.fixture(scope="module")
def magic() -> ClaudeMagic:
    return ClaudeMagic(shell=start_ipython())


def test_a_quoted_system_prompt_arrives_without_its_quotes(magic: ClaudeMagic) -> None:
    args = parse_line(magic.claude, '-s "be brief" -m claude-haiku-4-5')
    assert args.system == "be brief" and args.model == "claude-haiku-4-5" and args.prompt == []
    assert parse_line(magic.claude, "-s 'two words'").system == "two words"


def test_the_prompt_of_a_line_magic_is_kept_as_written(magic: ClaudeMagic) -> None:
    args = parse_line(magic.claude, '-s "be brief" What\'s up? Say "hi" -s no')
    assert args.system == "be brief"
    assert args.prompt == ['What\'s up? Say "hi" -s no']
    assert parse_line(magic.claude, "--max-tokens=5 -t 0.5 hello").max_tokens == 5


def test_an_unbalanced_quote_is_one_usage_line(magic: ClaudeMagic) -> None:
    with pytest.raises(UsageError) as caught:
        parse_line(magic.claude, '-s "x')
    message = str(caught.value)
    assert "\n" not in message and "close the quote" in message


@pytest.mark.parametrize("name", ["__builtins__", "class", "__name__", "1x", "a-b", "None"])
def test_out_refuses_keywords_dunders_and_non_names(name: str) -> None:
    with pytest.raises(UsageError):
        check_out_name(name)


def test_out_takes_a_plain_name() -> None:
    check_out_name("reply")
    check_out_name("_private")


def test_a_megabyte_name_gives_a_short_line() -> None:
    with pytest.raises(UsageError) as caught:
        check_out_name("x-" * 500_000)
    assert len(str(caught.value)) < 120


def test_a_lone_surrogate_is_one_clear_line() -> None:
    with pytest.raises(UsageError) as caught:
        check_encodable("prompt", "caf\ud800e")
    message = str(caught.value)
    assert "U+D800" in message and "character 3" in message and "\n" not in message
    check_encodable("prompt", "café ☕")
