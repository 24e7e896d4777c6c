"""The XSS corpus (tests/fixtures/xss) and an independent scan of HTML for live markup.

The scan does not reuse the renderer's own check: it is what a reviewer would look for in
the HTML a front end receives (any ``on*`` attribute, a script-capable URL, ``srcdoc``, a tag
outside the small set an answer may hold).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CORPUS = Path(__file__).parent / "fixtures" / "xss"

#: Tags an answer may hold (what Markdown produces, plus the math and code wrappers).
ANSWER_TAGS = frozenset({
    "div", "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre", "code",
    "span", "em", "strong", "s", "a", "img", "table", "thead", "tbody", "tr", "th", "td", "hr", "br",
})
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "background",
                            "poster", "lowsrc", "dynsrc", "codebase", "cite"})
# Browsers drop leading spaces and C0 controls and ignore tabs and newlines inside a scheme.
_IGNORED = re.compile(r"[\x00-\x20]")
UNSAFE_SCHEMES = ("javascript:", "vbscript:", "data:", "file:")


@dataclass(frozen=True)
class Payload:
    index: int
    family: str
    text: str

    @property
    def tag(self) -> str:
        """A marker no payload contains: the emulator's rule for this payload matches it."""
        return f"XSSP{self.index:03d}"


@dataclass(frozen=True)
class Sample:
    name: str
    text: str
    expect: list[str]
    shows: list[str]
    math: int | None = None
    monospace: bool = False
    index: int = 0

    @property
    def tag(self) -> str:
        return f"MDS{self.index:03d}"


def payloads() -> list[Payload]:
    data = tomllib.loads((CORPUS / "payloads.toml").read_text(encoding="utf-8"))
    return [Payload(i, p["family"], p["text"]) for i, p in enumerate(data["payload"])]


def samples() -> list[Sample]:
    data = tomllib.loads((CORPUS / "samples.toml").read_text(encoding="utf-8"))
    return [Sample(index=i, **s) for i, s in enumerate(data["sample"])]


def is_unsafe_url(value: str) -> bool:
    url = _IGNORED.sub("", value).lower()
    return url.startswith(UNSAFE_SCHEMES)


@dataclass
class Findings:
    tags: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


class _Scanner(HTMLParser):
    def __init__(self, allowed_tags: frozenset[str] | None) -> None:
        super().__init__(convert_charrefs=True)
        self.allowed_tags = allowed_tags
        self.found = Findings()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.tags.add(tag)
        if self.allowed_tags is not None and tag not in self.allowed_tags:
            self.found.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.problems.append(f"<{tag} {name}=>")
            if name == "srcdoc":
                self.found.problems.append(f"<{tag} srcdoc>")
            if name in URL_ATTRIBUTES and is_unsafe_url(value or ""):
                self.found.problems.append(f"<{tag} {name}={value!r}>")
            if name == "style" and re.search(r"url\s*\(|expression\s*\(|animation|content-visibility", value or "", re.I):
                self.found.problems.append(f"<{tag} style={value!r}>")

    handle_startendtag = handle_starttag

    def handle_comment(self, data: str) -> None:
        self.found.problems.append("comment")


def scan_html(html: str, *, allowed_tags: frozenset[str] | None = ANSWER_TAGS) -> Findings:
    """Live markup in ``html``: on* attributes, unsafe URLs, srcdoc, unexpected tags."""
    scanner = _Scanner(allowed_tags)
    scanner.feed(html)
    scanner.close()
    return scanner.found


def emulator_rules(items: list[Any], *, extra: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """One emulator rule per payload or sample: a prompt holding its tag gets its text."""
    return [{"match": item.tag, "blocks": [{"type": "text", "text": item.text}], **(extra or {})}
            for item in items]
