from __future__ import annotations
import time
def test_probe(open_notebook):
    nb = open_notebook(["1+1", "import anywidget, ipywidgets\nipywidgets.IntSlider()", "%subshell"])
    page = nb.page
    page.on("console", lambda m: print("CONSOLE", m.type, m.text[:300]))
    t = time.monotonic()
    nb.run(0)
    for i in range(50):
        page.wait_for_timeout(200)
        print(round(time.monotonic()-t,1), nb.prompt(0), page.locator(".jp-Notebook-ExecutionIndicator").get_attribute("data-status"))
        if any(c.isdigit() for c in nb.prompt(0)): break
    nb.run(1); nb.wait_done(1)
    nb.run(2); nb.wait_done(2)
    nb.page.wait_for_timeout(1000)
    nb.screenshot("probe")
    print(nb.cell(0).inner_text()); print(nb.cell(1).inner_text()); print(nb.cell(2).inner_text())
