"""The one renderer of model text: every corpus payload comes out inert, ordinary Markdown right."""

from __future__ import annotations

import re

import pytest

from claude_magic.display.html import ANSWER_CLASS, is_safe_image, is_safe_link, render_answer_html
from xss_corpus import payloads, samples, scan_html

PAYLOADS = payloads()
SAMPLES = samples()


def test_the_corpus_is_large_and_covers_every_family() -> None:
    families = {p.family for p in PAYLOADS}
    assert len(PAYLOADS) >= 100
    assert {"odd-tag", "svg-mathml", "url", "markdown", "comment", "srcdoc", "table", "math"} <= families
    assert len({p.text for p in PAYLOADS}) == len(PAYLOADS), "a payload is listed twice"
    assert len(SAMPLES) >= 18


@pytest.mark.parametrize("payload", PAYLOADS, ids=lambda p: f"{p.index:03d}-{p.family}")
def test_payload_renders_without_live_markup(payload) -> None:
    html = render_answer_html(payload.text)
    found = scan_html(html)
    assert not found.problems, (found.problems, html)


def test_the_scan_finds_what_it_looks_for() -> None:
    # The scan must be able to fail: markup as a permissive renderer would leave it.
    for bad in ('<x_y onanimationstart="alert(1)">', '<a href=" jav&#x09;ascript:alert(1)">',
                '<iframe srcdoc="x">', '<img src="data:image/svg+xml,x">', "<svg>", "<!-- c -->"):
        assert scan_html(bad).problems, bad


def test_issue_payloads_are_shown_as_text() -> None:
    html = render_answer_html("<x_y style=content-visibility:auto oncontentvisibilityautostatechange=alert(1)>x</x_y>")
    assert "&lt;x_y style=content-visibility:auto oncontentvisibilityautostatechange=alert(1)&gt;x&lt;/x_y&gt;" in html
    table = render_answer_html("| a | b |\n|---|---|\n| `x|<img src=x onerror=alert(1)>` | y |")
    assert "<table>" in table and "&lt;img src=x onerror=alert(1)&gt;" in table


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.name)
def test_ordinary_markdown_renders_with_only_answer_tags(sample) -> None:
    html = render_answer_html(sample.text)
    assert not scan_html(html).problems, html
    text = re.sub(r"<[^>]+>", "", html).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    for words in sample.shows:
        assert words in text, (words, html)


def test_tables_code_math_and_links_have_their_elements() -> None:
    by_name = {s.name: render_answer_html(s.text) for s in SAMPLES}
    assert "<table>" in by_name["table"] and '<th style="text-align:right">score</th>' in by_name["table"]
    assert re.search(r'<pre class="claude-code" style="[^"]*monospace[^"]*"><code><span style="color', by_name["python-code"])
    assert "&lt;b&gt;not bold&lt;/b&gt;" in by_name["python-code"]
    assert '<span class="claude-math mathjax_process tex2jax_process">$E = mc^2$</span>' in by_name["inline-math"]
    assert '<div class="claude-math mathjax_process tex2jax_process">$$\\int_0^1' in by_name["display-math"]
    assert "claude-math" not in by_name["currency-is-not-math"]
    assert '<a href="https://example.com/docs" title="Docs">' in by_name["links"]
    assert '<img src="https://example.com/diagram.png" alt="a diagram" title="Diagram">' in by_name["image"]


def test_the_answer_tells_mathjax_to_typeset_only_formulas() -> None:
    html = render_answer_html("Costs \\$5 and $x$")
    assert html.startswith(f'<div class="{ANSWER_CLASS}">')
    assert "mathjax_ignore" in ANSWER_CLASS and "tex2jax_ignore" in ANSWER_CLASS


def test_tex_that_makes_links_or_loads_packages_is_shown_as_code() -> None:
    for tex in ("$\\href{https://x.org}{x}$", "$\\require{html}$", "$\\style{color:red}{x}$"):
        html = render_answer_html(tex)
        assert "claude-math" not in html and "<code" in html, html


def test_link_rules() -> None:
    for url in ("https://x.org", "http://x.org/a?b#c", "mailto:a@b.org", "relative/path", "#anchor"):
        assert is_safe_link(url), url
    for url in ("javascript:alert(1)", "JAVASCRIPT:x", "vbscript:x", "data:text/html,x", "file:///etc/passwd",
                " javascript:x", "data:image/png;base64,AA"):
        assert not is_safe_link(url), url
    assert is_safe_image("https://x.org/a.png") and not is_safe_image("mailto:a@b.org")
    assert not is_safe_image("data:image/png;base64,AA")


def test_unsafe_links_and_images_stay_as_text() -> None:
    html = render_answer_html("[a](javascript:alert(1)) ![b](data:image/png;base64,AA) <javascript:x>")
    assert "<a " not in html and "<img" not in html
    assert "[a](javascript:alert(1))" in html


def test_a_code_fence_info_string_cannot_reach_an_attribute() -> None:
    html = render_answer_html('```"><img src=x onerror=alert(1)>\nx\n```')
    assert '<pre class="claude-code"' in html and "<img" not in html


def test_rendering_the_same_text_twice_gives_the_same_html() -> None:
    # nbval compares text/html: a saved answer must render identically on every run.
    text = "\n\n".join(s.text for s in SAMPLES)
    assert render_answer_html(text) == render_answer_html(text)
