"""User strings with control characters, surrogates and noncharacters stay valid markup.

A State name, a function name or a Module path may hold code points that XML 1.0
forbids (``\\x01``, ``\\x00``, ``\\x1b``, a lone surrogate ``\\ud800``, ``\\uffff``,
``\\ufffe``). Every renderer shows each one as a visible backslash escape (the text
``\\x01``), then escapes the result for its format, so the SVG, HTML and DOT stay
valid and the name stays readable.
"""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET

import jax.numpy as jnp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vmapviz
from vmapviz import render, widgets
from vmapviz.transform import vmap2

#: One code point outside XML 1.0's ``Char`` production.
NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

STATE = 'a\x01b<&>"\ud800\uffff'
FUNC = "f\x1b[31m\x00"
PATH = "p\x02\ufffe&#1;&amp;"  # also Graphviz entity references, which must stay text
# What a reader sees (after XML parsing) in place of each.
STATE_SHOWN = 'a\\x01b<&>"\\ud800\\uffff'
FUNC_SHOWN = "f\\x1b[31m\\x00"
PATH_SHOWN = "p\\x02\\ufffe&#1;&amp;"

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")


def hostile_report(state: str = STATE, func: str = FUNC, path: str = PATH):
    """A mapped call with a hostile State name, function name and Module path."""
    s = vmapviz.ShortTermState(jnp.zeros(3), name=state)

    class Model(vmapviz.nn.Module):
        def __init__(self):
            super().__init__()
            setattr(self, path, vmapviz.ShortTermState(jnp.ones(3)))

        def __call__(self, x):
            t = getattr(self, path)
            t.value = t.value * x
            s.value = s.value + x
            return s.value

    model = Model()
    model.named_states()  # names the unnamed State by its path

    def f(x):
        return model(x)

    f.__name__ = func
    m = vmap2(f, state_in_axes={0: vmapviz.ShortTermState},
              state_out_axes={0: vmapviz.ShortTermState})
    return m.inspect(jnp.arange(3.0))


def assert_xml_chars(text: str) -> None:
    bad = NOT_XML_CHAR.search(text)
    assert bad is None, f"{bad.group()!r} at {bad.start()}: {text[bad.start() - 40:bad.end() + 40]!r}"


def parse(markup: str) -> ET.Element:
    """Parse an SVG document or an HTML fragment (wrapped in one root) as XML."""
    assert_xml_chars(markup)
    if markup.lstrip().startswith("<?xml"):
        return ET.fromstring(markup.encode("utf-8"))
    return ET.fromstring(f"<root>{markup}</root>".encode())


def shown(root: ET.Element) -> str:
    """All text a reader sees, one piece per line."""
    return "\n".join(t for t in root.itertext())


@pytest.mark.parametrize("lane", [0, 2])
def test_axis_svg_is_valid_xml_and_shows_escapes(lane):
    report = hostile_report()
    assert report.mapping == FUNC
    assert [s.label for s in report.discovery.states] == [PATH, STATE]
    svg = render.axis_svg(report, lane=lane)
    text = shown(parse(svg))
    for name in (STATE_SHOWN, FUNC_SHOWN, PATH_SHOWN):
        assert name in text
    assert "a\\x01b&lt;&amp;&gt;&quot;\\ud800\\uffff" in svg  # escaped as before


def test_html_is_well_formed_and_shows_escapes():
    page = render.to_html(hostile_report())
    text = shown(parse(page))
    for name in (STATE_SHOWN, FUNC_SHOWN, PATH_SHOWN):
        assert name in text
    assert "a\\x01b&lt;&amp;&gt;&quot;\\ud800\\uffff" in page


def test_state_table_html_is_well_formed():
    assert STATE_SHOWN in shown(parse(render.html.state_table(hostile_report())))


def test_dot_has_only_xml_characters_and_escaped_names():
    dot = render.to_dot(hostile_report())
    assert_xml_chars(dot)
    # DOT quoting doubles the escape's backslash, so Graphviz draws one.
    assert 'a\\\\x01b<&>\\"\\\\ud800\\\\uffff' in dot
    assert "of f\\\\x1b[31m\\\\x00 (one lane)" in dot


@needs_dot
@pytest.mark.parametrize("which", ["both", "elementwise", "batched"])
def test_graphviz_accepts_the_dot_and_its_svg_parses(which):
    svg = render.to_svg(render.to_dot(hostile_report(), which=which))
    text = shown(parse(svg))
    for name in (STATE_SHOWN, FUNC_SHOWN, PATH_SHOWN):
        assert name in text


@needs_dot
def test_graphviz_draws_entity_references_as_typed():
    report = hostile_report(state="x&#1;y&lt;z&#xD800;&sup2;", func="f", path="p")
    svg = render.to_svg(render.to_dot(report))
    assert "x&#1;y&lt;z&#xD800;&sup2;" in shown(parse(svg))


def test_widgets_svg_html_and_json_are_valid():
    w = widgets.Inspector(hostile_report())
    entry = w.entry
    for lane in entry["lanes"]:
        assert STATE_SHOWN in shown(parse(lane["svg"]))
    for g in entry["graphs"].values():
        if g["svg"] is not None:
            assert FUNC_SHOWN in shown(parse(g["svg"]))
        assert_xml_chars(g["dot"])
    html = w._repr_mimebundle_()[0]["text/html"]  # tables, axis diagram and graph
    text = shown(parse(html))
    assert STATE_SHOWN in text and FUNC_SHOWN in text and PATH_SHOWN in text
    # The JSON the widget sends to the browser encodes as UTF-8 (no lone surrogates)
    # and shows every name with its escapes.
    wire = json.dumps(w.entries, ensure_ascii=False)
    wire.encode("utf-8")
    assert_xml_chars(wire)
    assert entry["mapping"] == FUNC_SHOWN
    assert entry["states"] == [PATH_SHOWN, STATE_SHOWN]


def test_widgets_inspect_of_a_hostile_function():
    s = vmapviz.ShortTermState(jnp.zeros(2), name="\x00")

    def f(x):
        s.value = s.value + x
        return s.value

    f.__name__ = "\ud800"
    w = widgets.inspect(vmap2(f, state_in_axes={0: vmapviz.ShortTermState}), jnp.ones(2))
    html = w._repr_mimebundle_()[0]["text/html"]
    text = shown(parse(html))
    assert "\\x00" in text and "\\ud800" in text


def test_visible_escape_rule():
    from vmapviz.render._escape import visible

    assert visible("count") == "count"
    assert visible("tab\tnew\nline\rok") == "tab\tnew\nline\rok"
    assert visible('<&>"\\') == '<&>"\\'
    assert visible("a\x01b\x00\x1b[31m\x7f\x85\x9f") == "a\\x01b\\x00\\x1b[31m\\x7f\\x85\\x9f"
    assert visible("\ud800\udfff\ufffe\uffff\ufdd0") == "\\ud800\\udfff\\ufffe\\uffff\\ufdd0"
    assert visible("\U0001fffe\U0010ffff\U0001f600") == "\\U0001fffe\\U0010ffff\U0001f600"
    assert visible("é中\u00a0\ufffd") == "é中\u00a0\ufffd"


# ------------------------------------------------------------------ property

ANY_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=12)


@settings(max_examples=50, deadline=None)
@given(state=ANY_TEXT, func=ANY_TEXT)
def test_any_name_gives_valid_svg_html_and_dot(state, func):
    s = vmapviz.ShortTermState(jnp.zeros(2), name=state)

    def f(x):
        s.value = s.value + x
        return s.value

    f.__name__ = func
    report = vmap2(f, state_in_axes={0: vmapviz.ShortTermState},
                   state_out_axes={0: vmapviz.ShortTermState}).inspect(jnp.ones(2))
    parse(render.axis_svg(report, lane=1))
    parse(render.to_html(report))
    dot = render.to_dot(report, which="elementwise")
    assert_xml_chars(dot)
    if shutil.which("dot"):
        parse(render.to_svg(dot))
