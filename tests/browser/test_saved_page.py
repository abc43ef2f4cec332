"""Pages saved by ``save_html`` opened in headless Chromium with the network blocked.

Every request the page makes goes through a route that lets ``file://`` through and
aborts anything else, and is recorded: a saved page asks for nothing but itself.
JavaScript is off (the page needs none). Each page is checked on screen (1280 px) and
in print media at the width of a landscape sheet's printable area (980 px): every
table, axis diagram and graph visible and inside the page width, nothing scrolling
sideways. Screenshots (and a PDF) go to ``tests/artifacts/saved_page_*``. The pages:
the tutorial's counter with its values recorded, a random draw, a failed call, a
comparison, and 12 transformer blocks (its size is printed).

Needs ``/usr/bin/chromium`` and the ``playwright`` Python package; skips otherwise.
"""

from __future__ import annotations

import pathlib

import jax.numpy as jnp
import pytest
from _lab import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, require_browser

import vmapviz
from vmapviz import examples
from vmapviz.transform import vmap2

pytestmark = pytest.mark.browser

SCREEN_W = 1280
PRINT_W = 980  # a landscape Letter / A4 sheet less 10 mm margins, in CSS px
#: The largest page the transformer may make (bytes).
TRANSFORMER_BUDGET = 1_000_000


def _failed_report():
    s = vmapviz.ShortTermState(jnp.zeros(()), name="<b>&")

    def f(x):
        s.value = s.value + x
        return x

    try:
        vmap2(f, unexpected_out_state_mapping="raise").inspect(jnp.ones(3))
    except vmapviz.BatchAxisError as err:
        return err.report
    raise AssertionError("the call did not fail")


def _comparison():
    count = vmapviz.ShortTermState(jnp.zeros(4), name="count")

    def step(d):
        count.value = count.value + d
        return count.value

    f = vmap2(step, state_in_axes={0: vmapviz.ShortTermState})
    a = f.inspect(jnp.ones(4))
    count.value = jnp.zeros(3)
    return vmapviz.compare(a, f.inspect(jnp.ones(3)))


def _counter_values():
    mapping, args, kwargs = examples.get("1.5_counter").build()
    return mapping.inspect(*args, values=True, **kwargs)


#: page name -> (what makes the saved object, axis diagrams, graphs)
PAGES = {
    "counter": (_counter_values, 4, 2),
    "random": (lambda: examples.inspect("2.1_sample_normal"), 4, 2),
    "failed": (_failed_report, 0, 0),
    "compare": (_comparison, 7, 4),
    "transformer": (lambda: examples.get("transformer_12").inspect(), 2, 2),
}


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict[str, pathlib.Path]:
    require_browser()
    folder = tmp_path_factory.mktemp("saved_pages")
    out = {name: make().save_html(folder / f"{name}.html")
           for name, (make, _, _) in PAGES.items()}
    size = out["transformer"].stat().st_size
    print(f"\nsaved page of transformer_12: {size / 1024:.0f} KB")
    assert size < TRANSFORMER_BUDGET
    return out


@pytest.fixture(scope="module")
def browser():
    require_browser()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        running = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS,
                                    timeout=30_000)
        try:
            yield running
        finally:
            running.close()


def _offline_page(browser, asked: list[str]):
    """A page without JavaScript whose every request is recorded in ``asked``; only
    ``file://`` ones are let through."""
    context = browser.new_context(viewport={"width": SCREEN_W, "height": 900},
                                  java_script_enabled=False)

    def route(r):
        asked.append(r.request.url)
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.set_default_timeout(30_000)
    return context, page


def test_the_blocker_sees_and_stops_requests(browser, tmp_path):
    """The route below catches a page that does load from the network (so the saved
    pages' clean record means something)."""
    leaky = tmp_path / "leaky.html"
    leaky.write_text('<!DOCTYPE html><p>x</p><img src="http://example.invalid/a.png">'
                     '<link rel="stylesheet" href="https://example.invalid/b.css">')
    asked: list[str] = []
    context, page = _offline_page(browser, asked)
    try:
        page.goto(leaky.as_uri(), wait_until="load")
    finally:
        context.close()
    assert asked == [leaky.as_uri(), "http://example.invalid/a.png",
                     "https://example.invalid/b.css"]


def _inside(page, locator, width: int, what: str) -> None:
    """Every match of ``locator`` visible, not empty, and within ``width`` px."""
    from playwright.sync_api import expect

    for i in range(locator.count()):
        item = locator.nth(i)
        expect(item).to_be_visible()
        box = item.bounding_box()
        assert box["width"] > 20 and box["height"] > 10, (what, i, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (what, i, box)


def _check_layout(page, width: int, axes: int, graphs: int) -> None:
    tables = page.locator("table")
    assert tables.count() >= 1
    _inside(page, tables, width, "table")
    axis = page.locator("figure.vmapviz-axes svg.vmapviz-svg")
    graph = page.locator("figure.vmapviz-graph svg.vmapviz-svg")
    assert (axis.count(), graph.count()) == (axes, graphs)
    _inside(page, axis, width, "axis diagram")
    _inside(page, graph, width, "graph")
    for i in range(axis.count() + graph.count()):
        svg = (axis.nth(i) if i < axis.count() else graph.nth(i - axis.count()))
        assert svg.get_attribute("role") == "img" and svg.get_attribute("aria-label")
    _inside(page, page.locator("pre"), width, "pre")
    sideways = page.evaluate("document.documentElement.scrollWidth - "
                             "document.documentElement.clientWidth")
    assert sideways <= 0, f"the page scrolls sideways by {sideways} px"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_saved_page_offline(browser, saved, name):
    _, axes, graphs = PAGES[name]
    path = saved[name]
    asked: list[str] = []
    context, page = _offline_page(browser, asked)
    try:
        page.goto(path.as_uri(), wait_until="load")
        assert page.title() == page.locator("h1").inner_text()
        _check_layout(page, SCREEN_W, axes, graphs)
        page.screenshot(path=str(ARTIFACTS / f"saved_page_{name}.png"), full_page=True)

        page.emulate_media(media="print")
        page.set_viewport_size({"width": PRINT_W, "height": 900})
        _check_layout(page, PRINT_W, axes, graphs)
        style = page.locator("body").evaluate(
            "b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]")
        assert style == ["rgb(0, 0, 0)", "rgb(255, 255, 255)"]
        breaks = page.locator("main > section").evaluate_all(
            "ss => ss.map(s => getComputedStyle(s).breakBefore)")
        assert breaks[0] != "page" and set(breaks[1:]) <= {"page"}
        page.screenshot(path=str(ARTIFACTS / f"saved_page_{name}_print.png"), full_page=True)
        pdf = page.pdf(path=str(ARTIFACTS / f"saved_page_{name}.pdf"),
                       prefer_css_page_size=True)
        assert pdf.startswith(b"%PDF")
    finally:
        context.close()
    assert asked == [path.as_uri()], f"the page asked for more than itself: {asked}"
