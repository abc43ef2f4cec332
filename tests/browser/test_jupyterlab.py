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
        if tab == "axes":  # the diagram's rows are ringed too, the same ones
            ringed = panel.locator(".vmapviz-axis-svg g.row.vmapviz-stage-hit")
            expect(ringed).to_have_count(len(rows))
            assert sorted(ringed.evaluate_all(
                "(gs) => gs.map((g) => g.getAttribute('data-label'))")) == sorted(rows)
            expect(panel.locator(".vmapviz-axis-svg .vmapviz-stage-ring")).to_have_count(len(rows))
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


# ------------------------------------------------------------------ keyboard and focus

#: (app, JupyterLab theme): both apps in the default light theme, JupyterLab in dark.
KEYBOARD_RUNS = [("jupyterlab", None), ("notebook7", None), ("jupyterlab", "JupyterLab Dark")]

#: JS shared by the page probes below: a CSS colour as [r, g, b, a], and its WCAG
#: relative luminance.
_COLOUR_JS = """  const rgba = (text) => {
    const m = /rgba?\\(([^)]*)\\)/.exec(text || "");
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(",").map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
"""

#: What the page says of the focused element: a name, its outline, the outline's contrast
#: on what lies behind it (the first opaque background of it or its ancestors), and
#: whether it matches :focus-visible.
_FOCUSED = """() => {
  const el = document.activeElement;
""" + _COLOUR_JS + """  let bg = null;
  for (let n = el.parentElement; n && !bg; n = n.parentElement) {
    const c = rgba(getComputedStyle(n).backgroundColor);
    if (c[3] === 1) bg = c;
  }
  bg = bg || [255, 255, 255, 1];
  const cs = getComputedStyle(el);
  const ring = rgba(cs.outlineColor);
  const hi = Math.max(lum(ring), lum(bg)), lo = Math.min(lum(ring), lum(bg));
  let name = el.tagName.toLowerCase() + "." + String(el.getAttribute("class") || "").split(" ")[0];
  if (el.dataset && el.dataset.tab && el.getAttribute("role") === "tab") name = `tab:${el.dataset.tab}`;
  if (el.getAttribute("role") === "tabpanel") name = `panel:${el.dataset.tab}`;
  if (el.getAttribute("data-node")) name = "node";
  const widget = el.closest(".vmapviz-widget");
  return {
    name, style: cs.outlineStyle, width: parseFloat(cs.outlineWidth) || 0,
    ratio: (hi + 0.05) / (lo + 0.05), visible: el.matches(":focus-visible"),
    inside: Boolean(widget) && widget === document.querySelector(".vmapviz-widget.vmapviz-inspector"),
    label: el.getAttribute("aria-label") || "",
  };
}"""

#: The lowest WCAG contrast of the widget's text (not its pictures) on what lies behind
#: it, and the texts below 4.5:1 (3:1 when large).
_TEXT_CONTRAST = """(root) => {
""" + _COLOUR_JS + """  const behind = (el) => {
    const layers = [];
    for (let n = el; n; n = n.parentElement) {
      const c = rgba(getComputedStyle(n).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] === 1) break;
    }
    let out = [255, 255, 255];
    for (const c of layers.reverse()) out = out.map((v, i) => c[i] * c[3] + v * (1 - c[3]));
    return out;
  };
  let min = 99, checked = 0;
  const low = [];
  for (const el of root.querySelectorAll("*")) {
    if (el.closest("svg, option, [hidden]") || el.closest(":disabled")) continue;
    const text = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!text || el.getClientRects().length === 0) continue;
    let faded = false;
    for (let n = el; n && n !== root.parentElement; n = n.parentElement) {
      if (Number(getComputedStyle(n).opacity) < 1) faded = true;
    }
    if (faded) continue;
    const cs = getComputedStyle(el);
    const bg = behind(el);
    const c = rgba(cs.color);
    const fg = c.slice(0, 3).map((v, i) => v * c[3] + bg[i] * (1 - c[3]));
    const hi = Math.max(lum(fg), lum(bg)), lo = Math.min(lum(fg), lum(bg));
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(cs.fontSize), bold = Number(cs.fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    checked += 1;
    min = Math.min(min, ratio);
    if (ratio < need) low.push([el.tagName, el.className, cs.color, String(bg), ratio]);
  }
  return { min, checked, low };
}"""


@pytest.fixture(params=KEYBOARD_RUNS, ids=lambda r: r[0] + ("_dark" if r[1] else ""))
def keyboard_server(request, tmp_path):
    app, theme = request.param
    with serve(app, tmp_path, NOTEBOOK, theme=theme) as running:
        yield (*running, theme)


def _tab_through(page, start, limit: int = 20) -> list[dict]:
    """Focus ``start``, then press Tab until focus leaves the first Inspector; what each
    focused element is and how its focus ring looks."""
    start.focus()
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = page.evaluate(_FOCUSED)
        if not now["inside"]:
            return seen
        seen.append(now)
    return seen


def _rings_are_visible(seen: list[dict], where: str) -> None:
    for f in seen:
        assert f["visible"], f"{where}: {f['name']} is not :focus-visible"
        assert f["style"] != "none" and f["width"] >= 2, f"{where}: {f['name']} has no ring: {f}"
        assert f["ratio"] >= 3, f"{where}: {f['name']}'s ring is {f['ratio']:.2f}:1"


def test_inspector_by_keyboard(keyboard_server):
    """Tab reaches every control of the Inspector, each with a visible focus ring of at
    least 3:1; arrow keys switch tabs (WAI-ARIA tabs) and move between graph nodes, Enter
    selects a node; text in the widget is at least 4.5:1 on its background, in
    JupyterLab's light and dark themes and in Notebook 7."""
    app, url, base, token, theme = keyboard_server
    name = app + ("_dark" if theme else "")
    with browser_page(1400, 1000, STEP_MS) as (page, expect):
        open_and_run_all(page, url, base, token)
        widget = page.locator(".vmapviz-widget.vmapviz-inspector").first
        widget.wait_for(state="visible", timeout=WIDGET_S)
        if theme:
            assert page.locator("body").get_attribute("data-jp-theme-light") == "false"
        entry = widget.locator("select.vmapviz-entry")

        # States tab: the entry menu, the stage bar, the open tab only, its panel.
        seen = _tab_through(page, entry)
        assert [f["name"] for f in seen] == [
            "div.vmapviz-stages", "tab:states", "panel:states"], seen
        _rings_are_visible(seen, "states")
        tab = widget.locator("button.vmapviz-tab[data-tab='states']")
        assert tab.get_attribute("aria-selected") == "true"
        panel_id = tab.get_attribute("aria-controls")
        assert widget.locator(f"#{panel_id}").get_attribute("role") == "tabpanel"
        assert widget.locator(f"#{panel_id}").get_attribute("aria-labelledby") == tab.get_attribute("id")

        # Arrow keys move between tabs and open them (wrapping around), Home / End.
        tab.focus()
        for key, want in (("ArrowRight", "axes"), ("ArrowRight", "graph"), ("ArrowLeft", "axes"),
                          ("End", "explain"), ("ArrowRight", "states"), ("ArrowLeft", "explain"),
                          ("Home", "states"), ("ArrowRight", "axes")):
            page.keyboard.press(key)
            now = widget.locator(f"button.vmapviz-tab[data-tab='{want}']")
            expect(now).to_be_focused()
            expect(now).to_have_attribute("aria-selected", "true")
            expect(widget.locator(f".vmapviz-panel[data-tab='{want}']")).to_be_visible()
        widget.screenshot(path=str(ARTIFACTS / f"{name}_focus_tabs.png"))
        assert [b.get_attribute("tabindex") for b in widget.locator("button.vmapviz-tab").all()] == [
            "-1", "0", "-1", "-1"]

        # Axes tab: the lane slider is reachable and moves with the arrows.
        seen = _tab_through(page, entry)
        assert [f["name"] for f in seen] == ["div.vmapviz-stages", "tab:axes", "input.vmapviz-lane"], seen
        _rings_are_visible(seen, "axes")
        _tab_through(page, entry, limit=3)  # to the slider again
        expect(widget.locator("input.vmapviz-lane")).to_be_focused()
        page.keyboard.press("ArrowRight")
        expect(widget.locator(".vmapviz-axes")).to_have_attribute("data-lane", "1")
        widget.screenshot(path=str(ARTIFACTS / f"{name}_focus_slider.png"))
        _graph_by_keyboard(page, expect, widget, entry, name)
        _text_contrast(widget, name)


def _graph_by_keyboard(page, expect, widget, entry, name):
    """The graph tab's controls in Tab order, a checkbox and reset by keyboard, then the
    nodes: one tab stop, arrows move, Enter selects."""
    widget.locator("button.vmapviz-tab[data-tab='graph']").click()
    seen = _tab_through(page, entry)
    assert [f["name"] for f in seen] == [
        "div.vmapviz-stages", "tab:graph", "button.vmapviz-toggle", "button.vmapviz-toggle",
        "input.vmapviz-search", "button.vmapviz-toggle", "button.vmapviz-toggle",
        "button.vmapviz-toggle", "input.vmapviz-group-states", "input.vmapviz-show-random",
        "input.vmapviz-fold-repeats", "node"], seen
    _rings_are_visible(seen, "graph")
    assert "carries the batch axis" in seen[-1]["label"]
    graph = widget.locator(".vmapviz-graph")
    _tab_through(page, entry, limit=len(seen))  # back on the node
    node = graph.locator("g.node[data-node]:focus")
    first = node.get_attribute("data-node")
    widget.screenshot(path=str(ARTIFACTS / f"{name}_focus_graph_node.png"))
    page.keyboard.press("ArrowRight")
    expect(node).not_to_have_attribute("data-node", first)
    second = node.get_attribute("data-node")
    page.keyboard.press("Enter")
    expect(graph.locator("g.node.vmapviz-node-selected")).to_have_attribute("data-node", second)
    expect(graph.locator(".vmapviz-node-info")).to_contain_text(f"Node {second}")
    expect(graph.locator(f"g.node[data-node='{second}']")).to_have_attribute("tabindex", "0")
    assert graph.locator("g.node[data-node][tabindex='0']").count() == 1
    widget.screenshot(path=str(ARTIFACTS / f"{name}_focus_node_selected.png"))
    # A checkbox by Space, then reset (now enabled) by Tab and Enter.
    box = graph.locator("input.vmapviz-group-states")
    box.focus()
    page.keyboard.press("Space")
    expect(box).to_be_checked()
    reset = graph.locator("button.vmapviz-reset")
    expect(reset).to_be_enabled()
    for _ in range(3):
        page.keyboard.press("Tab")
    expect(reset).to_be_focused()
    widget.screenshot(path=str(ARTIFACTS / f"{name}_focus_reset.png"))
    page.keyboard.press("Enter")
    expect(box).not_to_be_checked()
    expect(reset).to_be_disabled()


def _text_contrast(widget, name):
    """Every text of every tab of the widget, measured in the page as drawn."""
    low, checked, lowest = [], 0, 99.0
    for tab in ("states", "axes", "graph", "explain"):
        widget.locator(f"button.vmapviz-tab[data-tab='{tab}']").click()
        got = widget.evaluate(_TEXT_CONTRAST)
        low += got["low"]
        checked += got["checked"]
        lowest = min(lowest, got["min"])
    print(f"\n{name}: {checked} texts, lowest contrast {lowest:.2f}:1")
    assert checked > 40
    assert not low, f"{name}: text below the WCAG minimum: {low}"
