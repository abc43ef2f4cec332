"""Jaxpr -> :class:`~vmapviz.render._ir.Graph`: equations as nodes, values as edges.

Inputs and outputs are named after the argument leaves and States they carry;
values that vary by lane are marked ``batched`` (batch-axis propagation);
sub-jaxprs (found with ``jax.extend.core.jaxprs_in_params``) become clusters, and
a cluster of more than ``max_cluster_eqns`` equations collapses into one node.

>>> import jax
>>> cj = jax.make_jaxpr(lambda x: x * 2.0 + 1.0)(1.0)
>>> g = graph_of_jaxpr(cj, ['x'], ['y'], [True])
>>> [n.label.splitlines()[0] for n in g.nodes]
['x', 'mul', 'add', 'y']
>>> [e.batched for e in g.edges]
[True, True, True]
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

import jax.extend as jex
import numpy as np

from ..transform._propagate import propagate
from ._ir import Cluster, Edge, Graph, Node

__all__ = ["graph_of_jaxpr", "io_labels", "report_graph"]


@functools.lru_cache(maxsize=4096)
def _short_cached(aval: Any) -> str:
    return aval.str_short(short_dtypes=True)


def _short(aval: Any) -> str:
    """``f32[4,3]``; cached, as large programs repeat a handful of types."""
    try:
        return _short_cached(aval)
    except TypeError:  # an unhashable abstract value
        return aval.str_short(short_dtypes=True)


def _literal(lit: Any) -> str:
    val = np.asarray(lit.val)
    if val.size != 1:
        return _short(lit.aval)
    x = val.reshape(()).item()
    if not isinstance(x, float):
        return str(x)
    text = format(x, ".6g")
    return text if any(c in text for c in ".en") else text + ".0"


def _simple(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float, str, np.dtype)):
        return True
    return (isinstance(v, tuple) and 0 < len(v) <= 4
            and all(isinstance(x, int) and not isinstance(x, bool) for x in v))


def _clip(text: str, width: int = 28) -> str:
    return text if len(text) <= width else text[: width - 1] + "~"


def eqn_header(eqn: Any) -> str:
    """``primitive`` or ``primitive name`` (for calls with a ``name`` parameter)."""
    name = eqn.params.get("name")
    prim = eqn.primitive.name
    return f"{prim} {name}" if isinstance(name, str) else prim


def eqn_params(eqn: Any, limit: int = 3) -> list[str]:
    """At most ``limit`` short ``key=value`` parameters (simple values only)."""
    shown = [f"{k}={_clip(str(v))}" for k, v in sorted(eqn.params.items())
             if k != "name" and _simple(v)]
    return shown[:limit] + (["..."] if len(shown) > limit else [])


def sub_jaxprs(params: dict) -> list[tuple[str, Any]]:
    """``(parameter name, Jaxpr)`` of every sub-jaxpr in an equation's parameters."""
    out = []
    for key in sorted(params):
        subs = list(jex.core.jaxprs_in_params({key: params[key]}))
        out.extend((key if len(subs) == 1 else f"{key}[{i}]", s) for i, s in enumerate(subs))
    return out


def _sub_flags(eqn: Any, sub: Any, ins: list[bool], outs: list[bool]) -> list[bool]:
    """Which inputs of a sub-jaxpr vary by lane, given its equation's inputs and outputs."""
    p, n = eqn.params, len(sub.invars)
    if n == len(ins):
        flags = list(ins)
        if "num_carry" in p and "num_consts" in p:  # loop carry: batched if it ends batched
            c, k = p["num_consts"], p["num_carry"]
            flags[c : c + k] = [a or b for a, b in zip(flags[c : c + k], outs[:k])]
        return flags
    if n == len(ins) - 1:  # index or predicate first (cond)
        return list(ins[1:])
    if n >= len(outs) and n - len(outs) <= len(ins):  # consts then carry (while)
        return [any(ins)] * (n - len(outs)) + list(outs)
    return [any(ins)] * n


class _Builder:
    def __init__(self, max_cluster_eqns: int, axis_name: Any):
        self.max = max_cluster_eqns
        self.axis_name = axis_name
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.notes: list[str] = []
        self.count = 0
        self.n_clusters = 0
        self._sizes: dict[int, int] = {}

    def node(self, prefix: str, label: str, kind: str, batched: bool = False) -> str:
        self.count += 1
        nid = f"{prefix}{self.count}"
        self.nodes.append(Node(nid, label, kind, batched))
        return nid

    def cluster_id(self, prefix: str) -> str:
        self.n_clusters += 1
        return f"{prefix}c{self.n_clusters}"

    def size(self, jaxpr: Any) -> int:
        """Equations in ``jaxpr``, sub-jaxprs included."""
        key = id(jaxpr)
        if key not in self._sizes:
            self._sizes[key] = sum(
                1 + sum(self.size(s) for s in jex.core.jaxprs_in_params(e.params))
                for e in jaxpr.eqns)
        return self._sizes[key]

    def consume(self, eqn: Any, nid: str, src: dict, flags: dict) -> list[str]:
        """Edges into ``nid`` from each non-literal input; returns the argument texts."""
        texts, any_lit = [], False
        for v in eqn.invars:
            where = _LiteralText(_literal(v)) if isinstance(v, jex.core.Literal) else src.get(v)
            if isinstance(where, _LiteralText):
                texts.append(where.text)
                any_lit = True
            else:
                texts.append("_")
                if where is not None:
                    self.edges.append(Edge(where, nid, _short(v.aval), flags.get(v, False)))
        return texts if any_lit else []

    def body(self, jaxpr: Any, prefix: str, src: dict, flags: dict) -> tuple[list, list]:
        """Draw ``jaxpr``'s equations; ``src`` maps each bound Var to its producer."""
        members: list[str] = []
        clusters: list[Cluster] = []
        for eqn in jaxpr.eqns:
            subs = sub_jaxprs(eqn.params)
            ins = [False if isinstance(v, jex.core.Literal) else flags.get(v, False)
                   for v in eqn.invars]
            outs = [flags.get(v, False) for v in eqn.outvars]
            hidden = sum(self.size(s) for _, s in subs)
            if subs and hidden > self.max:
                nid = self._collapsed(eqn, prefix, hidden, src, flags)
                members.append(nid)
            elif len(subs) == 1 and _same_arity(eqn, subs[0][1]):
                clusters.append(self._inline(eqn, subs[0][1], prefix, src, flags, ins, outs))
                continue
            else:
                nid = self._eqn(eqn, prefix, src, flags, outs)
                if subs:
                    inner = [self._sub_cluster(eqn, name, s, nid, prefix, ins, outs)
                             for name, s in subs]
                    clusters.append(Cluster(self.cluster_id(prefix), eqn_header(eqn), (nid,),
                                            tuple(inner)))
                else:
                    members.append(nid)
            for v in eqn.outvars:
                src[v] = nid
        return members, clusters

    def _eqn(self, eqn: Any, prefix: str, src: dict, flags: dict, outs: list[bool]) -> str:
        nid = self.node(prefix, "", "eqn", any(outs))
        args = self.consume(eqn, nid, src, flags)
        lines = [eqn_header(eqn), *eqn_params(eqn)]
        if args:
            lines.append("(" + ", ".join(args) + ")")
        self.nodes[-1] = Node(nid, "\n".join(lines), "eqn", any(outs))
        return nid

    def _collapsed(self, eqn: Any, prefix: str, hidden: int, src: dict, flags: dict) -> str:
        outs = [flags.get(v, False) for v in eqn.outvars]
        label = f"{eqn_header(eqn)}\n[{hidden} equations hidden]"
        nid = self.node(prefix, label, "collapsed", any(outs))
        self.consume(eqn, nid, src, flags)
        self.notes.append(f"{eqn_header(eqn)}: {hidden} equations collapsed into one node "
                          f"(more than max_cluster_eqns={self.max}).")
        return nid

    def _inline(self, eqn, sub, prefix, src, flags, ins, outs) -> Cluster:
        inner_src: dict = {}
        for iv, ov in zip(sub.invars, eqn.invars):
            inner_src[iv] = (_LiteralText(_literal(ov)) if isinstance(ov, jex.core.Literal)
                             else src.get(ov))
        inner_flags = propagate(sub, _sub_flags(eqn, sub, ins, outs), self.axis_name)[0]
        members, clusters = self.body(sub, prefix, inner_src, inner_flags)
        for ov, iv in zip(eqn.outvars, sub.outvars):
            src[ov] = (_LiteralText(_literal(iv)) if isinstance(iv, jex.core.Literal)
                       else inner_src.get(iv))
        label = " ".join([eqn_header(eqn), *eqn_params(eqn)])
        return Cluster(self.cluster_id(prefix), label, tuple(members), tuple(clusters))

    def _sub_cluster(self, eqn, name, sub, owner, prefix, ins, outs) -> Cluster:
        flags = propagate(sub, _sub_flags(eqn, sub, ins, outs), self.axis_name)[0]
        src: dict = {}
        inputs = []
        for i, v in enumerate(sub.invars):
            b = flags.get(v, False)
            nid = self.node(prefix, f"{name} in {i}\n{_short(v.aval)}", "input", b)
            self.edges.append(Edge(owner, nid, _short(v.aval), b, "dashed"))
            src[v] = nid
            inputs.append(nid)
        members, clusters = self.body(sub, prefix, src, flags)
        outputs = self.outputs(sub, prefix, [f"{name} out {i}" for i in range(len(sub.outvars))],
                               src, flags)
        return Cluster(self.cluster_id(prefix), name, tuple(inputs + members + outputs),
                       tuple(clusters))

    def outputs(self, jaxpr, prefix, labels, src, flags) -> list[str]:
        ids = []
        for label, v in zip(labels, jaxpr.outvars):
            if isinstance(v, jex.core.Literal):
                ids.append(self.node(prefix, f"{label}\n= {_literal(v)}", "output"))
                continue
            b = flags.get(v, False)
            where = src.get(v)
            if isinstance(where, _LiteralText):
                ids.append(self.node(prefix, f"{label}\n= {where.text}", "output"))
                continue
            nid = self.node(prefix, f"{label}\n{_short(v.aval)}", "output", b)
            if where is not None:
                self.edges.append(Edge(where, nid, _short(v.aval), b))
            ids.append(nid)
        return ids


class _LiteralText:
    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


def _same_arity(eqn: Any, sub: Any) -> bool:
    return len(sub.invars) == len(eqn.invars) and len(sub.outvars) == len(eqn.outvars)


def graph_of_jaxpr(
    closed_jaxpr: Any,
    in_labels: Sequence[str],
    out_labels: Sequence[str],
    in_batched: Sequence[bool],
    *,
    axis_name: Any = None,
    max_cluster_eqns: int = 50,
    prefix: str = "n",
    title: str = "jaxpr",
) -> Graph:
    """The graph of one jaxpr, in one top-level cluster titled ``title``."""
    b = _Builder(max_cluster_eqns, axis_name)
    return _view(b, closed_jaxpr, in_labels, out_labels, in_batched, prefix, title)


def _view(b: _Builder, closed_jaxpr, in_labels, out_labels, in_batched, prefix, title,
          out_batched: Sequence[bool] | None = None) -> Graph:
    """One jaxpr in a top-level cluster. With ``out_batched`` given, only the inputs
    and outputs are marked (no propagation inside: used for the batched jaxpr)."""
    jaxpr = closed_jaxpr.jaxpr
    if out_batched is None:
        flags = propagate(jaxpr, list(in_batched), b.axis_name)[0]
    else:
        flags = dict(zip(jaxpr.invars, in_batched))
    src: dict = {}
    inputs = []
    for i, v in enumerate(jaxpr.constvars):
        src[v] = b.node(prefix, f"const {i}\n{_short(v.aval)}", "input")
        inputs.append(src[v])
    for label, v in zip(in_labels, jaxpr.invars):
        src[v] = b.node(prefix, f"{label}\n{_short(v.aval)}", "input", flags.get(v, False))
        inputs.append(src[v])
    members, clusters = b.body(jaxpr, prefix, src, flags)
    if out_batched is not None:
        flags = {v: bool(x) for v, x in zip(jaxpr.outvars, out_batched)}
    outputs = b.outputs(jaxpr, prefix, out_labels, src, flags)
    top = Cluster(f"{prefix}top", title, tuple(inputs + members + outputs), tuple(clusters))
    return Graph(tuple(b.nodes), tuple(b.edges), (top,), tuple(b.notes))


# ----------------------------------------------------------------- reports


def _leaf_labels(label: str, types: str) -> list[str]:
    n = len(types.split(", "))
    return [label] if n == 1 else [f"{label}[{i}]" for i in range(n)]


def io_labels(report: Any, which: str) -> tuple[list[str], list[str]]:
    """Names of the per-element or batched jaxpr's input and output leaves, in order."""
    ins, outs = report.io_labels[which]
    return list(ins), list(outs)


def _batched_view_flags(report: Any, n_in: int) -> list[bool]:
    """Inputs of the batched jaxpr that carry a batch axis (RandomState keys do not)."""
    random = {k.label for k in report.keys.entries} if report.keys is not None else set()
    flags = [e.axis_in is not None for e in report.axes.entries if e.kind == "argument"]
    entries = {e.label: e for e in report.axes.entries if e.kind == "state"}
    for s in report.discovery.states:
        if s.read:
            e = entries.get(s.label)
            batched = e is not None and e.axis_in is not None and s.label not in random
            flags.extend([batched] * len(_leaf_labels(s.label, e.lane_type if e else "?")))
    return (flags + [False] * n_in)[:n_in]


def _batched_out_flags(report: Any, out_labels: list[str]) -> list[bool]:
    """Outputs of the batched jaxpr that carry a batch axis."""
    random = {k.label for k in report.keys.entries} if report.keys is not None else set()
    mapped = {e.label: e.axis_out is not None and e.label not in random
              for e in report.axes.entries if e.kind in ("output", "state")}
    return [mapped.get(re.sub(r"\[\d+\]$", "", label), False) for label in out_labels]


def report_graph(report: Any, which: str = "both", max_cluster_eqns: int = 50) -> Graph:
    """The graph of a report's per-element and/or batched jaxpr, side by side."""
    if which not in ("both", "elementwise", "batched"):
        raise ValueError(f"which must be 'both', 'elementwise' or 'batched', got {which!r}.")
    b = _Builder(max_cluster_eqns, report.axis_name)
    views = []
    size = report.axes.axis_size
    if which in ("both", "elementwise"):
        cj = report.elementwise_jaxpr
        ins, outs = io_labels(report, "elementwise")
        views.append(_view(b, cj, ins, outs, report.elementwise_batched, "e",
                           f"per-element jaxpr of {report.mapping} (one lane)"))
    if which in ("both", "batched"):
        cj = report.batched_jaxpr
        ins, outs = io_labels(report, "batched")
        flags = _batched_view_flags(report, len(cj.jaxpr.invars))
        views.append(_view(b, cj, ins, outs, flags, "b",
                           f"batched jaxpr of {report.mapping} ({size} lanes)",
                           _batched_out_flags(report, outs)))
    last = views[-1]
    return Graph(last.nodes, last.edges, tuple(v.clusters[0] for v in views), last.notes)
