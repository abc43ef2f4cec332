"""The Inspector in a real JupyterLab 4 and Notebook 7, driven in Chromium by Playwright.

Starts the app (JupyterLab, then Notebook 7: both load anywidget's prebuilt front
end, no node build) on 127.0.0.1 (a free port, a random token, a temporary root that
holds ``inspector.ipynb``), runs all cells from the Run menu, and checks that the
widget really renders and reacts: the States table lists ``count``, the lane slider
swaps the axis diagram, the graph has clickable nodes, the per-element / batched
toggle swaps the graph, and the cache-entry selector switches calls. A screenshot
goes to ``tests/artifacts/``. The server and its kernels are always stopped.

Needs ``/usr/bin/chromium`` (``make test`` installs Debian's ``chromium`` as root) and
the ``playwright`` Python package (the ``test`` extra); skips, saying which is
missing, otherwise.
"""

from __future__ import annotations

import pytest
from _lab import (
    APPS,
    ARTIFACTS,
    HERE,
    STEP_MS,
    WIDGET_S,
    browser_page,
    open_and_run_all,
    serve,
)

pytestmark = pytest.mark.browser

NOTEBOOK = HERE / "inspector.ipynb"


@pytest.fixture(params=sorted(APPS))
def server(request, tmp_path):
    """The small fixture notebook in JupyterLab 4, then in Notebook 7."""
    with serve(request.param, tmp_path, NOTEBOOK) as running:
        yield running


def test_inspector_renders_and_reacts(server):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    app, url, base, token = server
    with browser_page(1400, 1000, STEP_MS) as (page, expect):
        open_and_run_all(page, url, base, token)

        widget = page.locator(".vmapviz-widget.vmapviz-inspector")
        seen = page.locator(".jp-Cell").last.locator(".jp-OutputArea-output")
        try:
            widget.wait_for(state="visible", timeout=WIDGET_S)
        except PlaywrightTimeout:
            page.screenshot(path=str(ARTIFACTS / f"{app}_failure.png"))
            outputs = page.locator(".jp-OutputArea").all_inner_texts()
            pytest.fail(f"no Inspector after {WIDGET_S // 1000} s; cell outputs: {outputs}")
        title = widget.locator(".vmapviz-title")
        expect(title).to_have_text("vmap2 of step over 4 lanes")

        # States tab: a table row for the State `count`.
        states = widget.locator(".vmapviz-states")
        expect(states).to_be_visible()
        expect(states.locator("tbody tr", has_text="count").first).to_be_visible()
        expect(states.locator("tbody tr").first.locator("td").first).to_have_text("count")
        expect(seen).to_contain_text("lane=0 tab=states view=elementwise node='' selected=0")
        widget.screenshot(path=str(ARTIFACTS / f"{app}_inspector_states.png"))

        # Axes tab: the lane slider swaps the precomputed diagram and the lane table.
        widget.locator("button.vmapviz-tab[data-tab='axes']").click()
        axes = widget.locator(".vmapviz-axes")
        expect(axes).to_be_visible()
        expect(states).to_be_hidden()
        expect(axes).to_have_attribute("data-lane", "0")
        svg_lane0 = axes.locator(".vmapviz-axis-svg svg").inner_html()
        assert "dark cell: lane 0" in svg_lane0
        axes.locator("input.vmapviz-lane").fill("2")
        expect(axes).to_have_attribute("data-lane", "2")
        expect(axes.locator(".vmapviz-lane-caption")).to_have_text("lane 2 of 4 (0 to 3)")
        expect(axes.locator(".vmapviz-lane-rows")).to_contain_text("[2] of f32[4]")
        assert "dark cell: lane 2" in axes.locator(".vmapviz-axis-svg svg").inner_html()
        # The slider keeps its arrow keys (the notebook's shortcuts are suppressed).
        slider = axes.locator("input.vmapviz-lane")
        slider.focus()
        page.keyboard.press("ArrowRight")
        expect(axes).to_have_attribute("data-lane", "3")
        page.keyboard.press("ArrowLeft")
        expect(axes).to_have_attribute("data-lane", "2")
        widget.screenshot(path=str(ARTIFACTS / f"{app}_inspector_axes.png"))

        # Graph tab: an SVG graph whose nodes carry ids; clicking one shows its equation.
        widget.locator("button.vmapviz-tab[data-tab='graph']").click()
        graph = widget.locator(".vmapviz-graph")
        expect(graph).to_have_attribute("data-view", "elementwise")
        nodes = graph.locator(".vmapviz-graph-svg svg g.node[data-node]")
        expect(nodes.first).to_be_visible()
        assert nodes.count() >= 5
        assert nodes.first.get_attribute("data-node").startswith("e")
        add = graph.locator("g.node", has_text="add").first
        add.click()
        info = graph.locator(".vmapviz-node-info")
        expect(info).to_contain_text("primitive")
        expect(info).to_contain_text("= add ")
        expect(graph.locator("g.node.vmapviz-node-selected")).to_have_count(1)
        page.screenshot(path=str(ARTIFACTS / f"{app}_inspector.png"))
        node = add.get_attribute("data-node")

        # The kernel sees what the browser changed (traits sync both ways): re-run
        # the last cell, which prints them.
        page.locator(".jp-Cell").last.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Control+Enter")
        expect(seen).to_contain_text(
            f"lane=2 tab=graph view=elementwise node='{node}' selected=0")

        # Toggle to the batched jaxpr: other nodes (b<N>), the selection is cleared.
        graph.locator("button.vmapviz-toggle[data-view='batched']").click()
        expect(graph).to_have_attribute("data-view", "batched")
        expect(nodes.first).to_have_attribute("data-node", "b1")
        expect(info).to_contain_text("No node selected.")

        # The cache-entry selector switches to the second signature.
        widget.locator("select.vmapviz-entry").select_option("1")
        expect(title).to_have_text("vmap2 of step over 3 lanes")
        page.screenshot(path=str(ARTIFACTS / f"{app}_inspector_entry1.png"))
