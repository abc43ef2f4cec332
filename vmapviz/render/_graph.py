"""Jaxpr -> :class:`~vmapviz.render._ir.Graph`: equations as nodes, values as edges.

Inputs and outputs are named after the argument leaves and States they carry;
values that vary by lane are marked ``batched`` as the report's
:class:`~vmapviz.records.JaxprFlags` record says (nothing is re-analysed here);
sub-jaxprs become clusters, and a cluster of more than ``max_cluster_eqns``
equations collapses into one node. With ``details=True`` every equation node also
carries a :class:`~vmapviz.render._ir.NodeInfo` (its jaxpr line, types, parameters)
for the widgets, from the same single walk.

>>> import jax
>>> from vmapviz.records import EqnFlags, JaxprFlags
>>> cj = jax.make_jaxpr(lambda x: x * 2.0 + 1.0)(1.0)
>>> flags = JaxprFlags((True,), (EqnFlags((True,)), EqnFlags((True,))), (True,))
>>> g = graph_of_jaxpr(cj, ['x'], ['y'], flags)
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

from .._jax_private import CALL_NAME_PARAM, call_name, is_key, random_call_name, sub_jaxprs
from ..inspection import words
from ..inspection._groups import state_pattern
from ..records import EqnFlags, JaxprFlags
from ._fold import repeated_runs
from ._ir import Cluster, Edge, Graph, Node, NodeInfo
from ._options import GraphOptions
from ._state_groups import group_by_state

__all__ = ["graph_of_jaxpr", "io_labels", "report_graph"]

#: Parameter values longer than this are cut in node details (sub-jaxprs can be long).
MAX_PARAM_CHARS = 2000
_ADDRESS = re.compile(r"\s+at 0x[0-9a-fA-F]+|0x[0-9a-fA-F]+")
# Jaxprs print in colour when ``jax_pprint_use_color`` is on (as in notebooks).
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_NO_FLAGS = JaxprFlags((), (), ())
#: Jaxprs (or sub-jaxprs) with fewer equations are drawn whole; longer ones fold blocks
#: repeated back to back into one cluster drawn once.
FOLD_MIN_EQNS = 60
#: Put before the label of a node that draws (or hides) a random pitfall's draw.
WARNING_MARK = "\u26a0"


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


def _clean(text: str) -> str:
    """Parameter or equation text: no colour codes, no memory addresses, cut if long."""
    text = _ADDRESS.sub("", _ANSI.sub("", text))
    return text if len(text) <= MAX_PARAM_CHARS else text[: MAX_PARAM_CHARS - 3] + "..."


def eqn_header(eqn: Any) -> str:
    """``primitive`` or ``primitive name`` (for calls that carry a function name)."""
    name = call_name(eqn)
    prim = eqn.primitive.name
    return f"{prim} {name}" if name is not None else prim


def eqn_params(eqn: Any, limit: int = 3) -> list[str]:
    """At most ``limit`` short ``key=value`` parameters (simple values only)."""
    shown = [f"{k}={_clip(str(v))}" for k, v in sorted(eqn.params.items())
             if k != CALL_NAME_PARAM and _simple(v)]
    return shown[:limit] + (["..."] if len(shown) > limit else [])


def _value_text(v: Any) -> str:
    if isinstance(v, jex.core.Literal):
        return _literal(v)
    aval = getattr(v, "aval", None)
    return "?" if aval is None else _short(aval)


def _names(eqn: Any) -> tuple[str, ...]:
    """What ``expand`` / ``collapse`` may call an equation besides its path."""
    return (eqn.primitive.name, eqn_header(eqn))


def _node_info(eqn: Any, batching: str | None = None) -> NodeInfo:
    return NodeInfo(
        primitive=eqn.primitive.name, equation=_clean(str(eqn)),
        inputs=tuple(_value_text(v) for v in eqn.invars),
        outputs=tuple(_value_text(v) for v in eqn.outvars),
        params=tuple((k, _clean(str(v))) for k, v in sorted(eqn.params.items())),
        batching=batching)


def _eqn_flags(flags: JaxprFlags, i: int, n_out: int) -> EqnFlags:
    """Flags of equation ``i`` (all False when the equations were not analysed)."""
    return flags.eqns[i] if i < len(flags.eqns) else EqnFlags((False,) * n_out)


def _sub_flags(eflags: EqnFlags, j: int) -> JaxprFlags:
    return eflags.subs[j] if j < len(eflags.subs) else _NO_FLAGS


class _LiteralText:
    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


def _same_arity(eqn: Any, sub: Any) -> bool:
    return len(sub.invars) == len(eqn.invars) and len(sub.outvars) == len(eqn.outvars)


class _Builder:
    def __init__(self, options: GraphOptions, details: bool = False):
        self.opts = options
        self.max = options.max_cluster_eqns
        self.details = details
        self.fold_library = options.fold_library
        self.plumbing: set[str] = set()  # nodes standing for a chain of key-only equations
        self.open_keys: set = set()  # key values of a chain drawn open on request
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.notes: list[str] = []
        self.count = 0
        self.n_clusters = 0
        self._sizes: dict[int, int] = {}
        self.folded: set = set()  # Vars read only by repetitions that are not drawn
        self.warnings: dict[str, str] = {}  # path of a random pitfall's draw -> its words
        self.batching: dict[int, tuple] = {}  # id(top-level eqn) -> (eqn, batching words)

    def node(self, prefix: str, label: str, kind: str, batched: bool = False,
             info: NodeInfo | None = None, toggle: tuple[str, str] | None = None,
             warning: str | None = None) -> str:
        self.count += 1
        nid = f"{prefix}{self.count}"
        if warning is not None:
            label = f"{WARNING_MARK} {label}"
        self.nodes.append(Node(nid, label, kind, batched, info, toggle, warning))
        return nid

    def warning(self, path: str, primitive: str = "", hides: bool = False) -> str | None:
        """The pitfall words for the node drawn at ``path``: the draw there, a
        ``random_bits`` inside a random call drawn open, or (``hides``: a collapsed
        node) the draws it hides."""
        if not self.warnings:
            return None
        found = [text for p, text in self.warnings.items()
                 if p == path or (hides and p.startswith(path + "/"))
                 or (primitive == "random_bits" and path.startswith(p + "/"))]
        return "\n".join(found) if found else None

    def cluster_id(self, prefix: str) -> str:
        self.n_clusters += 1
        return f"{prefix}c{self.n_clusters}"

    def size(self, jaxpr: Any) -> int:
        """Equations in ``jaxpr``, sub-jaxprs included."""
        key = id(jaxpr)
        if key not in self._sizes:
            self._sizes[key] = sum(
                1 + sum(self.size(s) for _, s in sub_jaxprs(e.params)) for e in jaxpr.eqns)
        return self._sizes[key]

    def consume(self, eqn: Any, nid: str, src: dict, env: dict) -> list[str]:
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
                    self.edges.append(Edge(where, nid, _short(v.aval), env.get(v, False)))
        return texts if any_lit else []

    def body(self, jaxpr: Any, flags: JaxprFlags, prefix: str, src: dict,
             env: dict, where: str = "") -> tuple[list, list]:
        """Draw ``jaxpr``'s equations; ``src`` maps each bound Var to its producer and
        ``env`` each Var to its batched flag (inputs given, equations added here). In a
        long jaxpr a block repeated back to back is drawn once, in a cluster ``x reps``.
        ``where`` is the path of this jaxpr (``''`` at the top, ``'3/0/'`` inside)."""
        members: list[str] = []
        clusters: list[Cluster] = []
        runs = {start: (p, reps) for start, p, reps in self._runs(jaxpr, where)}
        fold: tuple[int, int, int, list, list] | None = None  # start, period, reps, drawn
        for i, eqn in enumerate(jaxpr.eqns):
            eflags = _eqn_flags(flags, i, len(eqn.outvars))
            env.update(zip(eqn.outvars, eflags.outs))
            if i in runs:
                fold = (i, *runs[i], [], [])
            path = f"{where}{i}"
            if fold is None:
                self._draw(eqn, eflags, prefix, src, env, members, clusters, path)
                continue
            start, period, reps, f_members, f_clusters = fold
            if i < start + period:  # the block drawn for all its repetitions
                self._draw(eqn, eflags, prefix, src, env, f_members, f_clusters, path)
                if i == start + period - 1:
                    clusters.append(self._fold_cluster(fold, prefix, f"{where}{start}"))
            else:  # a later repetition: its values come from the drawn block's nodes
                twin = jaxpr.eqns[start + (i - start) % period]
                for v, t in zip(eqn.outvars, twin.outvars):
                    if t in src:
                        src[v] = src[t]
                self.folded.update(v for v in eqn.invars if not isinstance(v, jex.core.Literal))
            if i == start + period * reps - 1:
                fold = None
        return members, clusters

    def _draw(self, eqn, eflags: EqnFlags, prefix, src, env, members, clusters,
              path: str) -> None:
        """Draw one equation: a node, a collapsed node, or its sub-jaxprs as clusters."""
        names = _names(eqn)
        if self.fold_library:
            if self._library(eqn, eflags, prefix, src, env, members, path, names):
                return
            if random_call_name(eqn) is not None:  # a random call asked open: all its insides
                self.fold_library = False
                try:
                    self._draw(eqn, eflags, prefix, src, env, members, clusters, path)
                finally:
                    self.fold_library = True
                return
        subs = sub_jaxprs(eqn.params)
        hidden = sum(self.size(s) for _, s in subs)
        asked = self.opts.closes(path, names)
        if subs and (asked or (hidden > self.max and not self.opts.opens(path, names))):
            nid = self._collapsed(eqn, prefix, hidden, src, env, eflags, path, asked)
            members.append(nid)
        elif len(subs) == 1 and _same_arity(eqn, subs[0][1]):
            clusters.append(self._inline(eqn, subs[0][1], _sub_flags(eflags, 0), prefix, src,
                                         path))
            return
        else:
            nid = self._eqn(eqn, prefix, src, env, eflags, path)
            if subs:
                inner = [self._sub_cluster(name, s, _sub_flags(eflags, j), nid, prefix,
                                           f"{path}/{j}/")
                         for j, (name, s) in enumerate(subs)]
                clusters.append(Cluster(self.cluster_id(prefix), eqn_header(eqn), (nid,),
                                        tuple(inner), ("collapse", path)))
            else:
                members.append(nid)
        for v in eqn.outvars:
            src[v] = nid

    def _library(self, eqn, eflags: EqnFlags, prefix, src, env, members, path,
                 names) -> bool:
        """Random-number plumbing as one node named for what it does: a call of a
        ``jax.random`` function (``normal(key)``), or a chain of equations on keys only
        (``split key``). False when ``eqn`` is neither, or when it continues a chain
        drawn open."""
        ins = [v for v in eqn.invars if not isinstance(v, jex.core.Literal)]
        name = random_call_name(eqn)
        if name is not None:
            label = f"{name}(key)"
            if self.opts.opens(path, (*names, label, name)):
                return False
            nid = self.node(prefix, label, "collapsed", any(eflags.outs), self._info(eqn),
                            ("expand", path), self.warning(path))
            self.consume(eqn, nid, src, env)
        elif ins and all(is_key(v.aval) for v in (*ins, *eqn.outvars)):
            if any(v in self.open_keys for v in ins) or self.opts.opens(
                    path, (*names, "split key")):
                self.open_keys.update(eqn.outvars)
                return False
            owners = {src.get(v) for v in ins}
            nid = owners.pop() if len(owners) == 1 else None
            if nid not in self.plumbing:
                nid = self.node(prefix, "split key", "collapsed", any(eflags.outs),
                                self._info(eqn), ("expand", path))
                self.plumbing.add(nid)
                self.consume(eqn, nid, src, env)
            else:
                for v in eqn.outvars:
                    src[v] = nid
                return True
        else:
            return False
        members.append(nid)
        for v in eqn.outvars:
            src[v] = nid
        return True

    def _runs(self, jaxpr: Any, where: str) -> list[tuple[int, int, int]]:
        """Repeated blocks worth folding (long jaxprs only, and not asked open)."""
        if len(jaxpr.eqns) < FOLD_MIN_EQNS or not self.opts.fold_repeats:
            return []
        runs = repeated_runs([self._signature(e) for e in jaxpr.eqns])
        return [r for r in runs if f"{where}{r[0]}" not in self.opts.expand]

    def _signature(self, eqn: Any) -> tuple:
        """What an equation's node shows, plus the sizes of its sub-jaxprs."""
        return (eqn_header(eqn), tuple(eqn_params(eqn)),
                tuple(_value_text(v) for v in eqn.invars),
                tuple(_value_text(v) for v in eqn.outvars),
                tuple(self.size(s) for _, s in sub_jaxprs(eqn.params)))

    def _fold_cluster(self, fold, prefix, path: str) -> Cluster:
        start, period, reps, f_members, f_clusters = fold
        label = f"x{reps}: this block of {period} equations, {reps} times in a row"
        self.notes.append(f"equations {start + 1}-{start + period * reps}: one block of "
                          f"{period} equations repeated {reps} times; drawn once (x{reps}).")
        return Cluster(self.cluster_id(prefix), label, tuple(f_members), tuple(f_clusters),
                       ("unfold", path))

    def _info(self, eqn: Any) -> NodeInfo | None:
        if not self.details:
            return None
        found = self.batching.get(id(eqn))  # (the equation, what batching did to it)
        return _node_info(eqn, found[1] if found and found[0] is eqn else None)

    def _eqn(self, eqn: Any, prefix: str, src: dict, env: dict, eflags: EqnFlags,
             path: str = "") -> str:
        batched = any(eflags.outs)
        nid = self.node(prefix, "", "eqn", batched)
        args = self.consume(eqn, nid, src, env)
        lines = [eqn_header(eqn), *eqn_params(eqn)]
        if args:
            lines.append("(" + ", ".join(args) + ")")
        warning = self.warning(path, eqn.primitive.name)
        if warning is not None:
            lines[0] = f"{WARNING_MARK} {lines[0]}"
        self.nodes[-1] = Node(nid, "\n".join(lines), "eqn", batched, self._info(eqn),
                              warning=warning)
        return nid

    def _collapsed(self, eqn, prefix, hidden, src, env, eflags: EqnFlags, path: str,
                   asked: bool) -> str:
        label = f"{eqn_header(eqn)}\n[{hidden} equations hidden]"
        nid = self.node(prefix, label, "collapsed", any(eflags.outs), self._info(eqn),
                        ("expand", path), self.warning(path, hides=True))
        self.consume(eqn, nid, src, env)
        why = "on request" if asked else f"(more than max_cluster_eqns={self.max})"
        self.notes.append(f"{eqn_header(eqn)}: {hidden} equations collapsed into one node "
                          f"{why}.")
        return nid

    def _inline(self, eqn, sub, flags: JaxprFlags, prefix, src, path: str) -> Cluster:
        inner_src: dict = {}
        for iv, ov in zip(sub.invars, eqn.invars):
            inner_src[iv] = (_LiteralText(_literal(ov)) if isinstance(ov, jex.core.Literal)
                             else src.get(ov))
        env = dict(zip(sub.invars, flags.invars))
        members, clusters = self.body(sub, flags, prefix, inner_src, env, f"{path}/0/")
        for ov, iv in zip(eqn.outvars, sub.outvars):
            src[ov] = (_LiteralText(_literal(iv)) if isinstance(iv, jex.core.Literal)
                       else inner_src.get(iv))
        label = " ".join([eqn_header(eqn), *eqn_params(eqn)])
        return Cluster(self.cluster_id(prefix), label, tuple(members), tuple(clusters),
                       ("collapse", path))

    def _sub_cluster(self, name, sub, flags: JaxprFlags, owner, prefix, where) -> Cluster:
        env = dict(zip(sub.invars, flags.invars))
        src: dict = {}
        inputs = []
        for i, v in enumerate(sub.invars):
            b = env.get(v, False)
            nid = self.node(prefix, f"{name} in {i}\n{_short(v.aval)}", "input", b)
            self.edges.append(Edge(owner, nid, _short(v.aval), b, "dashed"))
            src[v] = nid
            inputs.append(nid)
        members, clusters = self.body(sub, flags, prefix, src, env, where)
        outputs = self.outputs(sub, prefix, [f"{name} out {i}" for i in range(len(sub.outvars))],
                               src, env)
        return Cluster(self.cluster_id(prefix), name, tuple(inputs + members + outputs),
                       tuple(clusters))

    def outputs(self, jaxpr, prefix, labels, src, env) -> list[str]:
        ids = []
        for label, v in zip(labels, jaxpr.outvars):
            if isinstance(v, jex.core.Literal):
                ids.append(self.node(prefix, f"{label}\n= {_literal(v)}", "output"))
                continue
            b = env.get(v, False)
            where = src.get(v)
            if isinstance(where, _LiteralText):
                ids.append(self.node(prefix, f"{label}\n= {where.text}", "output"))
                continue
            nid = self.node(prefix, f"{label}\n{_short(v.aval)}", "output", b)
            if where is not None:
                self.edges.append(Edge(where, nid, _short(v.aval), b))
            ids.append(nid)
        return ids


def graph_of_jaxpr(
    closed_jaxpr: Any,
    in_labels: Sequence[str],
    out_labels: Sequence[str],
    flags: JaxprFlags,
    *,
    max_cluster_eqns: int = 50,
    prefix: str = "n",
    title: str = "jaxpr",
    details: bool = False,
    fold_library: bool = True,
    options: GraphOptions | None = None,
) -> Graph:
    """The graph of one jaxpr, in one top-level cluster titled ``title``; ``flags`` says
    which values carry the batch axis (``report.flags[...]``). ``options`` (a
    :class:`~vmapviz.render._options.GraphOptions`) replaces the two folding arguments."""
    if options is None:
        options = GraphOptions.of(max_cluster_eqns=max_cluster_eqns, fold_library=fold_library)
    b = _Builder(options, details)
    return _view(b, closed_jaxpr, in_labels, out_labels, flags, prefix, title)


def _view(b: _Builder, closed_jaxpr, in_labels, out_labels, flags: JaxprFlags, prefix,
          title) -> Graph:
    """One jaxpr in a top-level cluster."""
    jaxpr = closed_jaxpr.jaxpr
    env = dict(zip(jaxpr.invars, flags.invars))
    src: dict = {}
    inputs = []
    for i, v in enumerate(jaxpr.constvars):
        src[v] = b.node(prefix, f"const {i}\n{_short(v.aval)}", "input")
        inputs.append(src[v])
    labels = {}
    for label, v in zip(in_labels, jaxpr.invars):
        src[v] = b.node(prefix, f"{label}\n{_short(v.aval)}", "input", env.get(v, False))
        inputs.append(src[v])
        labels[src[v]] = (label, v)
    members, clusters = b.body(jaxpr, flags, prefix, src, env)
    inputs = _fold_inputs(b, inputs, labels, prefix)
    env = dict(zip(jaxpr.outvars, flags.outvars))
    outputs = b.outputs(jaxpr, prefix, out_labels, src, env)
    order = inputs + members + outputs
    if b.opts.group_states:
        names = {nid: label for nid, (label, _) in labels.items()}
        names.update(zip(outputs, out_labels))
        order, groups = group_by_state(order, names, b.edges, lambda: b.cluster_id(prefix))
        clusters = groups + clusters
    top = Cluster(f"{prefix}top", title, tuple(order), tuple(clusters))
    return Graph(tuple(b.nodes), tuple(b.edges), (top,), tuple(b.notes))


def _fold_inputs(b: _Builder, inputs: list[str], labels: dict, prefix: str) -> list[str]:
    """Inputs read only by repetitions that are not drawn (layer 7's weights when one layer
    is drawn x300) become one node naming them all."""
    used = {e.src for e in b.edges}
    unread = [nid for nid in inputs if nid in labels and nid not in used
              and labels[nid][1] in b.folded]
    if len(unread) < 2:
        return inputs
    gone = set(unread)
    batched = any(n.batched for n in b.nodes if n.id in gone)
    b.nodes = [n for n in b.nodes if n.id not in gone]
    names = [labels[nid][0] for nid in unread]
    same_depth = len({len(name.split(".")) for name in names}) == 1
    pattern = state_pattern(names) if same_depth else f"{names[0]}, ..."
    summary = b.node(prefix, f"{len(unread)} more inputs\n{pattern}\n(read by the repeated "
                     "blocks)", "input", batched)
    return [nid for nid in inputs if nid not in gone] + [summary]


# ----------------------------------------------------------------- reports


def io_labels(report: Any, which: str) -> tuple[list[str], list[str]]:
    """Names of the per-element or batched jaxpr's input and output leaves, in order."""
    ins, outs = report.io_labels[which]
    return list(ins), list(outs)


_VIEWS = {
    "elementwise": ("elementwise_jaxpr", "e", "per-element jaxpr of {mapping} (one lane)"),
    "batched": ("batched_jaxpr", "b", "batched jaxpr of {mapping} ({size} lanes)"),
}


#: Batching kinds not worth a line in node details (nothing but bigger arrays, or unknown).
_QUIET_BATCHING = ("unchanged", "not_analysed")


def _batching_marks(report: Any) -> dict[int, tuple]:
    """``id(eqn) -> (eqn, words)`` for each top-level per-element equation batching
    changed (``report.batching``), for its node details."""
    eqns = report.elementwise_jaxpr.jaxpr.eqns
    return {id(eqns[int(c.path)]): (eqns[int(c.path)], words.batching_text(c))
            for c in getattr(report, "batching", ()) if c.kind not in _QUIET_BATCHING}


def _pitfall_marks(report: Any) -> dict[str, str]:
    """Path of each random pitfall's draw in the per-element jaxpr -> its words."""
    return {p.path: words.pitfall_text(p) for p in getattr(report, "pitfalls", ())}


def report_graph(report: Any, which: str = "both", max_cluster_eqns: int = 50,
                 details: bool = False, fold_library: bool = True,
                 options: GraphOptions | None = None) -> Graph:
    """The graph of a report's per-element and/or batched jaxpr, side by side.

    ``fold_library=False`` draws the insides of ``jax.random`` functions and key
    splitting instead of one node each. ``options`` (a
    :class:`~vmapviz.render._options.GraphOptions`: what to expand, collapse or group)
    replaces ``max_cluster_eqns`` and ``fold_library``.
    """
    if which not in ("both", "elementwise", "batched"):
        raise ValueError(f"which must be 'both', 'elementwise' or 'batched', got {which!r}.")
    if options is None:
        options = GraphOptions.of(max_cluster_eqns=max_cluster_eqns, fold_library=fold_library)
    b = _Builder(options, details)
    views = []
    for view in ("elementwise", "batched"):
        if which in ("both", view):
            attr, prefix, title = _VIEWS[view]
            ins, outs = io_labels(report, view)
            b.warnings = _pitfall_marks(report) if view == "elementwise" else {}
            b.batching = _batching_marks(report) if view == "elementwise" and details else {}
            views.append(_view(b, getattr(report, attr), ins, outs, report.flags[view], prefix,
                               title.format(mapping=report.mapping,
                                            size=report.axes.axis_size)))
    last = views[-1]
    return Graph(last.nodes, last.edges, tuple(v.clusters[0] for v in views), last.notes)
