"""Accessibility of the pictures and widgets, measured.

* Colour is never the only signal: the legends name the second signal, and the DOT and
  SVG carry it (double borders, thick edges with double arrowheads; hatching, outlines,
  dashed frames, arrowheads and dashes).
* The palette (:mod:`vmapviz.render._palette`, the one place colours live) keeps every
  pair that must be told apart at least ``MIN_DELTA_E`` apart (CIEDE2000) with normal
  vision and under simulated protanopia, deuteranopia and tritanopia (Machado, Oliveira
  and Fernandes 2009, severity 1.0, applied to linear sRGB).
* Text has a WCAG 2.1 contrast of at least 4.5:1 on its background, in JupyterLab 4's
  light and dark themes (the variables read from the installed ``jupyterlab`` package)
  and with the stylesheet's own fallbacks; lines and rings at least 3:1 (WCAG 1.4.11).
* SVGs are named for screen readers (``role``, ``<title>``, ``<desc>``, ``aria-*``), with
  user strings escaped; the stylesheet's colours are the palette's.

The helpers below are the measuring instruments; ``measurements()`` returns every
number checked (``python -c "import tests.test_accessibility as t; t.print_report()"``).
"""

from __future__ import annotations

import math
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import jax.numpy as jnp
import pytest

import vmapviz
from vmapviz import examples, render
from vmapviz.render import _palette as palette
from vmapviz.render.dot import graph_to_dot, legend_lines
from vmapviz.render.svg import LEGEND

ROOT = Path(__file__).parent.parent
CSS_PATH = ROOT / "vmapviz" / "widgets" / "static" / "vmapviz.css"
SVG_NS = "{http://www.w3.org/2000/svg}"

# ------------------------------------------------------------------ colour science

#: Machado, Oliveira & Fernandes (2009), "A Physiologically-based Model for Simulation of
#: Color Vision Deficiency", IEEE TVCG 15(6); the matrices for severity 1.0, applied to
#: linear RGB.
MACHADO = {
    "protanopia": ((0.152286, 1.052583, -0.204868),
                   (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968),
                     (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779),
                   (-0.078411, 0.930809, 0.147602),
                   (0.004733, 0.691367, 0.303900)),
}
VISIONS = ("normal", *MACHADO)


def rgba(text: str) -> tuple[float, float, float, float]:
    """A CSS colour (``#rgb``, ``#rrggbb``, ``rgb()``, ``rgba()``, white, black) as 0..1."""
    text = text.strip().lower()
    text = {"white": "#ffffff", "black": "#000000"}.get(text, text)
    m = re.fullmatch(r"rgba?\(([^)]*)\)", text)
    if m:
        parts = [float(p) for p in m.group(1).split(",")]
        return (parts[0] / 255, parts[1] / 255, parts[2] / 255,
                parts[3] if len(parts) > 3 else 1.0)
    h = text.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    assert re.fullmatch(r"[0-9a-f]{6}", h), f"not a colour: {text!r}"
    return (int(h[0:2], 16) / 255, int(h[2:4], 16) / 255, int(h[4:6], 16) / 255, 1.0)


def normal_hex(text: str) -> str:
    r, g, b, _ = rgba(text)
    return "#" + "".join(f"{round(c * 255):02x}" for c in (r, g, b))


def _linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def simulate(colour: str, vision: str) -> tuple[float, float, float]:
    """Linear RGB of ``colour`` as seen with ``vision`` (clipped to the gamut)."""
    lin = [_linear(c) for c in rgba(colour)[:3]]
    if vision == "normal":
        return tuple(lin)
    m = MACHADO[vision]
    return tuple(min(max(sum(m[i][j] * lin[j] for j in range(3)), 0.0), 1.0) for i in range(3))


def lab(lin: tuple[float, float, float]) -> tuple[float, float, float]:
    """CIELAB (D65 white) of linear sRGB."""
    r, g, b = lin
    xyz = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b,
           0.2126729 * r + 0.7151522 * g + 0.0721750 * b,
           0.0193339 * r + 0.1191920 * g + 0.9503041 * b)
    white = (0.95047, 1.0, 1.08883)

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    fx, fy, fz = (f(v / w) for v, w in zip(xyz, white))
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def ciede2000(lab1, lab2) -> float:
    """CIEDE2000 colour difference (Sharma, Wu and Dalal 2005), k_L = k_C = k_H = 1."""
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    c_mean = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_mean ** 7 / (c_mean ** 7 + 25 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360
    h2p = math.degrees(math.atan2(b2, a2p)) % 360
    dh = 0.0 if c1p * c2p == 0 else h2p - h1p
    if dh > 180:
        dh -= 360
    elif dh < -180:
        dh += 360
    d_big_h = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2))
    l_mean, cp_mean = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        h_mean = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        h_mean = (h1p + h2p) / 2
    else:
        h_mean = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (1 - 0.17 * math.cos(math.radians(h_mean - 30)) + 0.24 * math.cos(math.radians(2 * h_mean))
         + 0.32 * math.cos(math.radians(3 * h_mean + 6))
         - 0.20 * math.cos(math.radians(4 * h_mean - 63)))
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / math.sqrt(20 + (l_mean - 50) ** 2)
    s_c = 1 + 0.045 * cp_mean
    s_h = 1 + 0.015 * cp_mean * t
    r_c = 2 * math.sqrt(cp_mean ** 7 / (cp_mean ** 7 + 25 ** 7))
    r_t = -math.sin(math.radians(60 * math.exp(-(((h_mean - 275) / 25) ** 2)))) * r_c
    dl, dc, dh_ = (l2 - l1) / s_l, (c2p - c1p) / s_c, d_big_h / s_h
    return math.sqrt(dl ** 2 + dc ** 2 + dh_ ** 2 + r_t * dc * dh_)


def delta_e(c1: str, c2: str, vision: str = "normal") -> float:
    return ciede2000(lab(simulate(c1, vision)), lab(simulate(c2, vision)))


def cie76(c1: str, c2: str, vision: str = "normal") -> float:
    return math.dist(lab(simulate(c1, vision)), lab(simulate(c2, vision)))


def _luminance(rgb) -> float:
    r, g, b = (_linear(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg: str, bg: str) -> float:
    """WCAG 2.1 contrast ratio of ``fg`` (may be translucent) drawn on the opaque ``bg``."""
    b = rgba(bg)
    assert b[3] == 1.0, f"a background must be opaque: {bg}"
    f = rgba(fg)
    seen = tuple(f[i] * f[3] + b[i] * (1 - f[3]) for i in range(3))
    hi, lo = sorted((_luminance(seen), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# ------------------------------------------------------------------ the instruments work


@pytest.mark.parametrize("lab1, lab2, expected", [
    # Sharma, Wu and Dalal (2005), test data pairs 1, 7, 17, 25 and 34
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
])
def test_ciede2000_matches_the_published_test_data(lab1, lab2, expected):
    assert ciede2000(lab1, lab2) == pytest.approx(expected, abs=1e-4)


def test_lab_of_white_and_black():
    assert lab(simulate("#ffffff", "normal")) == pytest.approx((100.0, 0.0, 0.0), abs=0.01)
    assert lab(simulate("#000000", "normal")) == pytest.approx((0.0, 0.0, 0.0), abs=0.01)


def test_the_simulations_confuse_the_classic_pairs_and_keep_greys():
    for vision in MACHADO:  # each matrix keeps a grey grey
        r, g, b = simulate("#808080", vision)
        assert max(r, g, b) - min(r, g, b) < 0.003, vision
    red, green, blue = "#d62728", "#2ca02c", "#1f77b4"
    assert delta_e(red, green, "protanopia") < delta_e(red, green) / 2
    assert delta_e(red, green, "deuteranopia") < delta_e(red, green) / 10
    assert delta_e(red, green, "tritanopia") > delta_e(red, green) * 0.8
    assert delta_e(blue, green, "tritanopia") < delta_e(blue, green) / 3
    assert delta_e(blue, green, "deuteranopia") > delta_e(blue, green) * 0.9


def test_contrast_ratio_of_known_pairs():
    assert contrast("#000", "#fff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast("rgba(0,0,0,.54)", "#ffffff") == pytest.approx(4.59, abs=0.02)


# ------------------------------------------------------------------ palette under CVD


def palette_differences() -> dict[tuple[str, str], dict[str, float]]:
    """``(name, name) -> {vision: CIEDE2000}`` for every pair that must differ."""
    return {(a, b): {v: delta_e(palette.COLOURS[a], palette.COLOURS[b], v) for v in VISIONS}
            for a, b, _ in palette.DISTINCT}


@pytest.mark.parametrize("vision", VISIONS)
def test_palette_pairs_stay_distinct(vision):
    low = {pair: d[vision] for pair, d in palette_differences().items()
           if d[vision] < palette.MIN_DELTA_E}
    assert not low, f"{vision}: pairs closer than dE00 {palette.MIN_DELTA_E}: {low}"


def test_the_distinct_pairs_cover_every_signal_colour():
    named = {n for a, b, _ in palette.DISTINCT for n in (a, b)}
    for name in ("batch", "pitfall", "cell_batch", "cell_lane", "cell_broadcast",
                 "arrow_axis", "arrow_moved", "arrow_broadcast", "arrow_split", "selected",
                 "match", "stage_mark"):
        assert name in named
    assert len({normal_hex(c) for c in palette.COLOURS.values()}) >= 25


def test_colours_live_in_the_palette_only():
    for name in ("svg.py", "dot.py", "_graph.py"):
        source = (ROOT / "vmapviz" / "render" / name).read_text()
        assert not re.findall(r"#[0-9a-fA-F]{6}\b", source), name
    assert render.svg.FILL is palette.CELL and render.svg.ARROW is palette.ARROW
    assert render.dot.BATCH_COLOR == palette.BATCH


# ------------------------------------------------------------------ the stylesheet


def _rules(css: str) -> list[tuple[str, dict[str, str]]]:
    """``(selector, {property: value})`` of every rule (those inside @container too)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    out = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        props = {}
        for decl in body.split(";"):
            if ":" in decl:
                k, v = decl.split(":", 1)
                props[k.strip()] = v.strip()
        out.append((" ".join(selector.split()), props))
    return out


_VAR = re.compile(r"var\(\s*(--[\w-]+)\s*(?:,\s*([^()]*?))?\s*\)")
_COLOUR = re.compile(r"#[0-9a-fA-F]{3,6}\b|rgba?\([^)]*\)")


def _theme(name: str) -> dict[str, str]:
    """The ``--jp-*`` variables of an installed JupyterLab 4 theme, resolved."""
    jupyterlab = pytest.importorskip("jupyterlab")
    path = (Path(jupyterlab.__file__).parent / "themes" / "@jupyterlab" /
            f"theme-{name}-extension" / "index.css")
    if not path.exists():
        pytest.skip(f"no {path}")
    found: dict[str, str] = {}
    for k, v in re.findall(r"(--jp-[\w-]+)\s*:\s*([^;}]+)", path.read_text()):
        found.setdefault(k, v.strip())
    return found


def resolve(value: str, variables: dict[str, str]) -> str:
    """``var(--x, fallback)`` replaced by the variable's value (itself resolved), else its
    fallback."""
    for _ in range(50):
        m = _VAR.search(value)
        if m is None:
            return value
        name, fallback = m.groups()
        value = value[:m.start()] + variables.get(name, fallback or "") + value[m.end():]
    raise AssertionError(f"unresolved {value}")


def themes() -> dict[str, dict[str, str]]:
    """JupyterLab 4's light and dark theme variables, and none (the CSS's fallbacks)."""
    return {"light": _theme("light"), "dark": _theme("dark"), "fallback": {}}


#: What holds text whose rule sets no background: the page (the notebook's background).
PAGE = "var(--jp-layout-color0, #fff)"
INHERITED = "var(--jp-ui-font-color1, #222)"


def text_pairs(css: str) -> list[tuple[str, str, str]]:
    """``(selector, text colour, background)`` the stylesheet sets, unresolved: each rule's
    text colour on its own background, else on the background of a rule its selector
    names (the stage bar's caption sits on the bar), else on the page; and each rule's
    background under its text colour (inherited when it sets none). Picture rules
    (SVG fills) are checked with the pictures."""
    rules = [(s, p) for s, p in _rules(css) if "svg" not in s and "stage-ring" not in s]
    holders = {s: p["background"] for s, p in rules if "background" in p}
    pairs = []
    for selector, props in rules:
        if "color" not in props and "background" not in props:
            continue
        fg = props.get("color", INHERITED)
        fg = INHERITED if fg == "inherit" else fg
        if "background" in props:
            bgs = [props["background"]]
        else:
            bgs = [bg for s, bg in holders.items() if s in selector and s != selector] or [PAGE]
        pairs += [(selector, fg, bg) for bg in bgs]
    return pairs


def widget_contrasts() -> dict[str, list[tuple[str, str, str, float]]]:
    """``theme -> [(selector, text, background, ratio)]`` of every text pair."""
    css = CSS_PATH.read_text()
    out = {}
    for name, variables in themes().items():
        out[name] = [(s, resolve(fg, variables), resolve(bg, variables),
                      contrast(resolve(fg, variables), resolve(bg, variables)))
                     for s, fg, bg in text_pairs(css)]
    return out


def test_the_stylesheet_pairs_are_found():
    pairs = text_pairs(CSS_PATH.read_text())
    selectors = {s for s, _, _ in pairs}
    for expected in (".vmapviz-widget", ".vmapviz-hint", ".vmapviz-widget th",
                     ".vmapviz-dot, .vmapviz-explain-text", ".vmapviz-legend",
                     '.vmapviz-stages[data-stage=""] .vmapviz-stage-caption'):
        assert expected in selectors
    caption = [bg for s, _, bg in pairs if s.endswith(".vmapviz-stage-caption")]
    assert caption == ["var(--jp-layout-color1, #fff)"], "the caption sits on the bar"
    assert len(pairs) >= 15


@pytest.mark.parametrize("theme", ["light", "dark", "fallback"])
def test_widget_text_contrast(theme):
    low = [(s, fg, bg, round(r, 2)) for s, fg, bg, r in widget_contrasts()[theme] if r < 4.5]
    assert not low, f"{theme}: text below 4.5:1: {low}"


def focus_rings() -> dict[str, list[tuple[str, str, float]]]:
    """``theme -> [(ring colour, background, ratio)]``: focus and stage outlines on every
    background a control can sit on (page, stage bar, tab bar), and the picture's rings
    on white."""
    css = CSS_PATH.read_text()
    out = {}
    for name, variables in themes().items():
        rows = []
        for selector, props in _rules(css):
            ring = props.get("outline", "")
            colour = _COLOUR.search(resolve(ring, variables)) if "solid" in ring else None
            if colour is None:
                continue
            bgs = ([palette.PAPER] if "svg" in selector else
                   [resolve(f"var(--jp-layout-color{i}, #fff)", variables) for i in (0, 1)]
                   + [resolve("var(--jp-layout-color2, #eee)", variables)])
            rows += [(colour.group(0), bg, contrast(colour.group(0), bg)) for bg in bgs]
        out[name] = rows
    return out


@pytest.mark.parametrize("theme", ["light", "dark", "fallback"])
def test_focus_rings_contrast(theme):
    rows = focus_rings()[theme]
    assert len(rows) >= 10
    low = [r for r in rows if r[2] < 3.0]
    assert not low, f"{theme}: rings below 3:1: {low}"


def test_every_control_has_a_visible_focus_style():
    rules = _rules(CSS_PATH.read_text())
    focus = [s for s, p in rules if ":focus-visible" in s and "solid" in p.get("outline", "")]
    joined = " ".join(focus)
    for target in ("button", "select", "input", "[tabindex]", "g.node", "g.cluster"):
        assert target in joined, target
    removed = [s for s, p in rules if ":focus" in s and ":focus-visible" not in s
               and p.get("outline") == "none"]
    for s in removed:  # the mouse draws no ring, the keyboard still does
        assert any(s.split(":focus")[0] in f for f in focus), s


def test_css_colours_are_the_palette():
    css = re.sub(r"/\*.*?\*/", "", CSS_PATH.read_text(), flags=re.DOTALL)
    fallbacks = {}
    for name, fallback in _VAR.findall(css):
        if fallback and _COLOUR.fullmatch(fallback):
            fallbacks.setdefault(name, set()).add(normal_hex(fallback))
    assert fallbacks == {k: {normal_hex(v)} for k, v in palette.CSS_FALLBACKS.items()}
    literal = {normal_hex(c) for c in _COLOUR.findall(_VAR.sub("", css))}
    assert literal == {normal_hex(c) for c in palette.CSS.values()}


# ------------------------------------------------------------------ the pictures


def picture_contrasts() -> list[tuple[str, str, str, float, float]]:
    """``(what, colour, background, ratio, required)`` in the SVG pictures: text 4.5:1,
    lines and rings 3:1 (on white, as the pictures are drawn in every theme)."""
    mapping, args, kwargs = examples.get("2.1_sample_normal").build()
    svg = render.axis_svg(mapping.inspect(*args, values=True, **kwargs), lane=1)
    styles = dict(re.findall(r"#vv\w+ ([.\w -]+?)\{[^}]*?fill:(#[0-9a-f]{6})", svg))
    rows = [(f"axis diagram text {k.strip()}", c, palette.PAPER, 4.5)
            for k, c in styles.items() if k.strip() != ".on-lane"]
    rows += [
        ("axis diagram: the lane's key text", styles[".on-lane"], palette.CELL["lane"], 4.5),
        ("axis diagram: key text on the kept key", palette.TEXT, palette.KEY_FILL, 4.5),
        ("axis diagram: pitfall badge text", palette.BADGE_TEXT, palette.BADGE_FILL, 4.5),
        ("graph: batched edge type", palette.BATCH_TEXT, palette.PAPER, 4.5),
        ("graph: node text on a found node", "#000000", palette.MATCH, 4.5),
        ("stage ring: star on the badge", palette.LANE_TEXT, palette.STAGE_MARK, 4.5),
    ]
    rows += [(f"graph: node text on {k}", "#000000", c, 4.5) for k, c in palette.NODE_FILL.items()]
    lines = {"batched line": palette.BATCH, "pitfall border": palette.PITFALL,
             "edge": palette.EDGE, "cluster border": palette.CLUSTER,
             "cell border": palette.CELL_STROKE, "selected node": palette.SELECTED,
             "stage ring": palette.STAGE_MARK,
             **{f"{k} arrow": c for k, c in palette.ARROW.items()}}
    rows += [(f"line: {k}", c, palette.PAPER, 3.0) for k, c in lines.items()]
    rows.append(("line: lane outline on the lane's cells", palette.LANE_OUTLINE,
                 palette.CELL["lane"], 3.0))
    return [(w, c, b, contrast(c, b), need) for w, c, b, need in rows]


def test_picture_contrast():
    rows = picture_contrasts()
    texts = {r[0] for r in rows if r[0].startswith("axis diagram text")}
    assert {"axis diagram text text", "axis diagram text .b", "axis diagram text .v",
            "axis diagram text .a.split"} <= texts
    low = [r for r in rows if r[3] < r[4]]
    assert not low, low


def _batched_report():
    return examples.inspect("1.5_counter")


def test_dot_marks_batched_values_without_colour():
    dot = render.to_dot(examples.inspect("2.1_sample_normal"))
    edges = [line for line in dot.splitlines() if " -> " in line]
    batched = [e for e in edges if f'color="{palette.BATCH}"' in e]
    assert 0 < len(batched) < len(edges)  # the batched view's key edges are not batched
    for e in edges:
        marked = "arrowhead=normalnormal" in e and "penwidth=2" in e
        assert marked == (e in batched), e
        if e in batched:
            assert f'fontcolor="{palette.BATCH_TEXT}"' in e
    nodes = [line for line in dot.splitlines() if re.match(r"\s+[eb]\d+ \[label=", line)]
    for n in nodes:
        assert ("peripheries=2" in n) == (f'color="{palette.BATCH}"' in n), n
    assert any("peripheries=2" in n for n in nodes)
    assert any("peripheries=2" not in n for n in nodes)  # the batched view's add


def test_legends_name_the_second_signal():
    graph = render._graph.report_graph(_batched_report(), "both")
    lines = legend_lines(graph)
    assert lines[0].startswith("orange: carries the batch axis")
    assert "double border" in lines[1] and "double arrowhead" in lines[1]
    pit = legend_lines(render._graph.report_graph(examples.inspect("2.1_sample_normal"),
                                                  "both"))
    assert len(pit) >= 2
    svg = render.axis_svg(_batched_report(), lane=2)
    legend = " ".join(line.format(lane=2) for line in LEGEND)
    for words in ("hatched", "dark cell: lane 2, outlined", "dashed frame", "open head",
                  "dashed grey", "dotted green"):
        assert words in legend and words in svg


def test_pitfall_legend_names_the_mark_and_border():
    from vmapviz.render._ir import Graph, Node

    graph = Graph((Node("e1", "\u26a0 normal(key)", "collapsed", True, warning="w"),), (), (), ())
    warn = legend_lines(graph)[2]
    assert warn.startswith("red, marked \u26a0, with a thick border")
    dot = graph_to_dot(graph)
    assert 'penwidth=3, tooltip="w", peripheries=2' in dot


def test_axis_svg_hatches_outlines_and_frames():
    svg = render.axis_svg(examples.inspect("1.7_ignore"), lane=1)
    root = ET.fromstring(svg)
    pattern = root.find(f"{SVG_NS}defs/{SVG_NS}pattern")
    assert pattern is not None and pattern.get("id").endswith("-hatch")
    hatch = [r for r in root.iter(f"{SVG_NS}rect") if r.get("class") == "hatch"]
    assert hatch and all(r.get("fill") == f"url(#{pattern.get('id')})" for r in hatch)
    lanes = [r for r in root.iter(f"{SVG_NS}rect") if r.get("class") == "lane-mark"]
    lane_cells = [r for r in root.iter(f"{SVG_NS}rect") if r.get("fill") == palette.CELL["lane"]]
    assert len(lanes) == len(lane_cells) == 4  # argument, two States, output
    for mark, cell in zip(lanes, lane_cells):
        assert (mark.get("x"), mark.get("y")) == (cell.get("x"), cell.get("y"))
        assert mark.get("stroke") == palette.LANE_OUTLINE and mark.get("fill") == "none"
    frames = [r for r in root.iter(f"{SVG_NS}rect") if r.get("class") == "broadcast-mark"]
    assert len(frames) == 2 and all(r.get("stroke-dasharray") for r in frames)
    markers = {m.get("id").rsplit("-", 1)[1]: m for m in root.iter(f"{SVG_NS}marker")}
    assert markers["moved"].find(f"{SVG_NS}path").get("fill") == "none"  # an open head
    assert markers["axis"].find(f"{SVG_NS}path").get("fill") == palette.ARROW["axis"]
    dashes = {line.get("stroke"): line.get("stroke-dasharray")
              for line in root.iter(f"{SVG_NS}line") if line.get("marker-end")}
    assert dashes[palette.ARROW["broadcast"]] and dashes[palette.ARROW["axis"]] is None


def test_lane_keys_are_marked_by_an_outline_and_bold_text():
    svg = render.axis_svg(examples.inspect("2.1_sample_normal"), lane=2)
    hot = re.findall(r'<rect [^>]*fill="' + palette.CELL["lane"] + r'"[^>]*rx="3" ([^>]*)/>', svg)
    assert hot == [f'stroke="{palette.LANE_OUTLINE}" stroke-width="2.5"']
    assert re.search(r'class="s on-lane"[^>]*>key 3 -&gt; lane 2', svg)


def _weird_report():
    """A call whose function and State names need escaping everywhere."""
    state = vmapviz.ShortTermState(jnp.zeros(3), name='s<&>"q')

    def f(x):
        state.value = state.value + x
        return state.value

    f.__name__ = 'f<&>"'
    mapping = vmapviz.transform.vmap2(f, state_in_axes={0: vmapviz.ShortTermState})
    return mapping.inspect(jnp.ones(3))


def test_axis_svg_is_a_named_image_with_a_description():
    report = _weird_report()
    svg = render.axis_svg(report, lane=1)
    root = ET.fromstring(svg)  # well formed: every user string escaped
    assert root.get("role") == "img"
    pid = root.get("id")
    assert root.get("aria-labelledby") == f"{pid}-title"
    assert root.get("aria-describedby") == f"{pid}-desc"
    first = root[0]
    assert first.tag == f"{SVG_NS}title" and first.get("id") == f"{pid}-title"
    assert first.text == 'vmap2 of f<&>" over 3 lanes: axis diagram, lane 1 highlighted'
    desc = root.find(f"{SVG_NS}desc")
    assert desc.get("id") == f"{pid}-desc"
    sentences = [s for s in desc.text.split(". ") if s]
    assert len(sentences) == 3  # argument, State, output
    assert sentences[0] == "argument x: f32[3] batched on axis 0 (in_axes 0); one lane sees f32[]"
    assert sentences[1].startswith('state s<&>"q: f32[3] batched on axis 0')
    assert "after the map f32[3] batched on axis 0" in sentences[1]
    assert 's<&>"q' not in svg and "s&lt;&amp;&gt;&quot;q" in svg
    paper = root.find(f"{SVG_NS}rect")
    assert paper.get("fill") == palette.PAPER and paper.get("width") == root.get("width")


def test_random_keys_are_described():
    svg = render.axis_svg(examples.inspect("2.1_sample_normal"), lane=1)
    desc = ET.fromstring(svg).find(f"{SVG_NS}desc").text
    assert "random keys: random.DEFAULT: key [0 42] split into 5" in desc
    assert "lane 1: key [" in desc


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")
def test_graphviz_svg_is_named_and_escaped():
    report = _weird_report()
    svg = render.to_svg(render.to_dot(report))
    root = ET.fromstring(svg[svg.index("<svg"):])
    assert root.get("role") == "img"
    label = root.get("aria-label")
    assert label.startswith('Jaxpr graph: per-element jaxpr of f<&>" (one lane); '
                           'batched jaxpr of f<&>" (3 lanes).')
    assert "double border" in label
    assert 'f<&>"' not in svg and "f&lt;&amp;&gt;&quot;" in svg
    assert render.dot.label_svg("<svg/>") == "<svg/>", "other SVG is left alone"
    widget_svg = vmapviz.widgets._payload.tag_svg_nodes(svg)
    assert widget_svg.startswith('<svg role="img" aria-label="Jaxpr graph')


# ------------------------------------------------------------------ report


def measurements() -> dict:
    """Every number the tests above check, for a report."""
    diffs = palette_differences()
    worst = {v: min((d[v], pair) for pair, d in diffs.items()) for v in VISIONS}
    return {
        "delta_e_min": worst,
        "delta_e": diffs,
        "cie76_min": {v: min(cie76(palette.COLOURS[a], palette.COLOURS[b], v)
                             for a, b, _ in palette.DISTINCT) for v in VISIONS},
        "widget_text": widget_contrasts(),
        "focus_rings": focus_rings(),
        "pictures": picture_contrasts(),
    }


def print_report() -> None:  # pragma: no cover - a reading aid
    m = measurements()
    for v, (d, pair) in m["delta_e_min"].items():
        print(f"dE00 min {v:13s} {d:5.1f}  {pair}   (CIE76 min {m['cie76_min'][v]:.1f})")
    for pair, d in m["delta_e"].items():
        print(f"  {pair[0]:16s} {pair[1]:16s} " + " ".join(f"{d[v]:5.1f}" for v in VISIONS))
    for theme, rows in m["widget_text"].items():
        print(f"{theme}: text min {min(r[3] for r in rows):.2f}")
        for s, fg, bg, r in rows:
            print(f"  {r:5.2f} {fg:>24s} on {bg:8s} {s}")
    for theme, rows in m["focus_rings"].items():
        print(f"{theme}: rings min {min(r[2] for r in rows):.2f}")
    for w, c, b, r, need in m["pictures"]:
        print(f"  {r:5.2f} (>= {need}) {c} on {b}: {w}")
