"""A magic's line read as a user types it: shell quoting for options, the prompt left as written.

IPython's own ``parse_argstring`` splits with ``posix=False``, which keeps the quote marks
(``-s "be brief"`` would send ``"be brief"`` with its quotes) and turns an unbalanced quote into
a ``ValueError`` traceback. Here each option and its value are read as a shell reads them
(quotes removed, ``-s "x`` one usage line), and the first word that is not an option starts the
prompt of ``%claude PROMPT``, taken as written, apostrophes and all.
"""

from __future__ import annotations

import argparse
import io
import shlex
from typing import Any

from IPython.core.error import UsageError

__all__ = ["parse_line"]


def _takes_value(parser: argparse.ArgumentParser, option: str) -> bool:
    name = option.split("=", 1)[0]
    for action in parser._actions:  # argparse keeps no public index of its options
        if name in action.option_strings:
            return action.nargs != 0 and "=" not in option
    return False


def _word(text: str) -> tuple[str, int]:
    """The first shell word of ``text`` (which starts with it) and how many characters it used."""
    stream = io.StringIO(text)
    lex = shlex.shlex(stream, posix=True)
    lex.whitespace_split = True
    lex.commenters = ""
    try:
        word = lex.get_token()
    except ValueError as exc:
        raise UsageError(f"Cannot read the options: {exc} in {_cut(text)}; close the quote.") from None
    return word or "", stream.tell()


def _cut(text: str, limit: int = 40) -> str:
    text = text.strip()
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def parse_line(magic: Any, line: str) -> argparse.Namespace:
    """Parse ``line`` with the ``@magic_arguments`` parser of ``magic`` (see the module docstring)."""
    parser = magic.parser
    argv: list[str] = []
    rest = line
    wants_value = False
    while rest.strip():
        rest = rest.lstrip()
        if not wants_value and not rest.startswith("-"):
            argv.append(rest.rstrip())  # the prompt, as written (it does not start with "-")
            break
        word, used = _word(rest)
        argv.append(word)
        wants_value = not wants_value and word.startswith("-") and _takes_value(parser, word)
        rest = rest[used:]
    return parser.parse_args(argv)
