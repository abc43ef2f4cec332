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

FILL = {"plain": "#ffffff", "batch": "#fdd0a2", "lane": "#e6550d", "broadcast": "#deebf7",
        "one": "#fdae6b"}
ARROW = {"axis": "#e6550d", "moved": "#756bb1", "broadcast": "#969696", "split": "#31a354"}


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


def _cell_fill(view: ArrayView, role: str, index: dict[int, int | None], lane: int) -> str:
    if role == "lane":
        return FILL["one"]
    if view.batch_axis is None:
        return FILL["broadcast"] if role == "broadcast" else FILL["plain"]
    i = index.get(view.batch_axis)
    return FILL["lane"] if i == lane else FILL["batch"]


def _array(view: ArrayView, x: int, y: int, role: str, lane: int) -> list[str]:
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
    for r, ri in enumerate(rows):
        for c, ci in enumerate(cols):
            index = {a: i for a, i in ((rows_axis, ri), (cols_axis, ci)) if a is not None}
            gap = any(i is None for i in index.values())
            fill = FILL["plain"] if gap else _cell_fill(view, role, index, lane)
            cx, cy = x + c * CELL, y + r * CELL
            out.append(f'<rect x="{cx}" y="{cy}" width="{CELL}" height="{CELL}" '
                       f'fill="{fill}" stroke="#636363"/>')
            if gap:
                out.append(_text(cx + CELL // 2, cy + 13, "...", "s", "middle"))
    y_cap = y + n_rows * CELL + 13
    for a, where in ((rows_axis, "rows"), (cols_axis, "cols")):
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
    dash = ' stroke-dasharray="6 4"' if kind == "broadcast" else ""
    mid = (x1 + x2) // 2
    line = (f'<line x1="{x1}" y1="{y}" x2="{x2 - 4}" y2="{y}" stroke="{ARROW[kind]}" '
            f'stroke-width="2"{dash} marker-end="url(#{pid}-{kind})"/>')
    return [line, _text(mid, y + 14, label, f"a {kind}", "middle")]


def _row(row: AxisRow, y: int, lane: int, pid: str) -> tuple[list[str], int]:
    sizes = [_grid_size(v) for v in row.arrays]
    grid_h = max(h for _, h in sizes)
    head = row.label if row.label.startswith(row.kind) else f"{row.kind} {row.label}"
    out = [_text(X[0], y + 12, head, "k")]
    if row.badge:
        out += _badge(X[0] + 7 * len(head) + 14, y + 12, row.badge, row.badge_title or "")
    top = y + 34
    for i, view in enumerate(row.arrays):
        if view is not None:
            role = ("broadcast" if view.batch_axis is None else "batch") if i != 1 else (
                "broadcast" if row.arrow_in == "broadcast" else "lane")
            out += _array(view, X[i], top, role, lane)
    mid = top + CELL // 2
    if row.arrow_in:
        out += _arrow(X[0] + START, X[1] - 8, mid, row.arrow_in, row.text_in, pid)
    if row.arrow_out:
        out += _arrow(X[1] + START, X[2] - 8, mid, row.arrow_out, row.text_out, pid)
    if row.values:
        out.append(_text(X[0], top + grid_h + 54, row.values, "v"))
        return out, top + grid_h + 72
    return out, top + grid_h + 56


def _badge(x: int, y: int, badge: str, title: str) -> list[str]:
    """A warning badge on a row's label line; ``title`` is its tooltip."""
    width = 6 * len(badge) + 14
    box = (f'<rect x="{x}" y="{y - 12}" width="{width}" height="16" rx="3" fill="#fee0d2" '
           'stroke="#cb181d"/>')
    text = (f'<text x="{x + 7}" y="{y}" style="font-size:10px;font-weight:bold;'
            f'fill:#a50f15">{xml_escape(badge)}</text>')
    return ['<g class="warn">', f"<title>{xml_escape(title)}</title>", box, text, "</g>"]


def _keys(split: KeySplit, y: int, lane: int, pid: str) -> tuple[list[str], int]:
    n = len(split.lane_keys)
    out = [_text(X[0], y + 12, f"random keys: {split.label}", "k")]
    top = y + 30
    box = 'rx="3" stroke="#636363"'
    out.append(f'<rect x="{X[0]}" y="{top}" width="{COL_W}" height="22" fill="#e5f5e0" {box}/>')
    out.append(_text(X[0] + 6, top + 15, f"key {split.key_before}", "s"))
    sx = X[1] - 40
    out.append(f'<rect x="{sx}" y="{top}" width="{COL_W}" height="22" fill="#ffffff" {box}/>')
    out.append(_text(sx + COL_W // 2, top + 15, f"split(key, {n + 1})", "s", "middle"))
    out += _arrow(X[0] + COL_W + 4, sx - 4, top + 11, "split", "", pid)
    keys = [(split.key_after, f"key 0 -> {split.label} keeps it", False)]
    keys += [(k, f"key {i + 1} -> lane {i}", i == lane) for i, k in enumerate(split.lane_keys)]
    kx = X[2] - 60
    for j, (key, what, hot) in enumerate(keys):
        ky = top + j * 26
        fill = FILL["lane"] if hot else ("#e5f5e0" if j == 0 else "#ffffff")
        out.append(f'<line x1="{sx + COL_W}" y1="{top + 11}" x2="{kx - 4}" y2="{ky + 11}" '
                   f'stroke="{ARROW["split"]}" stroke-width="1.5" '
                   f'marker-end="url(#{pid}-split)"/>')
        out.append(f'<rect x="{kx}" y="{ky}" width="{COL_W + 160}" height="22" fill="{fill}" '
                   f'{box}/>')
        out.append(_text(kx + 6, ky + 15, f"{what}: {key}", "s"))
    return out, top + len(keys) * 26 + 24


def _defs(pid: str) -> list[str]:
    out = ["<defs>"]
    for kind, color in ARROW.items():
        out.append(f'<marker id="{pid}-{kind}" viewBox="0 0 10 10" refX="9" refY="5" '
                   f'markerWidth="7" markerHeight="7" orient="auto">'
                   f'<path d="M0,0 L10,5 L0,10 z" fill="{color}"/></marker>')
    out.append("</defs>")
    return out


def _style(pid: str, values: bool = False) -> str:
    """CSS scoped to this one ``<svg>`` (safe to inline several in one page); ``values``:
    the diagram shows recorded values (their own style)."""
    rules = {
        "text": "font-family:Helvetica,Arial,sans-serif;font-size:11px;fill:#252525",
        ".k": "font-size:12px;font-weight:bold", ".h": "font-size:14px;font-weight:bold",
        ".s": "font-size:10px", ".b": "font-size:10px;fill:#a63603;font-weight:bold",
        ".a": "font-size:10px", ".a.moved": "fill:#54278f", ".a.broadcast": "fill:#636363",
        ".a.split": "fill:#006d2c",
    }
    if values:
        rules[".v"] = "font-family:Menlo,Consolas,monospace;font-size:11px;fill:#08519c"
    return "<style>" + "".join(f"#{pid} {k}{{{v}}}" for k, v in rules.items()) + "</style>"


def diagram_svg(diagram: AxisDiagram) -> str:
    """Lower an :class:`~vmapviz.render._ir.AxisDiagram` to one ``<svg>`` string."""
    seed = repr(diagram) + "".join(r.badge_title for r in diagram.rows if r.badge_title) + (
        "".join(r.values for r in diagram.rows))
    pid = "vv" + hashlib.sha1(seed.encode("utf-8")).hexdigest()[:8]
    body = [_text(X[0], 22, diagram.title, "h"),
            _text(X[0], 40, f"orange: batch axis; dark cell: lane {diagram.lane}; "
                  "blue: broadcast (None); purple arrow: axis moved", "s")]
    for i, title in enumerate(("outside the map", "one lane", "after the map")):
        body.append(_text(X[i], 62, title, "k"))
    y = 72
    for row in diagram.rows:
        part, y = _row(row, y, diagram.lane, pid)
        body += part
    for split in diagram.keys:
        part, y = _keys(split, y, diagram.lane, pid)
        body += part
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" id="{pid}" width="{WIDTH}" '
            f'height="{y}" viewBox="0 0 {WIDTH} {y}">')
    values = any(r.values for r in diagram.rows)
    return "\n".join([head, _style(pid, values), *_defs(pid), *body, "</svg>"]) + "\n"


def axis_svg(report: Any, lane: int = 0, other_axis: int | None = None) -> str:
    """The axis diagram of a report as SVG, with lane ``lane`` highlighted; ``other_axis``
    (counted from the end) picks the axis drawn beside the batch axis, such as time."""
    return diagram_svg(axis_diagram(report, lane, other_axis))
