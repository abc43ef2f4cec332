"""The Inspector at real size, in JupyterLab 4's dark theme, 1,000 px wide, in Chromium.

Runs ``real_models.ipynb`` (the catalogue's LIF population: 1,000 neurons, 500 scan
steps, 32 trials; and 12 transformer blocks) and, for each Inspector, clicks every
tab, moves the lane slider by keyboard (to a lane the kernel draws on request),
shows the LIF's time axis, opens a folded part of the graph from the picture, clicks
a node and checks its details are in the viewport, searches, zooms, and checks
nothing is wider than the page. Each interaction is timed (generous limits; the times
are printed and saved to ``tests/artifacts/real_models_times.json``); a screenshot of
every step goes to ``tests/artifacts/real_<model>_<n>_<step>.png``.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from _lab import ARTIFACTS, HERE, browser_page, open_and_run_all, serve

pytestmark = pytest.mark.browser

NOTEBOOK = HERE / "real_models.ipynb"
WIDTH, HEIGHT = 1000, 900
BUILD_MS = 180_000  # kernel start, JAX import, two real-size traces and Inspectors
STEP_MS = 60_000  # the slowest step lays out 1,000 nodes with Graphviz

#: model -> (index of its Inspector, lanes, node to click, search text, what to open)
MODELS = {
    "lif": (0, 32, "add", "spike", "normal(key)"),
    "transformer": (1, 8, "dot_general", "blocks.0", "x12:"),
}


@pytest.fixture
def dark_lab(tmp_path):
    with serve("jupyterlab", tmp_path, NOTEBOOK, theme="JupyterLab Dark") as running:
        yield running


class Steps:
    """Times each step and saves a screenshot after it."""

    def __init__(self, page, model: str):
        self.page, self.model, self.n, self.times = page, model, 0, {}

    def __call__(self, name: str, action, shot=None) -> None:
        start = time.monotonic()
        action()
        self.times[name] = round(time.monotonic() - start, 2)
        self.n += 1
        target = shot if shot is not None else self.page
        target.screenshot(path=str(ARTIFACTS / f"real_{self.model}_{self.n}_{name}.png"))


def _no_overflow(page, widget) -> None:
    """Nothing visible sticks out of the widget's output area (pictures scroll in their
    own boxes), and the widget is no wider than the page."""
    wide = widget.evaluate("""(root) => {
        const limit = root.getBoundingClientRect().right;
        return [...root.querySelectorAll('*')]
            .filter((el) => el.getClientRects().length > 0)
            .filter((el) => !el.closest('.vmapviz-svg'))
            .filter((el) => el.getBoundingClientRect().right > limit + 1)
            .map((el) => `${el.tagName}.${el.className.baseVal ?? el.className}`).slice(0, 5);
    }""")
    assert wide == [], f"wider than the output area: {wide}"
    right = widget.evaluate("(root) => root.getBoundingClientRect().right")
    assert right <= WIDTH, f"the widget ends at {right} px on a {WIDTH} px page"


def _axes_steps(step, expect, widget, lanes: int, model: str) -> None:
    axes = widget.locator(".vmapviz-axes")
    step("axes_tab", lambda: (widget.locator("button.vmapviz-tab[data-tab='axes']").click(),
                              expect(axes).to_be_visible()), widget)
    slider = axes.locator("input.vmapviz-lane")

    def to_last_lane():
        slider.focus()
        step.page.keyboard.press("End")
        expect(axes).to_have_attribute("data-lane", str(lanes - 1))
        step.page.keyboard.press("ArrowLeft")
        expect(axes).to_have_attribute("data-lane", str(lanes - 2))
        expect(axes.locator(".vmapviz-lane-caption")).to_have_text(
            f"lane {lanes - 2} of {lanes} (0 to {lanes - 1})")

    step("lane_by_keyboard", to_last_lane, widget)
    if model == "lif":
        def time_axis():
            axes.locator("select.vmapviz-other-axis").select_option(label="axis -2")
            expect(axes).to_have_attribute("data-other-axis", "-2")
            expect(axes).to_have_attribute("data-pending", "false")
            assert "500" in axes.locator(".vmapviz-axis-svg svg").inner_html()

        step("time_axis", time_axis, widget)
    box = axes.locator(".vmapviz-axis-svg svg").bounding_box()
    assert box["width"] <= WIDTH, f"axis diagram {box['width']} px wide"


def _graph_steps(step, expect, widget, node_text: str, search: str, opens: str) -> None:
    graph = widget.locator(".vmapviz-graph")
    svg = graph.locator(".vmapviz-graph-svg svg")
    step("graph_tab", lambda: (widget.locator("button.vmapviz-tab[data-tab='graph']").click(),
                               expect(svg).to_be_visible()), widget)
    before = int(graph.get_attribute("data-nodes"))

    def open_folded():
        if opens.startswith("x"):  # a folded block: click its cluster's title
            graph.locator("g.cluster.vmapviz-foldable text", has_text=opens).first.click()
        else:
            graph.locator("g.node[data-node]", has_text=opens).first.click()
        expect(graph).not_to_have_attribute("data-nodes", str(before), timeout=STEP_MS)
        expect(graph).to_have_attribute("data-pending", "false")
        assert int(graph.get_attribute("data-nodes")) > before

    step("open_folded", open_folded, widget)

    def click_node():
        target = graph.locator("g.node[data-node]", has_text=node_text).last
        target.scroll_into_view_if_needed()
        target.click()
        info = graph.locator(".vmapviz-node-info")
        expect(info).to_contain_text("primitive")
        expect(info.locator("caption")).to_be_in_viewport()
        selected = graph.locator("g.node.vmapviz-node-selected")
        expect(selected).to_have_count(1)
        expect(selected).to_be_in_viewport()

    step("click_node", click_node)

    def find():
        graph.locator("input.vmapviz-search").fill(search)
        found = graph.locator(".vmapviz-found")
        expect(found).to_have_text(re.compile(r"^[1-9][0-9]* found$"))
        expect(graph.locator("g.node.vmapviz-node-match").first).to_be_attached()
        graph.locator("input.vmapviz-search").press("Enter")
        expect(found).to_contain_text("1 of ")
        expect(graph.locator(".vmapviz-node-info")).to_contain_text(search)

    step("search", find, widget)

    def zoom_and_reset():
        graph.locator("button.vmapviz-zoom-in").click()
        expect(graph.locator("button.vmapviz-zoom-fit")).to_contain_text("%")
        graph.locator("button.vmapviz-reset").click()
        expect(graph).to_have_attribute("data-pending", "false", timeout=STEP_MS)
        assert int(graph.get_attribute("data-nodes")) == before

    step("zoom_and_reset", zoom_and_reset, widget)


def _model_steps(page, expect, model: str) -> dict:
    index, lanes, node_text, search, opens = MODELS[model]
    widget = page.locator(".vmapviz-widget.vmapviz-inspector").nth(index)
    widget.scroll_into_view_if_needed()
    step = Steps(page, model)
    step("states_tab", lambda: expect(widget.locator(".vmapviz-states tbody tr").first)
         .to_be_visible(), widget)
    _no_overflow(page, widget)
    _axes_steps(step, expect, widget, lanes, model)
    _no_overflow(page, widget)
    _graph_steps(step, expect, widget, node_text, search, opens)
    _no_overflow(page, widget)
    step("explain_tab", lambda: (widget.locator("button.vmapviz-tab[data-tab='explain']")
                                 .click(), expect(widget.locator(".vmapviz-explain-text"))
                                 .to_contain_text("lanes")), widget)
    return step.times


def test_real_models_in_dark_jupyterlab(dark_lab):
    _, url, base, token = dark_lab
    with browser_page(WIDTH, HEIGHT, STEP_MS) as (page, expect):
        start = time.monotonic()
        open_and_run_all(page, url, base, token)
        widgets = page.locator(".vmapviz-widget.vmapviz-inspector")
        expect(widgets).to_have_count(2, timeout=BUILD_MS)
        times = {"notebook_run": round(time.monotonic() - start, 2)}
        assert page.locator("body").get_attribute("data-jp-theme-light") == "false"
        color = widgets.first.locator(".vmapviz-title").evaluate(
            "(el) => getComputedStyle(el).color")
        rgb = [int(c) for c in color[color.index("(") + 1:color.index(")")].split(",")[:3]]
        assert sum(rgb) > 3 * 128, f"title text {color} is dark on the dark theme"
        for model in MODELS:
            times[model] = _model_steps(page, expect, model)
    (ARTIFACTS / "real_models_times.json").write_text(json.dumps(times, indent=1) + "\n")
    print("\nreal-model Inspector steps (s):", json.dumps(times, indent=1))
