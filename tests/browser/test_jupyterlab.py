"""The Inspector in a real JupyterLab 4 and Notebook 7, driven in Chromium by Playwright.

Starts the app (JupyterLab, then Notebook 7: both load anywidget's prebuilt front
end, no node build) on 127.0.0.1 (a free port, a random token, a temporary root that
holds ``inspector.ipynb``), runs all cells from the Run menu, and checks that the
widget really renders and reacts: the States table lists ``count``, the lane slider
swaps the axis diagram, the graph has clickable nodes, the per-element / batched
toggle swaps the graph, the cache-entry selector switches calls, and the stage stepper
steps through the call's stages by keyboard and by mouse, highlighting the rows and
nodes each stage decided (a second Inspector, of a call that splits a random key, has
the keys stage). Screenshots go to ``tests/artifacts/``. The server and its kernels are
always stopped.

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

        widget = page.locator(".vmapviz-widget.vmapviz-inspector").first
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

        # The stage stepper, on the first call again.
        widget.locator("select.vmapviz-entry").select_option("0")
        expect(title).to_have_text("vmap2 of step over 4 lanes")
        _stages_by_keyboard(page, expect, app, widget)
        _stages_by_mouse(page, expect, app, widget, seen)
        _keys_stage(expect, app, page.locator(".vmapviz-widget.vmapviz-inspector").nth(1))
        _failed_call(expect, app, page.locator(".vmapviz-widget.vmapviz-inspector").nth(2))


def _failed_call(expect, app, widget):
    """The Inspector of a call that raised: the States found, the error in words, and
    tabs with nothing to draw that still open."""
    widget.scroll_into_view_if_needed()
    widget.locator("button.vmapviz-tab[data-tab='states']").click()
    expect(widget).to_contain_text("States found before BatchAxisError")
    expect(widget).to_contain_text("total")
    for tab in ("axes", "graph"):
        widget.locator(f"button.vmapviz-tab[data-tab='{tab}']").click()
    widget.locator("button.vmapviz-tab[data-tab='explain']").click()
    text = widget.locator(".vmapviz-explain-text")
    expect(text).to_contain_text("the call failed during tracing")
    expect(text).to_contain_text("no state_out_axes filter declares it")
    widget.screenshot(path=str(ARTIFACTS / f"{app}_failed_call.png"))


#: What the stepper says at each stage of the fixture's first call, ``step(f32[4])``, and
#: the rows it marks: (stage, tab opened, caption, marked rows of that tab).
COUNTER_STAGES = [
    ("cache", "states", "cache: miss, first call; traced once (signature (f32[4]))",
     ["argument d"]),
    ("discovery", "states", "discovery: 1 State read, 1 written: count", ["count"]),
    ("axes", "axes", ("axes: argument d batched on axis 0 by in_axes; count batched on axis 0 "
                      "by state_in_axes"), ["argument d", "count"]),
    ("execution", "graph", ("execution: compiled jax.vmap over 4 lanes; 2 of 2 equations vary "
                            "by lane; returned f32[4]"), []),
    ("write_back", "axes", "write-back: count written back on axis 0, f32[4] -> f32[4]",
     ["count"]),
]


def _marked_labels(panel) -> list[str]:
    """The ``data-label`` of every row of ``panel`` the stage marks."""
    rows = panel.locator("tr.vmapviz-stage-hit")
    return [rows.nth(i).get_attribute("data-label") for i in range(rows.count())]


def _stages_by_keyboard(page, expect, app, widget):
    """Focus the bar, step with the arrow keys (keys is skipped: no RandomState), check the
    caption, the tab opened and the rows / nodes marked; Home, End; Escape turns it off."""
    bar = widget.locator(".vmapviz-stages")
    caption = bar.locator(".vmapviz-stage-caption")
    expect(bar).to_have_attribute("data-stage", "")
    expect(caption).to_contain_text("Step through the stages of this call")
    expect(bar.locator("button.vmapviz-stage[data-stage='keys']")).to_be_disabled()
    bar.focus()
    for name, tab, text, rows in COUNTER_STAGES:
        page.keyboard.press("ArrowRight")
        expect(bar).to_have_attribute("data-stage", name)
        expect(caption).to_have_text(text)
        panel = widget.locator(f".vmapviz-panel[data-tab='{tab}']")
        expect(panel).to_be_visible()
        expect(bar.locator("button.vmapviz-active")).to_have_attribute("data-stage", name)
        if tab == "graph":  # every node that varies by lane: rings and badges drawn
            hits = panel.locator("g.node.vmapviz-stage-hit")
            expect(hits.first).to_be_visible()
            assert hits.count() >= 4
            expect(panel.locator(".vmapviz-stage-ring")).to_have_count(hits.count())
        else:
            expect(panel.locator("tr.vmapviz-stage-hit")).to_have_count(len(rows))
            assert sorted(_marked_labels(panel)) == sorted(rows), name
        widget.screenshot(path=str(ARTIFACTS / f"{app}_stage_{name}.png"))
    page.keyboard.press("ArrowRight")
    expect(bar).to_have_attribute("data-stage", "write_back")  # the last stage stays
    page.keyboard.press("Home")
    expect(bar).to_have_attribute("data-stage", "cache")
    page.keyboard.press("End")
    expect(bar).to_have_attribute("data-stage", "write_back")
    page.keyboard.press("Escape")
    expect(bar).to_have_attribute("data-stage", "")
    expect(widget.locator(".vmapviz-stage-hit")).to_have_count(0)
    expect(caption).to_contain_text("Step through the stages of this call")


def _stages_by_mouse(page, expect, app, widget, seen):
    """Click a stage, then a tab (the stage stays, its graph nodes marked), next and
    previous; the kernel sees the stage."""
    bar = widget.locator(".vmapviz-stages")
    bar.locator("button.vmapviz-stage[data-stage='discovery']").click()
    expect(bar).to_have_attribute("data-stage", "discovery")
    states = widget.locator(".vmapviz-states")
    expect(states).to_be_visible()
    assert _marked_labels(states) == ["count"]
    widget.locator("button.vmapviz-tab[data-tab='graph']").click()
    graph = widget.locator(".vmapviz-graph")
    expect(graph).to_be_visible()
    expect(bar).to_have_attribute("data-stage", "discovery")
    hit = graph.locator("g.node.vmapviz-stage-hit")
    expect(hit).to_have_count(1)  # the State's input node
    expect(hit).to_contain_text("count")
    expect(hit.locator(".vmapviz-stage-ring")).to_have_count(1)
    widget.screenshot(path=str(ARTIFACTS / f"{app}_stage_discovery_graph.png"))
    bar.locator("button.vmapviz-stage-next").click()
    expect(bar).to_have_attribute("data-stage", "axes")
    expect(widget.locator(".vmapviz-axes")).to_be_visible()
    bar.locator("button.vmapviz-stage-prev").click()
    expect(bar).to_have_attribute("data-stage", "discovery")
    page.locator(".jp-Cell").last.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+Enter")
    expect(seen).to_contain_text("tab=states view=batched node='' selected=0 stage='discovery'")


def _keys_stage(expect, app, widget):
    """The Inspector of a call that splits a random key: the keys stage marks the
    RandomState's lane rows and the random nodes of the graph."""
    bar = widget.locator(".vmapviz-stages")
    widget.scroll_into_view_if_needed()
    bar.locator("button.vmapviz-stage[data-stage='keys']").click()
    expect(bar).to_have_attribute("data-stage", "keys")
    expect(bar.locator(".vmapviz-stage-caption")).to_have_text(
        "keys: rng split into 4: lane i draws from key i+1, the State keeps key 0")
    axes = widget.locator(".vmapviz-axes")
    expect(axes).to_be_visible()
    assert _marked_labels(axes) == ["rng"]
    widget.screenshot(path=str(ARTIFACTS / f"{app}_stage_keys.png"))
    # values per lane (inspect(..., values=True)): the lane table and the diagram show them
    rows = axes.locator(".vmapviz-lane-rows")
    expect(rows).to_contain_text("-> f32[] = 0.")  # lane 0 reads x = 0.
    expect(axes.locator(".vmapviz-axis-svg svg")).to_contain_text("lane 0 reads 0.")
    axes.locator("input.vmapviz-lane").focus()
    widget.page.keyboard.press("End")  # the last lane: its own numbers
    expect(axes).to_have_attribute("data-lane", "2")
    expect(rows).to_contain_text("-> f32[] = 2.")
    expect(axes.locator(".vmapviz-axis-svg svg")).to_contain_text("lane 2 draws from key [")
    widget.screenshot(path=str(ARTIFACTS / f"{app}_lane_values.png"))
    widget.locator("button.vmapviz-tab[data-tab='graph']").click()
    hits = widget.locator(".vmapviz-graph g.node.vmapviz-stage-hit")
    expect(hits).to_have_count(4)  # rng in, split key, normal(key), rng out
    text = " ".join(hits.all_text_contents())
    assert "split key" in text and "normal(key)" in text and "rng" in text
    widget.screenshot(path=str(ARTIFACTS / f"{app}_stage_keys_graph.png"))
