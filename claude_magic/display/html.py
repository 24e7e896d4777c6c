"""The one renderer of model text: Markdown in, HTML that holds only tags it wrote itself.

Model text is untrusted. It used to reach the front end as ``text/markdown``, which every
front end parses again with its own Markdown parser (JupyterLab's marked, GitHub, nbconvert):
whatever one parser leaves as text, another may read as a tag (``<x_y onanimationstart=...>``,
a ``|`` inside a code span of a GFM table). So this module alone decides what is HTML, and
every view shows its result as ``text/html`` (or inserts it into a widget), never Markdown.

* markdown-it with raw HTML off: every ``<`` of the model's text becomes ``&lt;``.
* Tables and strikethrough (GFM), and ``$...$``/``$$...$$`` math (mdit-py-plugins' dollarmath).
* Links: http, https, mailto and relative only; images: http, https and relative only.
* Code blocks: highlighted by Pygments with inline styles (no stylesheet needed), in a
  ``<pre>`` that names the code font itself (nbconvert's HTML would otherwise not).
* Math is left for the front end's MathJax, which is told to look only inside the math
  elements (``mathjax_ignore`` on the answer, ``mathjax_process`` on each formula), so a
  ``$`` elsewhere in the text is never typeset; TeX commands that make links, load packages
  or set HTML attributes are refused: such a formula is shown as code.
* Last, the HTML is checked against the tags and attributes this renderer can produce; if
  anything else were found the text is shown escaped in a ``<pre>`` instead.

``render_answer_html`` is what every view calls: answer text, tool lines, and any later lane
(thinking, citations) go through it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from html.parser import HTMLParser
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin

__all__ = [
    "ANSWER_CLASS",
    "is_safe_link",
    "is_safe_image",
    "markdown_parser",
    "render_answer_fragment",
    "render_answer_html",
]

#: Classes of the element that holds an answer: JupyterLab's own styles for rendered text,
#: and MathJax told (v3 and v2 names) not to look for formulas except where allowed.
ANSWER_CLASS = "claude-answer jp-RenderedHTMLCommon mathjax_ignore tex2jax_ignore"
_MATH_CLASS = "claude-math mathjax_process tex2jax_process"
#: On code blocks, so they stay monospaced where no JupyterLab stylesheet reaches.
_CODE_FONT = "font-family:var(--jp-code-font-family,monospace)"
#: Pygments' "vs" colours: the fewest spans (keywords, strings, comments), readable anywhere.
_CODE_STYLE = "vs"

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_IMAGE_SCHEMES = frozenset({"http", "https"})


def _scheme(url: str) -> str | None:
    # markdown-it has decoded entities and percent-encoded spaces and controls by now, so
    # what a browser would read as the scheme is what is before the first colon here.
    match = _SCHEME.match(url.strip())
    return match.group(1).lower() if match else None


def is_safe_link(url: str) -> bool:
    """True for http(s), mailto and relative URLs; False for javascript:, data:, file:..."""
    scheme = _scheme(url)
    return scheme is None or scheme in _LINK_SCHEMES


def is_safe_image(url: str) -> bool:
    """True for http(s) and relative image URLs (no data: images at all)."""
    scheme = _scheme(url)
    return scheme is None or scheme in _IMAGE_SCHEMES


def _validate(url: str) -> bool:
    # One rule for links, images, autolinks and reference definitions (markdown-it does not
    # say which it is validating); images are checked again when rendered.
    return is_safe_link(url)


# --- math ---------------------------------------------------------------------------------

#: TeX commands that, in JupyterLab's MathJax (all packages plus require), make links,
#: load packages, set CSS or HTML attributes, or build command names from text.
_UNSAFE_TEX = frozenset({
    "href", "url", "require", "class", "cssId", "style", "html", "data", "unicode",
    "mmlToken", "csname", "toggle", "mathtip", "texttip", "tooltip", "Newextarrow",
})
_TEX_COMMAND = re.compile(r"\\([a-zA-Z]+)")


def _tex_is_safe(tex: str) -> bool:
    return not any(name in _UNSAFE_TEX for name in _TEX_COMMAND.findall(tex))


def _math(_renderer: Any, tokens: Sequence[Token], idx: int, *_: Any) -> str:
    token = tokens[idx]
    display = token.type == "math_block"
    delimiter = "$$" if display else "$"
    tex = token.content.strip() if display else token.content
    if not _tex_is_safe(tex):
        shown = f"{delimiter}{tex}{delimiter}"
        code = f"<code>{html.escape(shown)}</code>"
        return f"<p>{code}</p>\n" if display else code
    tag = "div" if display else "span"
    return f'<{tag} class="{_MATH_CLASS}">{html.escape(delimiter + tex + delimiter)}</{tag}>' + (
        "\n" if display else "")


# --- code ---------------------------------------------------------------------------------

_LANGUAGE = re.compile(r"^[A-Za-z0-9_+#.\-]{1,40}$")


def _highlight(code: str, language: str) -> str:
    """Pygments' HTML for ``code`` (inline styles), or the code escaped when unknown."""
    if language:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import get_lexer_by_name
        from pygments.util import ClassNotFound

        try:
            lexer = get_lexer_by_name(language)
        except ClassNotFound:
            pass
        else:
            return highlight(code, lexer, HtmlFormatter(nowrap=True, noclasses=True, style=_CODE_STYLE))
    return html.escape(code)


def _code_block(_renderer: Any, tokens: Sequence[Token], idx: int, _options: Any, env: Any) -> str:
    token = tokens[idx]
    words = token.info.split() if token.type == "fence" else []
    language = words[0] if words and _LANGUAGE.match(words[0]) and env.get("highlight", True) else ""
    body = _highlight(token.content, language)
    return f'<pre class="claude-code" style="{_CODE_FONT}"><code>{body}</code></pre>\n'


def _code_inline(_renderer: Any, tokens: Sequence[Token], idx: int, *_: Any) -> str:
    return f"<code>{html.escape(tokens[idx].content)}</code>"


# --- links and images ---------------------------------------------------------------------


def _image(renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = renderer.renderInlineAsText(token.children or [], options, env)
    if not is_safe_image(src):
        return html.escape(alt)
    title = token.attrGet("title")
    title_attr = f' title="{html.escape(str(title))}"' if title else ""
    return f'<img src="{html.escape(src)}" alt="{html.escape(alt)}"{title_attr}>'


def markdown_parser() -> MarkdownIt:
    """The parser and its rules: the renderer's, and the block splitter's of ``_markdown``."""
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    # No labels (they would become element ids); no math right after or before a digit or
    # a space, so "$5 and $10" stays text.
    dollarmath_plugin(md, allow_labels=False, allow_space=False, allow_digits=False, allow_blank_lines=False)
    md.validateLink = _validate  # type: ignore[method-assign]
    return md


def _build_renderer() -> MarkdownIt:
    # add_render_rule binds each rule to the renderer: its first argument.
    md = markdown_parser()
    md.add_render_rule("math_inline", _math)
    md.add_render_rule("math_block", _math)
    md.add_render_rule("fence", _code_block)
    md.add_render_rule("code_block", _code_block)
    md.add_render_rule("code_inline", _code_inline)
    md.add_render_rule("image", _image)
    return md


_MD = _build_renderer()


# --- the check ----------------------------------------------------------------------------

#: Every tag this renderer writes, with the attributes it may carry.
_ALLOWED: dict[str, frozenset[str]] = {
    **{tag: frozenset() for tag in (
        "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "li", "blockquote", "em", "strong", "s",
        "table", "thead", "tbody", "tr", "hr", "br")},
    "ol": frozenset({"start"}),
    "th": frozenset({"style"}),
    "td": frozenset({"style"}),
    "a": frozenset({"href", "title"}),
    "img": frozenset({"src", "alt", "title"}),
    "pre": frozenset({"class", "style"}),
    "code": frozenset({"style"}),
    "span": frozenset({"class", "style"}),
    "div": frozenset({"class"}),
}
#: Style values the renderer writes: table alignment, the code font, Pygments' colours.
_STYLE = re.compile(
    r"^(?:\s*(?:text-align:(?:left|right|center)|" + re.escape(_CODE_FONT)
    + r"|color:\s*#[0-9a-fA-F]{3,6}|background-color:\s*#[0-9a-fA-F]{3,6}|font-weight:\s*bold"
    r"|font-style:\s*italic|text-decoration:\s*underline|border:\s*1px solid #[0-9a-fA-F]{3,6})\s*;?)+$"
)
_CLASSES = frozenset({*_MATH_CLASS.split(), "claude-code", *ANSWER_CLASS.split()})


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ok = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        allowed = _ALLOWED.get(tag)
        if allowed is None:
            self.ok = False
            return
        for name, value in attrs:
            value = value or ""
            if name not in allowed:
                self.ok = False
            elif name == "style" and not _STYLE.match(value):
                self.ok = False
            elif name == "class" and not set(value.split()) <= _CLASSES:
                self.ok = False
            elif name == "href" and not is_safe_link(value):
                self.ok = False
            elif name == "src" and not is_safe_image(value):
                self.ok = False

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_comment(self, data: str) -> None:
        self.ok = False

    def handle_decl(self, decl: str) -> None:
        self.ok = False

    def handle_pi(self, data: str) -> None:
        self.ok = False

    def unknown_decl(self, data: str) -> None:
        self.ok = False


def _only_own_markup(fragment: str) -> bool:
    checker = _Checker()
    checker.feed(fragment)
    checker.close()
    return checker.ok


# --- the renderer -------------------------------------------------------------------------


def render_answer_fragment(text: str, *, highlight: bool = True) -> str:
    """Model text as HTML elements, for a container that already carries ``ANSWER_CLASS``.

    ``highlight=False`` leaves code blocks uncoloured: for a live tail that is re-rendered
    and resent many times a second, and coloured once its block is finished.
    """
    fragment = _MD.render(text, {"highlight": highlight})
    if not _only_own_markup(fragment):
        # Not reachable with the rules above; kept so a future rule cannot open a hole.
        return f'<pre style="{_CODE_FONT}">{html.escape(text)}</pre>'
    return fragment


def render_answer_html(text: str) -> str:
    """Model text (Markdown) as one self-contained, safe HTML element: what views show."""
    return f'<div class="{ANSWER_CLASS}">\n{render_answer_fragment(text)}</div>'
