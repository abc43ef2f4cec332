"""Every colour vmapviz draws with, in one place.

The jaxpr graphs (:mod:`vmapviz.render.dot`), the axis diagram
(:mod:`vmapviz.render.svg`) and the widgets' stylesheet
(``vmapviz/widgets/static/vmapviz.css``, which cannot import Python: a test checks that
its colours are the ones below) all take their colours from here.

Colour is never the only signal. What each colour says is drawn a second way too:

* batched values in the graphs: orange, and a double border on nodes, a thick edge
  with a double arrowhead;
* the axis diagram: batch-axis cells orange and hatched; the selected lane's cells dark
  and outlined in black; broadcast arrays light blue in a dashed frame; arrows solid
  (batch axis), with an open head (axis moved), dashed (broadcast) or dotted (key
  split), each with its words written beside it;
* a random pitfall: red, marked with a warning sign and a thicker border.

The colours that must be told apart stay apart for everyone: tests/test_accessibility.py
simulates protanopia, deuteranopia and tritanopia (Machado et al. 2009, severity 1) and
requires a CIEDE2000 difference of at least :data:`MIN_DELTA_E` between each pair of
:data:`DISTINCT` in every simulation, and text at least 4.5:1 (WCAG 2.1) on its
background.

>>> BATCH, CELL["lane"]
('#d95f02', '#b8460b')
>>> all(a in COLOURS and b in COLOURS for a, b, _ in DISTINCT)
True
"""

from __future__ import annotations

__all__ = [
    "ARROW", "ARROW_TEXT", "BADGE_FILL", "BADGE_TEXT", "BATCH", "BATCH_TEXT", "CELL",
    "CELL_STROKE", "CLUSTER", "COLOURS", "CSS", "CSS_FALLBACKS", "DISTINCT", "EDGE", "HATCH",
    "KEY_FILL", "LANE_OUTLINE", "LANE_TEXT", "MATCH", "MIN_DELTA_E", "NODE_BORDER",
    "NODE_FILL", "PAPER", "PITFALL", "SELECTED", "STAGE_MARK", "TEXT", "VALUES_TEXT",
]

# ------------------------------------------------------------------ both pictures

#: The background of every picture, in dark themes too (their colours are drawn for it).
PAPER = "#ffffff"
#: Text on the pictures.
TEXT = "#252525"

# ------------------------------------------------------------------ jaxpr graphs

#: Lines of a value that carries the batch axis (edges, node borders): orange.
BATCH = "#d95f02"
#: Text in the batch colour (edge types of batched values), dark enough to read.
BATCH_TEXT = "#a63603"
#: The border of a node drawing the same random numbers in every lane (a pitfall): red.
PITFALL = "#cb181d"
#: Edges of values that do not carry the batch axis.
EDGE = "#555555"
#: Borders of the sub-jaxpr clusters.
CLUSTER = "#888888"
#: Graphviz's default node border (unbatched nodes), named for the checks.
NODE_BORDER = "#000000"
NODE_FILL = {
    "input": "#e8f0fe",
    "output": "#e6f4ea",
    "eqn": "#ffffff",
    "collapsed": "#eeeeee",
}

# ------------------------------------------------------------------ axis diagram

#: Cell fills: ``batch`` (the batch axis), ``lane`` (the selected lane's cells), ``one``
#: (the array one lane sees), ``broadcast`` (the same in every lane), ``plain``.
CELL = {
    "plain": "#ffffff",
    "batch": "#fdd0a2",
    "lane": "#b8460b",
    "broadcast": "#deebf7",
    "one": "#fdae6b",
}
CELL_STROKE = "#636363"
#: The hatching drawn over batch-axis cells.
HATCH = "#a63603"
#: The outline around the selected lane's cells.
LANE_OUTLINE = "#000000"
#: Text on a box filled with ``CELL["lane"]`` (the selected lane's key).
LANE_TEXT = "#ffffff"
#: Arrows, by what they do to the batch axis.
ARROW = {
    "axis": "#e6550d",
    "moved": "#756bb1",
    "broadcast": "#8c8c8c",
    "split": "#31a354",
}
#: The words beside the arrows (``axis`` words are in :data:`TEXT`).
ARROW_TEXT = {
    "moved": "#54278f",
    "broadcast": "#636363",
    "split": "#006d2c",
}
#: The key a RandomState keeps after the split.
KEY_FILL = "#c7e9c0"
#: A lane's recorded values.
VALUES_TEXT = "#08519c"
#: A random pitfall's badge beside a row's name (its border is :data:`PITFALL`).
BADGE_FILL = "#fee0d2"
BADGE_TEXT = "#a50f15"

# ------------------------------------------------------------------ widgets

#: The border of the graph node whose details are shown, and the focus ring in pictures.
SELECTED = "#1a73e8"
#: The fill of graph nodes a search found.
MATCH = "#ffe14d"
#: The dashed ring and badge of graph nodes a stage of the stepper points at.
STAGE_MARK = "#6a1b9a"

#: The colours vmapviz.css writes literally (outside ``var()``), by what they are for.
CSS = {
    "picture": PAPER,
    "selected": SELECTED,
    "match": MATCH,
    "stage_mark": STAGE_MARK,
    "stage_mark_text": LANE_TEXT,
}

#: The value vmapviz.css falls back to for each JupyterLab theme variable it reads (a
#: page without JupyterLab's variables looks like its light theme).
CSS_FALLBACKS = {
    "--jp-ui-font-color1": "#222222",
    "--jp-ui-font-color2": "#555555",
    "--jp-layout-color0": "#ffffff",
    "--jp-layout-color1": "#ffffff",
    "--jp-layout-color2": "#eeeeee",
    "--jp-border-color1": "#bbbbbb",
    "--jp-border-color2": "#e0e0e0",
    "--jp-brand-color1": "#1976d2",
    "--jp-error-color1": "#b00020",
}

# ------------------------------------------------------------------ what must differ

#: Every colour above by name.
COLOURS = {
    "paper": PAPER, "text": TEXT, "batch": BATCH, "batch_text": BATCH_TEXT,
    "pitfall": PITFALL, "edge": EDGE, "cluster": CLUSTER, "node_border": NODE_BORDER,
    **{f"node_{k}": v for k, v in NODE_FILL.items()},
    **{f"cell_{k}": v for k, v in CELL.items()},
    "cell_stroke": CELL_STROKE, "hatch": HATCH, "lane_outline": LANE_OUTLINE,
    "lane_text": LANE_TEXT,
    **{f"arrow_{k}": v for k, v in ARROW.items()},
    **{f"arrow_text_{k}": v for k, v in ARROW_TEXT.items()},
    "key_fill": KEY_FILL, "values_text": VALUES_TEXT, "badge_fill": BADGE_FILL,
    "badge_text": BADGE_TEXT, "selected": SELECTED, "match": MATCH, "stage_mark": STAGE_MARK,
}

#: At least this CIEDE2000 difference between the two colours of each pair in
#: :data:`DISTINCT`, with normal colour vision and each simulated deficiency.
MIN_DELTA_E = 10.0

#: The pairs a reader must tell apart by colour (names in :data:`COLOURS`), and why.
DISTINCT = (
    ("batch", "edge", "graph: a batched edge against an unbatched one"),
    ("batch", "node_border", "graph: a batched node border against an unbatched one"),
    ("batch", "pitfall", "graph: a batched node against a random pitfall"),
    ("pitfall", "edge", "graph: a random pitfall against an unbatched edge"),
    ("pitfall", "node_border", "graph: a random pitfall against an unbatched node"),
    ("selected", "batch", "widget: the selected node against a batched one"),
    ("selected", "pitfall", "widget: the selected node against a random pitfall"),
    ("selected", "node_border", "widget: the selected node against an unbatched one"),
    ("stage_mark", "batch", "widget: a stage's ring against a batched node"),
    ("stage_mark", "pitfall", "widget: a stage's ring against a random pitfall"),
    ("stage_mark", "selected", "widget: a stage's ring against the selected node"),
    ("match", "node_eqn", "widget: a found node against an equation"),
    ("match", "node_input", "widget: a found node against an input"),
    ("match", "node_output", "widget: a found node against an output"),
    ("match", "node_collapsed", "widget: a found node against a folded one"),
    ("cell_batch", "cell_plain", "diagram: a batch-axis cell against a plain one"),
    ("cell_lane", "cell_batch", "diagram: the lane's cell against the batch axis"),
    ("cell_broadcast", "cell_batch", "diagram: broadcast against batched"),
    ("cell_broadcast", "cell_lane", "diagram: broadcast against the lane's cell"),
    ("cell_one", "cell_broadcast", "diagram: one lane's array against a broadcast one"),
    ("arrow_axis", "arrow_moved", "diagram: batch axis arrow against axis moved"),
    ("arrow_axis", "arrow_broadcast", "diagram: batch axis arrow against broadcast"),
    ("arrow_axis", "arrow_split", "diagram: batch axis arrow against key split (green)"),
    ("arrow_moved", "arrow_broadcast", "diagram: axis moved against broadcast"),
    ("arrow_moved", "arrow_split", "diagram: axis moved against key split"),
    ("arrow_broadcast", "arrow_split", "diagram: broadcast against key split"),
    ("pitfall", "arrow_axis", "diagram: a pitfall badge against the batch axis"),
    ("cell_lane", "key_fill", "diagram: the lane's key against the key the State keeps"),
    ("key_fill", "paper", "diagram: the key the State keeps against the lanes' keys"),
)
