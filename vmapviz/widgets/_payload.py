"""Reports -> the JSON the widgets carry: tables, per-lane diagrams, graphs and their nodes.

Everything here is computed in Python, so the browser only swaps pictures: the
axis-diagram SVGs of the first lanes (others are drawn when a widget asks for them),
one jaxpr-graph SVG per view, and a
``node id -> equation`` table for clicks. The output is plain JSON (dicts, lists,
strings, numbers), identical for identical reports. Every string in it, names and
records included, passes through :func:`vmapviz.render._escape.visible`: control
characters, lone surrogates and noncharacters in user strings (a State named
``'a\\x01b'``) arrive as visible escapes (the text ``a\\x01b``), so the JSON encodes
as UTF-8 for the kernel's messages and the page shows the name.

Graph node ids are the DOT node ids of :func:`vmapviz.render.to_dot`: ``e1, e2, ...``
in the per-element graph (``which='elementwise'``) and ``b1, b2, ...`` in the
batched graph (``which='batched'``), numbered in drawing order. Graphviz writes each
one as the ``<title>`` of its ``<g class="node">``; :func:`tag_svg_nodes` copies it
into a ``data-node`` attribute that the widget's click handler reads.

>>> import jax.numpy as jnp
>>> import vmapviz
>>> count = vmapviz.ShortTermState(jnp.zeros(4), name='count')
>>> def step(d):
...     count.value = count.value + d
...     return count.value * 2
>>> f = vmapviz.transform.vmap2(step, state_in_axes={0: vmapviz.ShortTermState})
>>> entry = entry_payload(f.inspect(jnp.arange(4.0)))
>>> entry['label'], entry['states'], len(entry['lanes'])
('call 1, first call: step(f32[4])', ['count'], 4)
>>> entry['lanes'][2]['rows'][1]
['state', 'count', '[2] of f32[4] -> f32[]', 'f32[] -> [2] of f32[4]']
>>> entry['graphs']['elementwise']['nodes']['e3']['primitive']
'add'
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..inspection import words
from ..inspection._groups import StateGroup
from ..render import _ir
from ..render._escape import visible
from ..render._graph import report_graph
from ..render._options import GraphOptions
from ..render.dot import DotNotFoundError, DotTimeoutError, graph_to_dot, legend_lines, to_svg
from ..render.svg import axis_svg

__all__ = [
    "GRAPH_VIEWS",
    "MAX_LANES",
    "cluster_table",
    "entry_label",
    "entry_payload",
    "graph_payload",
    "lane_payload",
    "lane_rows",
    "node_table",
    "tag_svg_nodes",
]

#: At most this many lanes get a precomputed axis diagram; the others are drawn on request.
MAX_LANES = 32
#: Precomputed lane diagrams stop once they take this many bytes (always lane 0).
LANE_BUDGET = 256_000
#: A widget waits this long for Graphviz, then shows the DOT text and why.
LAYOUT_TIMEOUT_S = 30.0
#: The two graph views, in toggle order.
GRAPH_VIEWS = ("elementwise", "batched")


def _visible(value: Any) -> Any:
    """Parsed JSON with :func:`~vmapviz.render._escape.visible` applied to every string."""
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, list):
        return [_visible(v) for v in value]
    if isinstance(value, dict):
        return {visible(k): _visible(v) for k, v in value.items()}
    return value


def _plain(value: Any) -> Any:
    """JSON round trip: tuples become lists, so traits compare equal to parsed JSON;
    every string (keys too) is made :func:`~vmapviz.render._escape.visible`."""
    return _visible(json.loads(json.dumps(value, sort_keys=True)))


def _table(table: _ir.Table | None) -> dict | None:
    if table is None:
        return None
    return {"title": table.title, "columns": list(table.columns),
            "rows": [list(r) for r in table.rows]}


def entry_label(report: Any) -> str:
    """What the cache-entry selector shows: ``call 3, miss: x f32[4] -> f32[3]`` (the
    call number, hit or miss and why; :func:`~vmapviz.inspection.words.entry_title`),
    or the mapping and its signature when the record has no call number."""
    if report.error is not None:
        return words.failed_title(report)
    title = words.entry_title(report.cache, report.mapping)
    return f"{title} (dry run)" if report.dry_run else title


# ------------------------------------------------------------------ lanes


def lane_rows(report: Any, lane: int) -> list[list[str]]:
    """``[kind, name, what lane reads, what lane writes]`` for each leaf and State.

    RandomStates read key ``lane + 1`` of ``split(key, n + 1)``.
    """
    keys = {k.label: k for k in report.keys.entries} if report.keys is not None else {}
    written = {w.label: w for w in report.write_back.entries}
    recorded = {v.label: v for v in report.values.entries} if report.values else {}
    rows = []
    for item in report.grouped:
        e = item.first if isinstance(item, StateGroup) else item
        label = item.label if isinstance(item, StateGroup) else e.label
        texts = words.lane_texts(e, lane, keys.get(e.label), written.get(e.label))
        if recorded and not isinstance(item, StateGroup) and not e.random:
            texts = words.with_values(texts, recorded.get(e.label), lane,
                                      report.values.lanes)
        rows.append([e.kind, label, *texts])
    return rows


def lane_payload(report: Any, lane: int, other_axis: int | None = None) -> dict:
    """One lane's axis diagram and rows: ``{'lane', 'other_axis', 'svg', 'rows'}``;
    ``other_axis`` (-2, -3, ...) is the axis drawn beside the batch axis (see
    :func:`~vmapviz.render.axis_svg`)."""
    return {"lane": lane, "other_axis": other_axis, "svg": axis_svg(report, lane, other_axis),
            "rows": lane_rows(report, lane)}


def max_rank(report: Any) -> int:
    """The most axes any argument, State or output has outside the map."""
    return max((len(s) for e in report.axes.entries for s in e.shapes), default=0)


def _lanes(report: Any) -> list[dict]:
    """The first lanes' diagrams, while they fit :data:`LANE_BUDGET` (lane 0 always); a
    widget asks for any other lane when it is selected (``lane_view``)."""
    out, size = [], 0
    for i in range(min(max(report.axes.axis_size, 1), MAX_LANES)):
        lane = lane_payload(report, i)
        size += len(lane["svg"]) + sum(len(c) for r in lane["rows"] for c in r)
        if out and size > LANE_BUDGET:
            break
        out.append(lane)
    return out


# ------------------------------------------------------------------ graphs


def node_table(graph: _ir.Graph) -> dict[str, dict]:
    """``node id -> details`` for every node of one graph view.

    Each entry has ``id``, ``kind`` (``input``, ``output``, ``eqn``, ``collapsed``),
    ``label``, ``batched``, ``from`` / ``to`` (``[node id, type]`` of the edges in and
    out); equation nodes add ``primitive``, ``equation`` (its jaxpr line), ``inputs``,
    ``outputs`` (types, literals as values) and ``params`` (``[name, value]``), from
    the graph's :class:`~vmapviz.render._ir.NodeInfo` (``details=True``); folded nodes
    add ``toggle``: ``[action, path]``, what a click on them asks for.
    """
    table: dict[str, dict] = {}
    for n in graph.nodes:
        table[n.id] = {"id": n.id, "kind": n.kind, "label": n.label, "batched": n.batched,
                       "from": [], "to": []}
        if n.toggle is not None:
            table[n.id]["toggle"] = list(n.toggle)
        if getattr(n, "warning", None):
            table[n.id]["warning"] = n.warning
        if n.info is not None:
            table[n.id].update(primitive=n.info.primitive, equation=n.info.equation,
                               inputs=list(n.info.inputs), outputs=list(n.info.outputs),
                               params=[list(p) for p in n.info.params])
            if getattr(n.info, "batching", None):
                table[n.id]["batching"] = n.info.batching
    for e in graph.edges:
        if e.src in table and e.dst in table:
            table[e.dst]["from"].append([e.src, e.label])
            table[e.src]["to"].append([e.dst, e.label])
    return table


def cluster_table(graph: _ir.Graph) -> dict[str, dict]:
    """``cluster id -> {'label', 'toggle'}`` for the clusters a click can fold or unfold."""
    table: dict[str, dict] = {}

    def walk(c: _ir.Cluster) -> None:
        if c.toggle is not None:
            table[c.id] = {"label": c.label, "toggle": list(c.toggle)}
        for sub in c.clusters:
            walk(sub)

    for c in graph.clusters:
        walk(c)
    return table


_NODE_G = re.compile(r'<g id="(node\d+)" class="node">\s*<title>([^<]*)</title>')
_CLUSTER_G = re.compile(r'<g id="(clust\d+)" class="cluster">\s*<title>cluster_([^<]*)</title>')


def tag_svg_nodes(svg: str) -> str:
    """Graphviz SVG without its XML prolog, each node ``<g>`` tagged ``data-node="<id>"``
    and each cluster ``<g>`` ``data-cluster="<id>"``.

    >>> tag_svg_nodes('<?xml?>\\n<svg><g id="node1" class="node">\\n<title>e1</title></g></svg>')
    '<svg><g id="node1" class="node" data-node="e1">\\n<title>e1</title></g></svg>'
    """
    start = svg.find("<svg")
    svg = svg[start:] if start >= 0 else svg

    def tag(m: re.Match) -> str:
        return m.group(0).replace('class="node">', f'class="node" data-node="{m.group(2)}">', 1)

    def tag_cluster(m: re.Match) -> str:
        return m.group(0).replace('class="cluster">',
                                  f'class="cluster" data-cluster="{m.group(2)}">', 1)

    return _CLUSTER_G.sub(tag_cluster, _NODE_G.sub(tag, svg))


def graph_payload(report: Any, which: str, options: GraphOptions | None = None) -> dict:
    """One graph view: ``svg`` (None when Graphviz is missing), ``dot``, ``error``, ``nodes``,
    ``clusters`` (those a click folds or unfolds), ``legend`` (what the colours mean and
    what was folded, shown as HTML). ``options``: what to expand, collapse or group.

    The graph is built once; its DOT, SVG and node table are three lowerings of it.
    """
    graph = report_graph(report, which, details=True, options=options)
    dot = graph_to_dot(graph, legend=False)  # the legend is shown as HTML beside it
    try:
        svg, error = tag_svg_nodes(to_svg(dot, timeout=LAYOUT_TIMEOUT_S)), None
    except (DotNotFoundError, DotTimeoutError) as exc:
        svg, error = None, str(exc)
    return {"which": which, "svg": svg, "dot": dot, "error": error, "nodes": node_table(graph),
            "clusters": cluster_table(graph), "legend": legend_lines(graph)}


# ------------------------------------------------------------------ entries

#: What each widget needs of an entry (the Inspector needs everything).
PARTS = ("tables", "lanes", "graphs", "explain")


def entry_payload(report: Any, parts: tuple[str, ...] = PARTS, label: str | None = None) -> dict:
    """One cache entry (one inspected call) as plain JSON.

    Always: ``label``, ``mapping``, ``title``, ``axis_size``, ``states``, ``report``
    (``report.to_dict()``: the records). Then per ``parts``: ``tables``, ``lanes``
    (the first lanes, see ``_lanes``: ``svg`` and ``rows``), ``graphs``
    (``{'elementwise': ..., 'batched': ...}``), ``explain``; with tables, lanes and
    graphs also ``stages`` (the stage stepper's, see :func:`._stages.stage_payload`).
    """
    if report.error is not None:
        return _failed_entry(report, parts, label)
    axes = report.axes
    entry: dict[str, Any] = {
        "label": label if label is not None else entry_label(report),
        "mapping": report.mapping,
        "title": report.title,
        "axis_size": axes.axis_size,
        "states": [s.label for s in report.discovery.states],
        "max_rank": max_rank(report),
        "report": report.to_dict(values=False),
    }
    if "tables" in parts:
        tables = [_ir.state_table(report), _ir.leaf_table(report), _ir.key_table(report)]
        entry["tables"] = [_table(t) for t in tables if t is not None]
    if "lanes" in parts:
        entry["lanes"] = _lanes(report)
    if "graphs" in parts:
        entry["graphs"] = {w: graph_payload(report, w) for w in GRAPH_VIEWS}
    if {"tables", "lanes", "graphs"} <= set(parts):  # the Inspector's stage stepper
        from ._stages import stage_payload

        nodes = {w: g["nodes"] for w, g in entry["graphs"].items()}
        entry["stages"] = stage_payload(report, nodes)
    if "explain" in parts:
        entry["explain"] = report.explain()
    return _plain(entry)


def _failed_entry(report: Any, parts: tuple[str, ...], label: str | None) -> dict:
    """The entry of a call that raised: what its stages found, and the error in words
    (no lanes, no graphs: nothing was built to draw)."""
    found = report.discovery.states if report.discovery is not None else ()
    entry: dict[str, Any] = {
        "label": label if label is not None else entry_label(report),
        "mapping": report.mapping, "title": report.title, "axis_size": 0,
        "states": [s.label for s in found], "max_rank": 0, "report": report.to_dict(values=False),
        "failed": True,
    }
    if "tables" in parts:
        entry["tables"] = [_table(_ir.found_table(report))]
    if "lanes" in parts:
        entry["lanes"] = []
    if "graphs" in parts:
        entry["graphs"] = {}
    if "explain" in parts:
        entry["explain"] = report.explain()
    return _plain(entry)
