"""Jaxpr graphs as Graphviz DOT text, and DOT -> SVG through the ``dot`` binary.

>>> import jax.numpy as jnp
>>> import vmapviz
>>> count = vmapviz.ShortTermState(jnp.zeros(4), name='count')
>>> def step(d):
...     count.value = count.value + d
...     return count.value * 2
>>> f = vmapviz.transform.vmap2(step, state_in_axes={0: vmapviz.ShortTermState})
>>> source = to_dot(f.inspect(jnp.ones(4)), which='elementwise')
>>> source.splitlines()[0]
'digraph vmapviz {'
>>> 'label="count\\\\nf32[]"' in source
True
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable
from typing import Any

from . import _palette as palette
from ._escape import dot_escape
from ._graph import report_graph
from ._ir import Cluster, Graph
from ._options import GraphOptions

__all__ = ["DotNotFoundError", "DotTimeoutError", "dot_escape", "graph_title", "graph_to_dot",
           "label_svg", "legend_lines", "to_dot", "to_svg"]

BATCH_COLOR = palette.BATCH
#: The border of a node that draws the same random numbers in every lane (a pitfall).
WARNING_COLOR = palette.PITFALL
#: Besides their colour, batched nodes have a double border and batched edges are thick,
#: with a double arrowhead; their types are written in a darker orange (readable text).
BATCH_NODE = f'color="{BATCH_COLOR}", penwidth=2, peripheries=2'
BATCH_EDGE = (f'color="{BATCH_COLOR}", fontcolor="{palette.BATCH_TEXT}", penwidth=2, '
              "arrowhead=normalnormal")
#: ``newrank`` lines ranks up across clusters (the two views side by side); past this many
#: nodes it slows Graphviz down by 20x and more (650 nodes: 46 s with it, 2.3 s without).
NEWRANK_MAX_NODES = 300

_NODE_STYLE = {
    "input": f'shape=box, style="rounded,filled", fillcolor="{palette.NODE_FILL["input"]}"',
    "output": f'shape=box, style="rounded,filled", fillcolor="{palette.NODE_FILL["output"]}"',
    "eqn": f'shape=box, style="filled", fillcolor="{palette.NODE_FILL["eqn"]}"',
    "collapsed": f'shape=box3d, style="filled", fillcolor="{palette.NODE_FILL["collapsed"]}"',
}


class DotTimeoutError(RuntimeError):
    """Graphviz ``dot`` did not finish laying a graph out in time."""


class DotNotFoundError(RuntimeError):
    """The Graphviz ``dot`` binary is missing; ``dot_source`` still holds the graph."""

    def __init__(self, dot_source: str):
        super().__init__(
            "to_svg needs the Graphviz `dot` executable, but it was not found on PATH. "
            "Install it with `apt-get install graphviz` (Debian/Ubuntu), "
            "`conda install graphviz` or `brew install graphviz`; the DOT source is in "
            "this error's `dot_source` attribute (paste it into any Graphviz viewer)."
        )
        self.dot_source = dot_source


def _node_lines(graph: Graph, ids: tuple[str, ...], indent: str) -> list[str]:
    nodes = {n.id: n for n in graph.nodes}
    lines = []
    for nid in ids:
        n = nodes[nid]
        extra = f", {BATCH_NODE}" if n.batched else ""
        if n.warning is not None:  # a random pitfall: red thick border, ⚠, words as tooltip
            extra = (f', color="{WARNING_COLOR}", penwidth=3, '
                     f'tooltip="{dot_escape(n.warning)}"')
            extra += ", peripheries=2" if n.batched else ""
        lines.append(f'{indent}{nid} [label="{dot_escape(n.label)}", '
                     f"{_NODE_STYLE.get(n.kind, '')}{extra}];")
    return lines


def _cluster_lines(graph: Graph, c: Cluster, depth: int) -> list[str]:
    pad = "  " * depth
    lines = [f"{pad}subgraph cluster_{c.id} {{",
             f'{pad}  label="{dot_escape(c.label)}"; style="rounded"; color="{palette.CLUSTER}";']
    lines += _node_lines(graph, c.nodes, pad + "  ")
    for sub in c.clusters:
        lines += _cluster_lines(graph, sub, depth + 1)
    lines.append(f"{pad}}}")
    return lines


def graph_to_dot(graph: Graph, name: str = "vmapviz", legend: bool = True) -> str:
    """Lower a :class:`~vmapviz.render._ir.Graph` to DOT text; ``legend=False`` leaves the
    legend out (the widgets show :func:`legend_lines` as HTML beside the picture)."""
    newrank = ", newrank=true" if len(graph.nodes) <= NEWRANK_MAX_NODES else ""
    title = dot_escape(graph_title(graph))  # Graphviz writes it as a comment atop the SVG
    lines = [
        f"digraph {name} {{",
        f'  graph [rankdir=TB, fontname="Helvetica", fontsize=11{newrank}, comment="{title}"];',
        '  node [fontname="Helvetica", fontsize=10];',
        f'  edge [fontname="Helvetica", fontsize=9, color="{palette.EDGE}"];',
    ]
    placed: set[str] = set()

    def mark(c: Cluster) -> None:
        placed.update(c.nodes)
        for sub in c.clusters:
            mark(sub)

    for c in graph.clusters:
        mark(c)
        lines += _cluster_lines(graph, c, 1)
    lines += _node_lines(graph, tuple(n.id for n in graph.nodes if n.id not in placed), "  ")
    for e in graph.edges:
        attrs = [f'label="{dot_escape(e.label)}"']
        if e.batched:
            attrs.append(BATCH_EDGE)
        if e.style != "solid":
            attrs.append(f"style={e.style}")
        lines.append(f"  {e.src} -> {e.dst} [{', '.join(attrs)}];")
    if legend:
        text = "".join(dot_escape(line) + "\\l" for line in legend_lines(graph))
        lines.append(f'  label="{text}"; labeljust=l;')
    lines.append("}")
    return "\n".join(lines) + "\n"


def graph_title(graph: Graph) -> str:
    """What the picture is, for screen readers: the views drawn, and how batched values are
    marked (the DOT graph's ``comment``, the SVG root's ``aria-label``: :func:`label_svg`).

    >>> from vmapviz.render._ir import Cluster, Graph
    >>> graph_title(Graph((), (), (Cluster("etop", "per-element jaxpr of f (one lane)", ()),), ()))
    'Jaxpr graph: per-element jaxpr of f (one lane). Values that carry the batch axis are orange, with a double border or a thick edge with a double arrowhead.'
    """
    views = "; ".join(c.label for c in graph.clusters)
    return (f"Jaxpr graph{': ' + views if views else ''}. Values that carry the batch axis "
            "are orange, with a double border or a thick edge with a double arrowhead.")


def legend_lines(graph: Graph) -> list[str]:
    """What the colours mean and what else marks the same, then the graph's notes (what
    was folded or collapsed)."""
    key = ("orange: carries the batch axis (per-element jaxpr: varies by lane; "
           "batched jaxpr: inputs and outputs mapped on an axis)")
    shape = ("double border (nodes), thick line with a double arrowhead (edges): the same "
             "as orange, drawn without colour")
    if any(n.warning is not None for n in graph.nodes):
        warn = ("red, marked \u26a0, with a thick border: a random draw that is the same in "
                "every lane but reaches an output that varies by lane (hover for details)")
        return [key, shape, warn, *graph.notes]
    return [key, shape, *graph.notes]


def to_dot(report: Any, which: str = "both", max_cluster_eqns: int = 50,
           fold_library: bool = True, *, expand: bool | Iterable[str] = (),
           collapse: Iterable[str] = (), fold_repeats: bool = True,
           group_states: bool = False) -> str:
    """DOT text of a report's jaxprs: ``'elementwise'``, ``'batched'`` or ``'both'``.

    Args:
      report: a :class:`~vmapviz.inspection.Report` (``mapping.inspect(*args)``).
      which: which jaxpr to draw; ``'both'`` puts them side by side.
      max_cluster_eqns: sub-jaxprs with more equations collapse into one node.
      fold_library: draw a ``jax.random`` call as one node (``normal(key)``) and a chain
        of key splitting as one node (``split key``); False draws their insides.
      expand: equations to draw open although they would be folded, by path
        (``'3'``, ``'3/0/5'``: index in the jaxpr, sub-jaxpr, index inside) or by
        primitive or shown name (``'scan'``, ``'normal(key)'``); ``True``: everything.
        A path names the folded block that starts there too (all repetitions drawn).
      collapse: sub-jaxprs to draw as one node although they are small (same names).
      fold_repeats: draw a block repeated back to back once (``x300``).
      group_states: cluster the nodes of each State path (``layers.3.*``).

    >>> import jax, jax.numpy as jnp
    >>> from vmapviz.transform import vmap2
    >>> report = vmap2(lambda x: jax.lax.cond(x > 0, jnp.sin, jnp.cos, x)).inspect(jnp.ones(2))
    >>> 'cluster_' in to_dot(report), 'hidden' in to_dot(report, collapse=['cond'])
    (True, True)
    """
    options = GraphOptions.of(max_cluster_eqns=max_cluster_eqns, fold_library=fold_library,
                              expand=expand, collapse=collapse, fold_repeats=fold_repeats,
                              group_states=group_states)
    return graph_to_dot(report_graph(report, which, options=options))



_NODE_LINE = re.compile(r"^\s*\w+ \[label=", flags=re.MULTILINE)


def node_count(dot_source: str) -> int:
    """How many nodes DOT text made by :func:`graph_to_dot` declares (edges not counted).

    >>> node_count('  e1 [label="x", shape=box];')
    1
    >>> node_count('  e1 -> e2 [label="f32[]"];')
    0
    """
    return len(_NODE_LINE.findall(dot_source))


#: Graphviz writes a graph's ``comment`` (XML-escaped) as a comment above the ``<svg>``.
_GRAPH_TITLE = re.compile(r"<!-- (Jaxpr graph[^\n]*?) -->\n(?=(?:<!--[^\n]*-->\n)*<svg\b)")
_SVG_ROOT = re.compile(r"<svg\b")


def label_svg(svg: str) -> str:
    """Graphviz SVG of a :func:`graph_to_dot` graph whose root is an image named by the
    graph's title (``role="img"``, ``aria-label``; :func:`graph_title`, escaped by Graphviz);
    other SVG is returned unchanged.

    >>> label_svg('<!-- Jaxpr graph: f&lt;x&gt; -->\\n<!-- Title: g Pages: 1 -->\\n<svg width="8pt">')
    '<!-- Jaxpr graph: f&lt;x&gt; -->\\n<!-- Title: g Pages: 1 -->\\n<svg role="img" aria-label="Jaxpr graph: f&lt;x&gt;" width="8pt">'
    """
    found = _GRAPH_TITLE.search(svg)
    if found is None:
        return svg
    return _SVG_ROOT.sub(f'<svg role="img" aria-label="{found.group(1)}"', svg, count=1)


def to_svg(dot_source: str, timeout: float = 120.0) -> str:
    """Run ``dot -Tsvg`` on DOT text; :class:`DotNotFoundError` when ``dot`` is missing.
    The root of a :func:`graph_to_dot` graph is named for screen readers by its title
    (:func:`label_svg`).

    >>> to_svg('digraph { a -> b }').lstrip().startswith('<?xml')
    True
    """
    exe = shutil.which("dot")
    if exe is None:
        raise DotNotFoundError(dot_source)
    try:
        run = subprocess.run([exe, "-Tsvg"], input=dot_source.encode("utf-8"),
                             capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        nodes = node_count(dot_source)
        raise DotTimeoutError(
            f"Graphviz `dot` did not lay out this graph ({nodes} nodes) within {timeout:g} s. "
            "Fold more of it (fold repeated blocks, collapse a sub-jaxpr), or lay the DOT "
            "text out elsewhere.") from None
    if run.returncode != 0:
        raise RuntimeError(f"dot -Tsvg failed: {run.stderr.decode('utf-8', 'replace')}")
    return label_svg(run.stdout.decode("utf-8"))
