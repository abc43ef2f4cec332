"""Axis diagrams as SVG, drawn by vmapviz itself (no external tool).

Each row is one argument leaf, State or output: the array outside the map, the
array one lane sees, and the array after the map, with the batch axis coloured,
one lane highlighted and the in/out axes written on the arrows. RandomStates get
a key-splitting diagram below. Output is deterministic: integer coordinates and
ids derived from the diagram's content.

>>> import jax.numpy as jnp
>>> import vmapviz
>>> count = vmapviz.ShortTermState(jnp.zeros(4), name='count')
>>> def step(d):
...     count.value = count.value + d
...     return count.value
>>> f = vmapviz.transform.vmap2(step, state_in_axes={0: vmapviz.ShortTermState})
>>> svg = axis_svg(f.inspect(jnp.ones(4)), lane=1)
>>> svg.startswith('<svg') and 'lane 1' in svg
True
"""

from __future__ import annotations

import hashlib
from typing import Any

from . import _palette as palette
from ._escape import xml_escape
from ._ir import ArrayView, AxisDiagram, AxisRow, KeySplit, axis_diagram

__all__ = ["axis_svg", "diagram_svg", "xml_escape"]

CELL = 18
MAX_CELLS = 8
COL_W = 8 * CELL + 70
GAP = 170
X = (20, 20 + COL_W + GAP, 20 + 2 * (COL_W + GAP))
WIDTH = X[2] + COL_W + 130
START = 150  # arrows start right of the widest axis caption

TOP = 86  # the first row starts below the title, the two legend lines and the column titles

#: Cell fills and arrow colours (:mod:`vmapviz.render._palette`). Colour is never the only
#: signal: batch-axis cells are hatched, the lane's cells outlined, broadcast arrays framed
#: by a dashed line, and each kind of arrow has its own line and head.
FILL = palette.CELL
ARROW = palette.ARROW
#: Dashes of each kind of arrow ('' solid).
DASH = {"axis": "", "moved": "", "broadcast": "6 4", "split": "2 3"}
#: The two legend lines: what each colour means, and what else marks it.
LEGEND = (
    ("cells: orange, hatched: batch axis; dark cell: lane {lane}, outlined in black; "
     "light blue in a dashed frame: broadcast (None), the same in every lane"),
    ("arrows: solid orange: batch axis taken off or put back; purple with an open head: "
     "axis moved; dashed grey: broadcast; dotted green: random key split"),
)


def _text(x: int, y: int, s: str, cls: str = "t", anchor: str = "start") -> str:
    return f'<text class="{cls}" x="{x}" y="{y}" text-anchor="{anchor}">{xml_escape(s)}</text>'


def _drawn_axes(view: ArrayView) -> tuple[int, ...]:
    """At most two axes to draw as (rows, cols); the batch axis is always one of them, the
    other is ``view.show`` when set, else the last axis that is not the batch axis."""
    rank = len(view.shape)
    if rank <= 2:
        return tuple(range(rank))
    b = view.batch_axis
    if view.show is not None:
        return tuple(sorted({view.show, b if b is not None else rank - 1}))
    if b is None:
        return (rank - 2, rank - 1)
    other = rank - 1 if b != rank - 1 else rank - 2
    return tuple(sorted((b, other)))


def _counts(n: int) -> int:
    return min(n, MAX_CELLS)


def _grid_size(view: ArrayView | None) -> tuple[int, int]:
    if view is None:
        return 0, 0
    axes = _drawn_axes(view)
    dims = [view.shape[a] for a in axes]
    rows = _counts(dims[0]) if len(dims) == 2 else 1
    cols = _counts(dims[-1]) if dims else 1
    return cols * CELL, rows * CELL  # shown_indices never draws more than MAX_CELLS


def shown_indices(n: int, lane: int | None = None) -> list[int | None]:
    """The indices drawn along an axis of size ``n``, at most :data:`MAX_CELLS` cells; None
    marks an ellipsis cell. A long axis shows its first indices and its last one; the
    batch axis also shows the selected ``lane`` wherever it is (``0-3, ..., 12, ..., 15``).

    >>> shown_indices(16, lane=12)
    [0, 1, 2, 3, None, 12, None, 15]
    >>> shown_indices(16)
    [0, 1, 2, 3, 4, 5, None, 15]
    """
    if n <= MAX_CELLS:
        return list(range(n))
    head = MAX_CELLS - 2
    if lane is None or lane < head or lane == n - 1:
        return [*range(head), None, n - 1]
    head -= 2
    return [*range(head), None, lane, *([None] if lane < n - 2 else []), n - 1]


def _cell_kind(view: ArrayView, role: str, index: dict[int, int | None], lane: int) -> str:
    """What one cell is: a key of :data:`FILL`."""
    if role == "lane":
        return "one"
    if view.batch_axis is None:
        return "broadcast" if role == "broadcast" else "plain"
    return "lane" if index.get(view.batch_axis) == lane else "batch"


def _blocks(cells: list[tuple[int, int]]) -> list[tuple[int, int, int, int]]:
    """Grid cells ``(row, col)`` merged into rectangles ``(row, col, rows, cols)``: runs
    along each row first, then runs of equal width stacked in consecutive rows.

    >>> _blocks([(0, 1), (1, 1), (2, 1), (0, 3)])
    [(0, 1, 3, 1), (0, 3, 1, 1)]
    """
    runs: list[list[int]] = []
    for r, c in sorted(cells):
        if runs and runs[-1][0] == r and runs[-1][1] + runs[-1][3] == c:
            runs[-1][3] += 1
        else:
            runs.append([r, c, 1, 1])
    out: list[list[int]] = []
    for r, c, _, w in sorted(runs, key=lambda b: (b[1], b[3], b[0])):
        if out and out[-1][1] == c and out[-1][3] == w and out[-1][0] + out[-1][2] == r:
            out[-1][2] += 1
        else:
            out.append([r, c, 1, w])
    return sorted(tuple(b) for b in out)


def _marks(x: int, y: int, kinds: dict[tuple[int, int], str], pid: str) -> list[str]:
    """What marks the cells besides their colour: hatching over the batch axis, a black
    outline around the lane's cells, a dashed frame around a broadcast array."""
    out = []
    for r, c, h, w in _blocks([rc for rc, k in kinds.items() if k == "batch"]):
        out.append(f'<rect class="hatch" x="{x + c * CELL}" y="{y + r * CELL}" '
                   f'width="{w * CELL}" height="{h * CELL}" fill="url(#{pid}-hatch)"/>')
    for r, c, h, w in _blocks([rc for rc, k in kinds.items() if k == "lane"]):
        out.append(f'<rect class="lane-mark" x="{x + c * CELL}" y="{y + r * CELL}" '
                   f'width="{w * CELL}" height="{h * CELL}" fill="none" '
                   f'stroke="{palette.LANE_OUTLINE}" stroke-width="2.5"/>')
    if "broadcast" in kinds.values():
        rows = 1 + max(r for r, _ in kinds)
        cols = 1 + max(c for _, c in kinds)
        out.append(f'<rect class="broadcast-mark" x="{x - 2}" y="{y - 2}" '
                   f'width="{cols * CELL + 4}" height="{rows * CELL + 4}" rx="3" fill="none" '
                   f'stroke="{palette.CELL_STROKE}" stroke-width="1.5" stroke-dasharray="4 3"/>')
    return out


def _array(view: ArrayView, x: int, y: int, role: str, lane: int, pid: str) -> list[str]:
    """One array: title, grid of cells, and one caption line per axis."""
    axes = _drawn_axes(view)
    out = [_text(x, y - 6, view.type if role != "lane" else f"one lane: {view.type}", "t")]
    rows_axis = axes[0] if len(axes) == 2 else None
    cols_axis = axes[-1] if axes else None

    def along(a):
        if a is None:
            return [None]
        return shown_indices(view.shape[a], lane if a == view.batch_axis else None)

    rows, cols = along(rows_axis), along(cols_axis)
    n_rows = len(rows)
    kinds: dict[tuple[int, int], str] = {}
    for r, ri in enumerate(rows):
        for c, ci in enumerate(cols):
            index = {a: i for a, i in ((rows_axis, ri), (cols_axis, ci)) if a is not None}
            gap = any(i is None for i in index.values())
            kinds[r, c] = "plain" if gap else _cell_kind(view, role, index, lane)
            cx, cy = x + c * CELL, y + r * CELL
            out.append(f'<rect x="{cx}" y="{cy}" width="{CELL}" height="{CELL}" '
                       f'fill="{FILL[kinds[r, c]]}" stroke="{palette.CELL_STROKE}"/>')
            if gap:
                out.append(_text(cx + CELL // 2, cy + 13, "...", "s", "middle"))
    out += _marks(x, y, kinds, pid)
    out += _captions(view, axes, x, y + n_rows * CELL + 13)
    return out


def _captions(view: ArrayView, axes: tuple[int, ...], x: int, y_cap: int) -> list[str]:
    """One caption line per axis drawn, then the axes not drawn."""
    out = []
    for a, where in ((axes[0] if len(axes) == 2 else None, "rows"),
                     (axes[-1] if axes else None, "cols")):
        if a is None:
            continue
        batch = "  batch axis" if a == view.batch_axis else ""
        cls = "b" if batch else "s"
        where = f" ({where})" if len(axes) == 2 else ""
        out.append(_text(x, y_cap, f"axis {a}{where}: {view.shape[a]}{batch}", cls))
        y_cap += 13
    hidden = [a for a in range(len(view.shape)) if a not in axes]
    if hidden:
        out.append(_text(x, y_cap, "not drawn: " + ", ".join(
            f"axis {a}: {view.shape[a]}" for a in hidden), "s"))
    if not view.shape:
        out.append(_text(x, y_cap, "scalar (no axes)", "s"))
    return out


def _arrow(x1: int, x2: int, y: int, kind: str, label: str, pid: str) -> list[str]:
    dash = f' stroke-dasharray="{DASH[kind]}"' if DASH[kind] else ""
    mid = (x1 + x2) // 2
    line = (f'<line x1="{x1}" y1="{y}" x2="{x2 - 4}" y2="{y}" stroke="{ARROW[kind]}" '
            f'stroke-width="2"{dash} marker-end="url(#{pid}-{kind})"/>')
    return [line, _text(mid, y + 14, label, f"a {kind}", "middle")]


def _row(row: AxisRow, y: int, lane: int, pid: str) -> tuple[list[str], int]:
    sizes = [_grid_size(v) for v in row.arrays]
    grid_h = max(h for _, h in sizes)
    out = [_text(X[0], y + 12, _head(row), "k")]
    if row.badge:
        out += _badge(X[0] + 7 * len(_head(row)) + 14, y + 12, row.badge,
                      row.badge_title or "")
    top = y + 34
    for i, view in enumerate(row.arrays):
        if view is not None:
            role = ("broadcast" if view.batch_axis is None else "batch") if i != 1 else (
                "broadcast" if row.arrow_in == "broadcast" else "lane")
            out += _array(view, X[i], top, role, lane, pid)
    mid = top + CELL // 2
    if row.arrow_in:
        out += _arrow(X[0] + START, X[1] - 8, mid, row.arrow_in, row.text_in, pid)
    if row.arrow_out:
        out += _arrow(X[1] + START, X[2] - 8, mid, row.arrow_out, row.text_out, pid)
    if row.values:
        out.append(_text(X[0], top + grid_h + 54, row.values, "v"))
        return out, top + grid_h + 72
    return out, top + grid_h + 56


def _head(row: AxisRow) -> str:
    """A row's name: ``argument x``, ``state count``, ``output 0``."""
    return row.label if row.label.startswith(row.kind) else f"{row.kind} {row.label}"


def _badge(x: int, y: int, badge: str, title: str) -> list[str]:
    """A warning badge on a row's label line; ``title`` is its tooltip."""
    width = 6 * len(badge) + 14
    box = (f'<rect x="{x}" y="{y - 12}" width="{width}" height="16" rx="3" '
           f'fill="{palette.BADGE_FILL}" stroke="{palette.PITFALL}"/>')
    text = (f'<text x="{x + 7}" y="{y}" style="font-size:10px;font-weight:bold;'
            f'fill:{palette.BADGE_TEXT}">{xml_escape(badge)}</text>')
    return ['<g class="warn">', f"<title>{xml_escape(title)}</title>", box, text, "</g>"]


def _keys(split: KeySplit, y: int, lane: int, pid: str) -> tuple[list[str], int]:
    n = len(split.lane_keys)
    out = [_text(X[0], y + 12, f"random keys: {split.label}", "k")]
    top = y + 30
    box = f'rx="3" stroke="{palette.CELL_STROKE}"'
    out.append(f'<rect x="{X[0]}" y="{top}" width="{COL_W}" height="22" '
               f'fill="{palette.KEY_FILL}" {box}/>')
    out.append(_text(X[0] + 6, top + 15, f"key {split.key_before}", "s"))
    sx = X[1] - 40
    out.append(f'<rect x="{sx}" y="{top}" width="{COL_W}" height="22" '
               f'fill="{palette.PAPER}" {box}/>')
    out.append(_text(sx + COL_W // 2, top + 15, f"split(key, {n + 1})", "s", "middle"))
    out += _arrow(X[0] + COL_W + 4, sx - 4, top + 11, "split", "", pid)
    keys = [(split.key_after, f"key 0 -> {split.label} keeps it", False)]
    keys += [(k, f"key {i + 1} -> lane {i}", i == lane) for i, k in enumerate(split.lane_keys)]
    kx = X[2] - 60
    for j, (key, what, hot) in enumerate(keys):
        ky = top + j * 26
        fill = FILL["lane"] if hot else (palette.KEY_FILL if j == 0 else palette.PAPER)
        out.append(f'<line x1="{sx + COL_W}" y1="{top + 11}" x2="{kx - 4}" y2="{ky + 11}" '
                   f'stroke="{ARROW["split"]}" stroke-width="1.5" '
                   f'stroke-dasharray="{DASH["split"]}" marker-end="url(#{pid}-split)"/>')
        edge = (f'stroke="{palette.LANE_OUTLINE}" stroke-width="2.5"' if hot else
                f'stroke="{palette.CELL_STROKE}"')
        out.append(f'<rect x="{kx}" y="{ky}" width="{COL_W + 160}" height="22" fill="{fill}" '
                   f'rx="3" {edge}/>')
        out.append(_text(kx + 6, ky + 15, f"{what}: {key}", "s on-lane" if hot else "s"))
    return out, top + len(keys) * 26 + 24


def _defs(pid: str) -> list[str]:
    """Arrowheads (an open one for a moved axis) and the hatching of batch-axis cells."""
    out = ["<defs>"]
    for kind, color in ARROW.items():
        head = (f'fill="none" stroke="{color}" stroke-width="2"' if kind == "moved" else
                f'fill="{color}"')
        out.append(f'<marker id="{pid}-{kind}" viewBox="0 0 10 10" refX="9" refY="5" '
                   f'markerWidth="7" markerHeight="7" orient="auto">'
                   f'<path d="M0,0 L10,5 L0,10{"" if kind == "moved" else " z"}" {head}/>'
                   "</marker>")
    out.append(f'<pattern id="{pid}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
               f'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" '
               f'stroke="{palette.HATCH}" stroke-width="1.5" stroke-opacity="0.55"/></pattern>')
    out.append("</defs>")
    return out


def _style(pid: str, values: bool = False) -> str:
    """CSS scoped to this one ``<svg>`` (safe to inline several in one page); ``values``:
    the diagram shows recorded values (their own style)."""
    rules = {
        "text": f"font-family:Helvetica,Arial,sans-serif;font-size:11px;fill:{palette.TEXT}",
        ".k": "font-size:12px;font-weight:bold", ".h": "font-size:14px;font-weight:bold",
        ".s": "font-size:10px", ".b": f"font-size:10px;fill:{palette.BATCH_TEXT};font-weight:bold",
        ".a": "font-size:10px", ".a.moved": f"fill:{palette.ARROW_TEXT['moved']}",
        ".a.broadcast": f"fill:{palette.ARROW_TEXT['broadcast']}",
        ".a.split": f"fill:{palette.ARROW_TEXT['split']}",
        ".on-lane": f"fill:{palette.LANE_TEXT};font-weight:bold",
    }
    if values:
        rules[".v"] = ("font-family:Menlo,Consolas,monospace;font-size:11px;"
                       f"fill:{palette.VALUES_TEXT}")
    return "<style>" + "".join(f"#{pid} {k}{{{v}}}" for k, v in rules.items()) + "</style>"


def _side(view: ArrayView | None, text: str) -> str:
    """One array of a row in words: ``f32[4] batched on axis 0 (in_axes 0)``."""
    if view is None:
        return ""
    where = "not batched" if view.batch_axis is None else f"batched on axis {view.batch_axis}"
    return f"{view.type} {where}" + (f" ({text})" if text else "")


def describe(diagram: AxisDiagram) -> list[str]:
    """What the diagram shows, one sentence per row and per key split (the SVG's
    ``<desc>``, for screen readers).

    >>> from vmapviz.render._ir import ArrayView, AxisDiagram, AxisRow
    >>> row = AxisRow("argument", "x", (ArrayView("x", "f32[4]", (4,), 0),
    ...               ArrayView("one lane", "f32[]", (), None), None), "axis", None,
    ...               "in_axes 0", "")
    >>> describe(AxisDiagram("vmap2 of f over 4 lanes", 4, 1, (row,), ()))
    ['argument x: f32[4] batched on axis 0 (in_axes 0); one lane sees f32[].']
    """
    out = []
    for row in diagram.rows:
        before, one, after = row.arrays
        parts = [_side(before, row.text_in)]
        parts.append(f"one lane sees {one.type}" if one is not None else "")
        parts.append("after the map " + _side(after, row.text_out) if after is not None else "")
        out.append(f"{_head(row)}: " + "; ".join(p for p in parts if p) + ".")
    for split in diagram.keys:
        lanes = split.lane_keys
        mine = (f" (lane {diagram.lane}: key {lanes[diagram.lane]})"
                if diagram.lane < len(lanes) else "")
        out.append(f"random keys: {split.label}: key {split.key_before} split into "
                   f"{len(lanes) + 1}; the State keeps key 0, lane i draws from key i+1{mine}.")
    return out


def _labels(diagram: AxisDiagram, pid: str) -> tuple[str, str]:
    """The root's accessible name (its first child, also its tooltip) and description
    (put last: it repeats every row's name)."""
    title = f"{diagram.title}: axis diagram, lane {diagram.lane} highlighted"
    return (f'<title id="{pid}-title">{xml_escape(title)}</title>',
            f'<desc id="{pid}-desc">{xml_escape(" ".join(describe(diagram)))}</desc>')


def diagram_svg(diagram: AxisDiagram) -> str:
    """Lower an :class:`~vmapviz.render._ir.AxisDiagram` to one ``<svg>`` string."""
    seed = repr(diagram) + "".join(r.badge_title for r in diagram.rows if r.badge_title) + (
        "".join(r.values for r in diagram.rows))
    pid = "vv" + hashlib.sha1(seed.encode("utf-8")).hexdigest()[:8]
    body = [_text(X[0], 22, diagram.title, "h")]
    body += [_text(X[0], 40 + 13 * i, line.format(lane=diagram.lane), "s")
             for i, line in enumerate(LEGEND)]
    for i, title in enumerate(("outside the map", "one lane", "after the map")):
        body.append(_text(X[i], TOP - 10, title, "k"))
    y = TOP
    for row in diagram.rows:
        part, y = _row(row, y, diagram.lane, pid)
        body += [f'<g class="row" data-label="{xml_escape(row.label)}">', *part, "</g>"]
    for split in diagram.keys:
        part, y = _keys(split, y, diagram.lane, pid)
        body += part
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" id="{pid}" width="{WIDTH}" '
            f'height="{y}" viewBox="0 0 {WIDTH} {y}" role="img" '
            f'aria-labelledby="{pid}-title" aria-describedby="{pid}-desc">')
    values = any(r.values for r in diagram.rows)
    title, desc = _labels(diagram, pid)
    paper = f'<rect class="paper" width="{WIDTH}" height="{y}" fill="{palette.PAPER}"/>'
    return "\n".join([head, title, _style(pid, values), *_defs(pid), paper, *body, desc,
                      "</svg>"]) + "\n"


def axis_svg(report: Any, lane: int = 0, other_axis: int | None = None) -> str:
    """The axis diagram of a report as SVG, with lane ``lane`` highlighted; ``other_axis``
    (counted from the end) picks the axis drawn beside the batch axis, such as time."""
    return diagram_svg(axis_diagram(report, lane, other_axis))
