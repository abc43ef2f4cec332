"""Reports -> the JSON the widgets carry: tables, per-lane diagrams, graphs and their nodes.

Everything here is computed once in Python, so the browser only swaps precomputed
pictures: one axis-diagram SVG per lane, one jaxpr-graph SVG per view, and a
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
('step(f32[4])', ['count'], 4)
>>> entry['lanes'][2]['rows'][1]
['state', 'count', '[2] of f32[4] -> f32[]', 'f32[] -> [2] of f32[4]']
>>> entry['graphs']['elementwise']['nodes']['e3']['primitive']
'add'
"""

from __future__ import annotations

import json
import re
from typing import Any

import jax.extend as jex

from ..render import _graph, _ir
from ..render._escape import visible
from ..render.dot import DotNotFoundError, to_dot, to_svg
from ..render.svg import axis_svg

__all__ = [
    "GRAPH_VIEWS",
    "MAX_LANES",
    "entry_label",
    "entry_payload",
    "graph_payload",
    "lane_rows",
    "node_table",
    "tag_svg_nodes",
]

#: At most this many lanes get a precomputed axis diagram (the slider stops there).
MAX_LANES = 32
#: The two graph views, in toggle order.
GRAPH_VIEWS = ("elementwise", "batched")
#: Parameter values longer than this are cut (sub-jaxprs can be long).
MAX_PARAM_CHARS = 2000

_ADDRESS = re.compile(r"\s+at 0x[0-9a-fA-F]+|0x[0-9a-fA-F]+")
# Jaxprs print in colour when ``jax_pprint_use_color`` is on (as in notebooks).
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


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
    """What the cache-entry selector shows: the mapping and its call signature."""
    key = report.cache.key
    return f"{report.mapping}{key}" if key.startswith("(") else f"{report.mapping} {key}"


# ------------------------------------------------------------------ lanes


def _index(type_: str, axis: int | None, lane: int) -> str:
    """``f32[4,3]`` sliced at ``lane`` on ``axis`` 1: ``[:, 2] of f32[4,3]``."""
    if axis is None:
        return f"all of {type_} (broadcast)"
    return f"[{', '.join([':'] * axis + [str(lane)])}] of {type_}"


def lane_rows(report: Any, lane: int) -> list[list[str]]:
    """``[kind, name, what lane reads, what lane writes]`` for each leaf and State.

    RandomStates read key ``lane + 1`` of ``split(key, n + 1)``.
    """
    keys = {k.label: k for k in report.keys.entries} if report.keys is not None else {}
    read = {s.label for s in report.discovery.states if s.read}
    after = {w.label: w for w in report.write_back.entries}
    rows = []
    for e in report.axes.entries:
        reads = writes = "-"
        if e.kind == "argument":
            reads = f"{_index(e.type, e.axis_in, lane)} -> {e.lane_type}"
        elif e.kind == "output":
            if e.batched is False:
                writes = f"{e.lane_type} -> {e.type} (same in every lane)"
            else:
                writes = f"{e.lane_type} -> {_index(e.type, e.axis_out, lane)}"
        elif e.label in keys:
            k = keys[e.label]
            reads = f"key {lane + 1} of split(key, {len(k.lane_keys) + 1}): " + _ir.key_text(
                k.lane_keys[lane])
            writes = f"keeps key 0: {_ir.key_text(k.key_after)}"
        else:
            if e.label in read:
                reads = f"{_index(e.type, e.axis_in, lane)} -> {e.lane_type}"
            w = after.get(e.label)
            if w is not None:
                writes = (f"{e.lane_type} -> {w.after} (written back unbatched)"
                          if e.axis_out is None
                          else f"{e.lane_type} -> {_index(w.after, e.axis_out, lane)}")
        rows.append([e.kind, e.label, reads, writes])
    return rows


def _lanes(report: Any) -> list[dict]:
    n = min(max(report.axes.axis_size, 1), MAX_LANES)
    return [{"lane": i, "svg": axis_svg(report, i), "rows": lane_rows(report, i)}
            for i in range(n)]


# ------------------------------------------------------------------ graphs


class _RecordingBuilder(_graph._Builder):
    """The renderer's graph builder, remembering which equation made which node."""

    def __init__(self, *args: Any):
        super().__init__(*args)
        self.eqns: dict[str, Any] = {}

    def _eqn(self, eqn, prefix, src, flags, outs):
        nid = super()._eqn(eqn, prefix, src, flags, outs)
        self.eqns[nid] = eqn
        return nid

    def _collapsed(self, eqn, prefix, hidden, src, flags):
        nid = super()._collapsed(eqn, prefix, hidden, src, flags)
        self.eqns[nid] = eqn
        return nid


def _equations(report: Any, which: str, max_cluster_eqns: int) -> dict[str, Any]:
    """``node id -> equation`` for the graph ``report_graph(report, which)`` draws.

    Rebuilds that graph with a recording builder; if its nodes differ from the
    renderer's (the renderer changed), no equations are attached.
    """
    b = _RecordingBuilder(max_cluster_eqns, report.axis_name)
    ins, outs = _graph.io_labels(report, which)
    if which == "elementwise":
        g = _graph._view(b, report.elementwise_jaxpr, ins, outs, report.elementwise_batched,
                         "e", "")
    else:
        cj = report.batched_jaxpr
        flags = _graph._batched_view_flags(report, len(cj.jaxpr.invars))
        g = _graph._view(b, cj, ins, outs, flags, "b", "", _graph._batched_out_flags(report, outs))
    drawn = _graph.report_graph(report, which, max_cluster_eqns)
    same = [(n.id, n.label) for n in g.nodes] == [(n.id, n.label) for n in drawn.nodes]
    return b.eqns if same else {}


def _clean(text: str) -> str:
    """Parameter or equation text: no colour codes, no memory addresses, cut if long."""
    text = _ADDRESS.sub("", _ANSI.sub("", text))
    return text if len(text) <= MAX_PARAM_CHARS else text[: MAX_PARAM_CHARS - 3] + "..."


def _type_text(v: Any) -> str:
    aval = getattr(v, "aval", None)
    return "?" if aval is None else _graph._short(aval)


def node_table(report: Any, which: str, max_cluster_eqns: int = 50) -> dict[str, dict]:
    """``node id -> details`` for every node of one graph view.

    Each entry has ``id``, ``kind`` (``input``, ``output``, ``eqn``, ``collapsed``),
    ``label``, ``batched``, ``from`` / ``to`` (``[node id, type]`` of the edges in and
    out); equation nodes add ``primitive``, ``equation`` (its jaxpr line), ``inputs``,
    ``outputs`` (types, literals as values) and ``params`` (``[name, value]``).
    """
    graph = _graph.report_graph(report, which, max_cluster_eqns)
    eqns = _equations(report, which, max_cluster_eqns)
    table: dict[str, dict] = {}
    for n in graph.nodes:
        table[n.id] = {"id": n.id, "kind": n.kind, "label": n.label, "batched": n.batched,
                       "from": [], "to": []}
    for e in graph.edges:
        if e.src in table and e.dst in table:
            table[e.dst]["from"].append([e.src, e.label])
            table[e.src]["to"].append([e.dst, e.label])
    for nid, eqn in eqns.items():
        info = table[nid]
        info["primitive"] = eqn.primitive.name
        info["equation"] = _clean(str(eqn))
        info["inputs"] = [_graph._literal(v) if isinstance(v, jex.core.Literal) else _type_text(v)
                          for v in eqn.invars]
        info["outputs"] = [_type_text(v) for v in eqn.outvars]
        info["params"] = [[k, _clean(str(v))] for k, v in sorted(eqn.params.items())]
    return table


_NODE_G = re.compile(r'<g id="(node\d+)" class="node">\s*<title>([^<]*)</title>')


def tag_svg_nodes(svg: str) -> str:
    """Graphviz SVG without its XML prolog, each node ``<g>`` tagged ``data-node="<id>"``.

    >>> tag_svg_nodes('<?xml?>\\n<svg><g id="node1" class="node">\\n<title>e1</title></g></svg>')
    '<svg><g id="node1" class="node" data-node="e1">\\n<title>e1</title></g></svg>'
    """
    start = svg.find("<svg")
    svg = svg[start:] if start >= 0 else svg

    def tag(m: re.Match) -> str:
        return m.group(0).replace('class="node">', f'class="node" data-node="{m.group(2)}">', 1)

    return _NODE_G.sub(tag, svg)


def graph_payload(report: Any, which: str, max_cluster_eqns: int = 50) -> dict:
    """One graph view: ``svg`` (None when Graphviz is missing), ``dot``, ``error``, ``nodes``."""
    dot = to_dot(report, which=which, max_cluster_eqns=max_cluster_eqns)
    try:
        svg, error = tag_svg_nodes(to_svg(dot)), None
    except DotNotFoundError as exc:
        svg, error = None, str(exc)
    return {"which": which, "svg": svg, "dot": dot, "error": error,
            "nodes": node_table(report, which, max_cluster_eqns)}


# ------------------------------------------------------------------ entries

#: What each widget needs of an entry (the Inspector needs everything).
PARTS = ("tables", "lanes", "graphs", "explain")


def entry_payload(report: Any, parts: tuple[str, ...] = PARTS, label: str | None = None) -> dict:
    """One cache entry (one inspected call) as plain JSON.

    Always: ``label``, ``mapping``, ``title``, ``axis_size``, ``states``, ``report``
    (``report.to_dict()``: the records). Then per ``parts``: ``tables``, ``lanes``
    (one per lane up to :data:`MAX_LANES`: ``svg`` and ``rows``), ``graphs``
    (``{'elementwise': ..., 'batched': ...}``), ``explain``.
    """
    axes = report.axes
    entry: dict[str, Any] = {
        "label": label if label is not None else entry_label(report),
        "mapping": report.mapping,
        "title": f"vmap2 of {report.mapping} over {axes.axis_size} lanes"
                 + ("" if axes.axis_name is None else f" (axis name {axes.axis_name})"),
        "axis_size": axes.axis_size,
        "states": [s.label for s in report.discovery.states],
        "report": report.to_dict(),
    }
    if "tables" in parts:
        tables = [_ir.state_table(report), _ir.leaf_table(report), _ir.key_table(report)]
        entry["tables"] = [_table(t) for t in tables if t is not None]
    if "lanes" in parts:
        entry["lanes"] = _lanes(report)
    if "graphs" in parts:
        entry["graphs"] = {w: graph_payload(report, w) for w in GRAPH_VIEWS}
    if "explain" in parts:
        entry["explain"] = report.explain()
    return _plain(entry)
