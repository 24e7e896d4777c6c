"""display="auto" in a real JupyterLab: the live area's view says "rendered", the kernel keeps widgets."""

from __future__ import annotations

from typing import Any

STATE = (
    "from claude_magic.display import widget as _widget\n"
    "print('renders', _widget.front_end_renders_widgets(), 'waiting', _widget._front_end.waiting)"
)
CHOICE = (
    "from claude_magic.display.choose import choose_sink\n"
    "print('auto', type(choose_sink(in_kernel=True, mode='auto', on_stop=lambda: None)).__name__)"
)
FAST = "from claude_magic.display.widget import WidgetSink\ns = WidgetSink()\ns.begin()\ns.finish('', footer='', error=None)"


def _run(nb: Any, index: int) -> str:
    nb.run(index)
    nb.wait_done(index)
    return str(nb.cell(index).locator(".jp-OutputArea").inner_text())


def test_a_rendered_view_keeps_auto_on_the_widget(open_notebook) -> None:
    nb = open_notebook(["%load_ext claude_magic\n%claude_offline", "%%claude\nHello there", STATE, FAST,
                        STATE, CHOICE])
    _run(nb, 0)
    _run(nb, 1)
    assert "renders True waiting 0" in _run(nb, 2)  # the area rendered and is closed
    _run(nb, 3)  # a cell that ends at once, likely before its view renders
    nb.page.wait_for_timeout(1000)
    state = _run(nb, 4)
    print(f"\nafter a cell that ended at once: {state.strip()}")
    assert "renders True waiting 0" in state  # a late "rendered" closed it; True stays True
    assert "auto WidgetSink" in _run(nb, 5)


def test_a_late_rendered_flips_a_kernel_whose_first_cell_ended_at_once(open_notebook) -> None:
    nb = open_notebook([FAST, STATE, CHOICE])
    _run(nb, 0)
    nb.page.wait_for_timeout(1000)
    state = _run(nb, 1)
    print(f"\nfirst cell ended at once, then: {state.strip()}")
    assert "renders True waiting 0" in state
    assert "auto WidgetSink" in _run(nb, 2)
