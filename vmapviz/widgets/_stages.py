"""The stage stepper's JSON: what each stage of a call decided, and where to point at it.

A mapped call runs in six stages (cache, discovery, axes, keys, execution, write-back),
each with a record on the :class:`~vmapviz.inspection.Report`. For each stage
:func:`stage_payload` gives the Inspector's stepper a one-line caption (worded by
:func:`vmapviz.inspection.words.stage_caption`) and what to highlight: the rows of the
States tab's tables (``labels``: their first column), the rows of the lane table
(``rows``: its Name column; alike States grouped as the tables group them) and the
graph nodes of each view (``nodes``: the ids of :func:`~vmapviz.widgets._payload.node_table`).

Which stage points at what:

- cache: the argument leaves (the signature is made of them) and any State a cache
  miss names; their graph input nodes.
- discovery: every State read or written; their input nodes (outputs for States only
  written; the node standing for inputs folded away with repeated blocks).
- axes: the arguments and States that enter the map varying by lane; the input nodes
  that carry the batch axis.
- keys: the RandomStates; the random nodes (``split key``, ``normal(key)``, random
  primitives) and the RandomStates' input and output nodes.
- execution: the outputs; every node that varies by lane.
- write-back: exactly the States written back; their output nodes.

>>> from vmapviz import examples
>>> stages = stage_payload(examples.inspect('1.5_counter'))
>>> [s['name'] for s in stages]
['cache', 'discovery', 'axes', 'keys', 'execution', 'write_back']
>>> stages[5]['caption'], stages[5]['labels'], stages[5]['nodes']
('write-back: count written back on axis 0, f32[4] -> f32[4]', ['count'], \
{'elementwise': ['e5'], 'batched': ['b5']})
>>> stages[3]['available']
False
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ..inspection import words
from ..inspection._groups import StateGroup
from ..records import Kind

__all__ = ["STAGES", "STAGE_TABS", "check_stage", "stage_nodes", "stage_payload"]

#: The stages, in the order they run (the records' ``stage`` names).
STAGES = words.STAGES
#: The Inspector tab a step to each stage opens.
STAGE_TABS = {"cache": "states", "discovery": "states", "axes": "axes", "keys": "axes",
              "execution": "graph", "write_back": "axes"}
_VIEWS = {"elementwise": ("elementwise_jaxpr", "e"), "batched": ("batched_jaxpr", "b")}
_LEAF = re.compile(r"^(.*)\[\d+\]$")


def _number(nid: str) -> int:
    return int(re.sub(r"^\D+", "", nid) or 0)


def _owner(label: str, known: set[str]) -> str:
    """The argument, State or output a jaxpr leaf belongs to (``W[1]`` -> ``W``)."""
    if label in known:
        return label
    m = _LEAF.match(label)
    return m.group(1) if m and m.group(1) in known else label


def io_nodes(report: Any, which: str, nodes: dict) -> tuple[dict, dict]:
    """``({owner: [input node ids]}, {owner: [output node ids]})`` of one graph view.

    ``nodes`` is the view's node table, numbered as :func:`~vmapviz.render.to_dot`
    numbers one view drawn alone: constants, then one input per jaxpr input leaf, in
    order; the outputs last. A node is taken only when its label names that leaf.
    """
    attr, prefix = _VIEWS[which]
    in_labels, out_labels = report.io_labels[which]
    known = {e.label for e in report.axes.entries} | {s.label for s in report.discovery.states}
    skip = len(getattr(report, attr).jaxpr.constvars)
    ins: dict[str, list[str]] = {}
    for i, label in enumerate(in_labels):
        nid = f"{prefix}{skip + i + 1}"
        n = nodes.get(nid)
        if n is not None and n["kind"] == "input" and n["label"].startswith(label + "\n"):
            ins.setdefault(_owner(label, known), []).append(nid)
    ordered = sorted(nodes, key=_number)
    outs: dict[str, list[str]] = {}
    tail = ordered[len(ordered) - len(out_labels):] if out_labels else []
    for label, nid in zip(out_labels, tail):
        n = nodes[nid]
        if n["kind"] == "output" and n["label"].startswith(label + "\n"):
            outs.setdefault(_owner(label, known), []).append(nid)
    return ins, outs


def _random_node(n: dict) -> bool:
    """A node drawing random numbers or splitting keys (folded or drawn open)."""
    head = n["label"].split("\n", 1)[0]
    prim = n.get("primitive") or ""
    folded = n["kind"] == "collapsed" and (head == "split key" or head.endswith("(key)"))
    return folded or prim.startswith("random_") or prim == "threefry2x32"


def _folded_inputs(nodes: dict) -> list[str]:
    """The node standing for inputs read only by repeated blocks drawn once (States of
    layers 2 to 300 when one layer is drawn x300)."""
    return [nid for nid, n in nodes.items()
            if n["kind"] == "input" and n["label"].endswith("\n(read by the repeated blocks)")]


def _pick(table: dict, owners: Iterable[str]) -> list[str]:
    return [nid for o in owners for nid in table.get(o, ())]


def _stage_owners(report: Any) -> dict[str, list[str]]:
    """The labels of the arguments, States and outputs each stage points at."""
    args = [e.label for e in report.axes.of(Kind.ARGUMENT)]
    states = [s.label for s in report.discovery.states]
    named = [d.name for d in report.cache.changes if d.name in states]
    entering = [e.label for e in report.axes.entries
                if e.kind is not Kind.OUTPUT and e.axis_in is not None]
    keys = [k.label for k in report.keys.entries] if report.keys is not None else []
    return {"cache": args + named, "discovery": states, "axes": entering, "keys": keys,
            "execution": [e.label for e in report.axes.of(Kind.OUTPUT)],
            "write_back": [w.label for w in report.write_back.entries]}


def stage_nodes(report: Any, which: str, nodes: dict) -> dict[str, list[str]]:
    """``stage name -> node ids`` to highlight in one graph view, in drawing order.

    ``nodes`` is that view's node table (:func:`~vmapviz.widgets._payload.node_table`),
    drawn with any graph options: the precomputed view or one drawn on request.
    """
    ins, outs = io_nodes(report, which, nodes)
    owners = _stage_owners(report)
    written_only = [s.label for s in report.discovery.states if s.label not in ins]
    randoms = [nid for nid, n in nodes.items() if _random_node(n)] if report.keys else []
    found = {
        "cache": _pick(ins, owners["cache"]),
        "discovery": (_pick(ins, owners["discovery"]) + _pick(outs, written_only)
                      + (_folded_inputs(nodes) if owners["discovery"] else [])),
        "axes": [nid for nid in _pick(ins, owners["axes"]) if nodes[nid]["batched"]],
        "keys": _pick(ins, owners["keys"]) + randoms + _pick(outs, owners["keys"]),
        "execution": [nid for nid, n in nodes.items() if n["batched"]],
        "write_back": _pick(outs, owners["write_back"]),
    }
    return {stage: sorted(set(ids), key=_number) for stage, ids in found.items()}


def _row_labels(report: Any, owners: list[str]) -> tuple[list[str], list[str]]:
    """The owners as the States tab's tables name them (first column; a group's pattern)
    and as the lane table does (Name column; a group's label)."""
    groups = {m.label: g for g in report.grouped if isinstance(g, StateGroup)
              for m in g.members}
    table = [groups[o].pattern if o in groups else o for o in owners]
    lanes = [groups[o].label if o in groups else o for o in owners]
    return list(dict.fromkeys(table)), list(dict.fromkeys(lanes))


def _node_tables(report: Any) -> dict[str, dict]:
    from ..render._graph import report_graph
    from ._payload import GRAPH_VIEWS, node_table

    return {w: node_table(report_graph(report, w, details=True)) for w in GRAPH_VIEWS}


def stage_payload(report: Any, graphs: dict[str, dict] | None = None) -> list[dict]:
    """One dict per stage, in order: ``name`` (the record's stage name), ``title``,
    ``available`` (False: the call has no such record: keys without a RandomState),
    ``caption``, ``tab`` (the Inspector tab a step opens), ``labels``, ``rows`` and
    ``nodes`` (``{'elementwise': [...], 'batched': [...]}``), see the module docstring.

    ``graphs``: each view's node table when already made (``view -> node_table``);
    by default the graphs are built here with the default options.
    """
    graphs = _node_tables(report) if graphs is None else graphs
    per_view = {w: stage_nodes(report, w, nodes) for w, nodes in graphs.items()}
    owners = _stage_owners(report)
    out = []
    for stage in STAGES:
        available = stage != "keys" or report.keys is not None
        labels, rows = _row_labels(report, owners[stage])
        out.append({"name": stage, "title": words.stage_title(stage), "available": available,
                    "caption": words.stage_caption(report, stage), "tab": STAGE_TABS[stage],
                    "labels": labels, "rows": rows,
                    "nodes": {w: found[stage] for w, found in per_view.items()}})
    return out


def check_stage(value: Any, stages: list[dict] | None) -> str:
    """A valid value of the Inspector's ``stage`` trait: ``''`` (off) or a stage name
    (``'write-back'`` is read as ``'write_back'``) that the selected call has.

    >>> check_stage('write-back', None)
    'write_back'
    >>> check_stage('sort', None)
    Traceback (most recent call last):
    ...
    ValueError: no stage 'sort'; expected '' (off) or one of cache, discovery, axes, keys, \
execution, write_back.
    """
    name = str(value).strip().replace("-", "_")
    if name == "":
        return ""
    if name not in STAGES:
        raise ValueError(f"no stage {value!r}; expected '' (off) or one of "
                         f"{', '.join(STAGES)}.")
    found = {s["name"]: s for s in stages or ()}
    if name in found and not found[name]["available"]:
        raise ValueError(f"the selected call has no {words.stage_title(name)} stage (it "
                         "used no RandomState, so no key was split).")
    return name
