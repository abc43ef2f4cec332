"""Renderer-neutral pictures of a Report: tables, axis diagrams, graphs.

Builders here read a :class:`~vmapviz.inspection.Report` and return frozen data;
``text``, ``html``, ``svg`` and ``dot`` lower that data to one format each.

>>> import jax.numpy as jnp
>>> import vmapviz
>>> count = vmapviz.ShortTermState(jnp.zeros(4), name='count')
>>> def step(d):
...     count.value = count.value + d
...     return count.value
>>> f = vmapviz.transform.vmap2(step, state_in_axes={0: vmapviz.ShortTermState})
>>> report = f.inspect(jnp.ones(4))
>>> state_table(report).rows[0][:5]
('count', 'ShortTermState', 'f32[4]', 'f32[4]', 'read, written')
>>> [a and (a.type, a.batch_axis) for a in axis_diagram(report).rows[0].arrays]
[('f32[4]', 0), ('f32[]', None), None]
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..inspection import words
from ..inspection._groups import StateGroup
from ..records import KeySource, Kind, Rule

__all__ = [
    "ArrayView",
    "AxisDiagram",
    "AxisRow",
    "Cluster",
    "Edge",
    "Graph",
    "KeySplit",
    "Node",
    "NodeInfo",
    "Table",
    "axis_diagram",
    "key_table",
    "leaf_table",
    "state_table",
]

_frozen = dataclasses.dataclass(frozen=True, slots=True)


# ------------------------------------------------------------------ tables


@_frozen
class Table:
    """A titled table of strings."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def state_table(report: Any) -> Table:
    """One row per State (alike States grouped into one row): label, type, shape before
    and after the call (a dry run: after it would end), read/written, batch axis, reason."""
    entries = {e.label: e for e in report.axes.of(Kind.STATE)}
    groups = {m.label: g for g in report.grouped if isinstance(g, StateGroup)
              for m in g.members}
    after = {w.label: w.after for w in report.write_back.entries}
    n = report.axes.axis_size
    rows = []
    for s in report.discovery.states:
        e = entries.get(s.label)
        touched = ", ".join(w for w, on in (("read", s.read), ("written", s.written)) if on)
        if e is None:
            rows.append((s.label, s.type, _record_type(s), _record_type(s), touched, "-", ""))
            continue
        out = words.axis_text(e.axis_out) if s.written else "-"
        axis_in = "split" if e.random else words.axis_text(e.axis_in)
        group = groups.get(s.label)
        if group is None:
            rows.append((s.label, s.type, e.type, after.get(s.label, e.type), touched,
                         f"{axis_in} -> {out}", words.reason(e, n)))
        elif group.first is e:
            types_after = tuple(dict.fromkeys(after.get(m.label, m.type) for m in group.members))
            rows.append((group.pattern, f"{len(group.members)} {group.state_type}s",
                         words.types_text(group.types), words.types_text(types_after),
                         touched, f"{axis_in} -> {out}", words.reason(e, n)))
    columns = ("State", "Type", "Shape", "Shape after", "Access", "Batch axis in -> out",
               "Reason")
    return Table("States", columns, tuple(rows))


def found_table(report: Any) -> Table:
    """A failed call's States (what discovery found before the error), and the error."""
    found = report.discovery.states if report.discovery is not None else ()
    rows = tuple((s.label, s.type, _record_type(s),
                  ", ".join(w for w, on in (("read", s.read), ("written", s.written)) if on))
                 for s in found)
    return Table(words.failed_heading(report), ("State", "Type", "Shape", "Access"), rows)


def _record_type(s: Any) -> str:
    return f"{s.dtype}[{','.join(str(d) for d in s.shape)}]"


def leaf_table(report: Any) -> Table:
    """One row per argument leaf and per output leaf, with its batch axis and why."""
    rows = []
    n = report.axes.axis_size
    for e in report.axes.entries:
        if e.kind is Kind.ARGUMENT:
            rows.append((e.label, e.type, e.lane_type, f"in {words.axis_text(e.axis_in)}",
                         words.reason_in(e, n)))
        elif e.kind is Kind.OUTPUT:
            rows.append((e.label, e.type, e.lane_type, f"out {words.axis_text(e.axis_out)}",
                         words.reason_out(e, n)))
    columns = ("Leaf", "Type", "Lane type", "Batch axis", "Reason")
    return Table("Arguments and outputs", columns, tuple(rows))


def key_table(report: Any) -> Table | None:
    """Each RandomState's key split, or None when the call drew no random numbers."""
    if report.keys is None:
        return None
    rows = []
    for k in report.keys.entries:
        lanes = " ".join(f"{i}:{words.key_text(x)}" for i, x in enumerate(k.lane_keys))
        rows.append((k.label, words.key_text(k.key_before), lanes, words.key_text(k.key_after)))
    columns = ("RandomState", "Key before", "Lane keys", "Key after")
    return Table(f"Random keys: split(key, {report.keys.axis_size + 1})", columns, tuple(rows))


# ------------------------------------------------------------ axis diagram


@_frozen
class ArrayView:
    """One array drawn as cells: its label, shape, and the axis that is the batch axis."""

    label: str
    type: str
    shape: tuple[int, ...]
    batch_axis: int | None
    #: the other axis to draw beside the batch axis (default: the last one that is not it)
    show: int | None = dataclasses.field(default=None, repr=False)


@_frozen
class AxisRow:
    """Outside value -> one lane -> outside value, with the axes on each arrow.

    ``arrays`` holds (outside before, one lane, outside after); absent ends are None.
    ``arrow_in`` / ``arrow_out`` say what happens on each arrow: ``'axis'`` (batch
    axis removed / inserted), ``'moved'`` (inserted at another axis than it left),
    ``'broadcast'`` (None: every lane sees it whole) or ``'split'`` (a RandomState's
    key split into lanes). ``badge`` / ``badge_title``: a warning drawn beside the
    row's label and its tooltip, when a random pitfall's key comes from this row.
    """

    kind: str
    label: str
    arrays: tuple[ArrayView | None, ArrayView | None, ArrayView | None]
    arrow_in: str | None
    arrow_out: str | None
    text_in: str
    text_out: str
    badge: str | None = dataclasses.field(default=None, repr=False)
    badge_title: str | None = dataclasses.field(default=None, repr=False)
    #: the lane's recorded values, when the call recorded them
    values: str = dataclasses.field(default="", repr=False)


@_frozen
class KeySplit:
    """A RandomState's key split into ``n + 1``: key 0 for the State, key i+1 for lane i."""

    label: str
    key_before: str
    lane_keys: tuple[str, ...]
    key_after: str


@_frozen
class AxisDiagram:
    """Everything entering and leaving the map, row by row, plus the key splits."""

    title: str
    axis_size: int
    lane: int
    rows: tuple[AxisRow, ...]
    keys: tuple[KeySplit, ...]


def _arrow(axis: int | None) -> str:
    return "broadcast" if axis is None else "axis"


def _argument_row(e: Any, lane: ArrayView) -> AxisRow:
    return AxisRow(str(e.kind), e.label, (ArrayView(e.label, e.type, e.shape, e.axis_in), lane, None),
                   _arrow(e.axis_in), None, words.diagram_in(e), "")


def _output_row(e: Any, lane: ArrayView) -> AxisRow:
    if e.batched is False:
        arrow = "broadcast"
    else:
        arrow = "moved" if e.axis_out else "axis"
    return AxisRow(str(e.kind), e.label, (None, lane, ArrayView(e.label, e.type, e.shape, e.axis_out)),
                   None, arrow, "", words.diagram_out(e))


def _state_row(e: Any, lane: ArrayView, written: Any, size: int) -> AxisRow:
    if e.random:
        key = ArrayView(e.label, e.type, e.shape, None)
        return AxisRow(str(e.kind), e.label, (key, lane, key), "split", "split",
                       words.diagram_in(e, size), words.diagram_out(e))
    read = e.rule_in is not Rule.WRITTEN_ONLY
    before = ArrayView(e.label, e.type, e.shape, e.axis_in) if read else None
    arrow_in = _arrow(e.axis_in) if read else None
    text_in = words.diagram_in(e) if read else ""
    if written is None:
        return AxisRow(str(e.kind), e.label, (before, lane, None), arrow_in, None, text_in, "")
    if e.axis_out is not None and e.axis_in is not None and e.axis_out != e.axis_in:
        arrow_out = "moved"
    else:
        arrow_out = _arrow(e.axis_out)
    after = ArrayView(e.label, written.after, written.shape, e.axis_out)
    return AxisRow(str(e.kind), e.label, (before, lane, after), arrow_in, arrow_out, text_in,
                   words.diagram_out(e))


#: Characters of recorded values one diagram row shows (the diagram is 1,132 px wide).
VALUES_CHARS = 150


def _with_values(report: Any, rows: list[AxisRow], lane: int) -> list[AxisRow]:
    """``rows`` with the recorded values of ``lane`` (``inspect(..., values=True)``)."""
    recorded = {v.label: v for v in report.values.entries}
    out = []
    for item, row in zip(report.grouped, rows):
        v = None if isinstance(item, StateGroup) else recorded.get(item.label)
        text = "" if v is None else words.values_line(v, lane, item.random,
                                                      report.values.lanes)
        if len(text) > VALUES_CHARS:  # the table below the diagram holds all of them
            text = text[: VALUES_CHARS - 4] + " ..."
        out.append(dataclasses.replace(row, values=text))
    return out


def _with_axis(view: ArrayView | None, other_axis: int) -> ArrayView | None:
    """``view`` drawing axis ``other_axis`` (counted from the end) beside its batch axis."""
    if view is None or not -len(view.shape) <= other_axis < 0:
        return view
    show = len(view.shape) + other_axis
    return view if show == view.batch_axis else dataclasses.replace(view, show=show)


#: Pitfall sources that are a row of the axis diagram (an argument leaf or a State).
_BADGED = (KeySource.ARGUMENT, KeySource.STATE, KeySource.SAME_IN_LANES)


def _badged(report: Any, rows: list[AxisRow]) -> list[AxisRow]:
    """``rows`` (one per ``report.grouped`` item), with a badge on each argument or State
    a random pitfall's key comes from (its tooltip: the pitfalls' words)."""
    tips: dict[str, list[str]] = {}
    for p in getattr(report, "pitfalls", ()):
        if p.label is not None and p.source in _BADGED:
            tips.setdefault(p.label, []).append(words.pitfall_text(p))
    if not tips:
        return rows
    out = []
    for item, row in zip(report.grouped, rows):
        members = item.members if isinstance(item, StateGroup) else (item,)
        found = [t for m in members for t in tips.get(m.label, ())]
        out.append(dataclasses.replace(row, badge=words.pitfall_badge(),
                                       badge_title="\n".join(found)) if found else row)
    return out


def axis_diagram(report: Any, lane: int = 0, other_axis: int | None = None) -> AxisDiagram:
    """The axis diagram of a report; ``lane`` is the lane to highlight.

    ``other_axis`` (negative: counted from the end, so the same axis in the whole array
    and in one lane, e.g. -2 for time in ``f32[trials, time, neurons]``) is drawn beside
    the batch axis of every array that has it, instead of the last axis.
    """
    axes = report.axes
    if not 0 <= lane < max(axes.axis_size, 1):
        raise ValueError(f"lane must be in [0, {axes.axis_size}), got {lane}.")
    written = {w.label: w for w in report.write_back.entries}
    rows = []
    for item in report.grouped:
        e = item.first if isinstance(item, StateGroup) else item
        one_lane = ArrayView("one lane", e.lane_type, e.lane_shape, None)
        if e.kind is Kind.ARGUMENT:
            rows.append(_argument_row(e, one_lane))
        elif e.kind is Kind.OUTPUT:
            rows.append(_output_row(e, one_lane))
        else:
            row = _state_row(e, one_lane, written.get(e.label), axes.axis_size)
            if isinstance(item, StateGroup):  # one row, drawn from its first member
                row = dataclasses.replace(row, label=item.label)
            rows.append(row)
    rows = _badged(report, rows)
    if report.values is not None:
        rows = _with_values(report, rows, lane)
    keys = report.keys.entries if report.keys is not None else ()
    splits = tuple(
        KeySplit(k.label, words.key_text(k.key_before),
                 tuple(words.key_text(x) for x in k.lane_keys), words.key_text(k.key_after))
        for k in keys
    )
    if other_axis is not None:
        if other_axis >= 0:
            raise ValueError(f"other_axis counts from the end: -1, -2, ...; got {other_axis}.")
        rows = [dataclasses.replace(r, arrays=tuple(_with_axis(v, other_axis) for v in r.arrays))
                for r in rows]
    return AxisDiagram(words.title(axes), axes.axis_size, lane, tuple(rows), splits)


# ------------------------------------------------------------------- graph


@_frozen
class NodeInfo:
    """What a click on an equation node shows: its jaxpr line, types and parameters."""

    primitive: str
    equation: str
    inputs: tuple[str, ...]  # types, literals as values
    outputs: tuple[str, ...]
    params: tuple[tuple[str, str], ...]
    #: what jax.vmap's batching rule did to this equation (a top-level per-element one
    #: that batching changed), in words; None otherwise
    batching: str | None = None


@_frozen
class Node:
    """A graph node: an equation, an input or output, or a collapsed sub-program."""

    id: str
    label: str
    kind: str  # 'eqn' | 'input' | 'output' | 'collapsed' | 'literal'
    batched: bool = False
    info: NodeInfo | None = None  # with ``details=True``: equation and collapsed nodes
    #: ``(action, path)`` a click asks for: ``('expand', '3')`` opens a collapsed node.
    toggle: tuple[str, str] | None = None
    #: the words of the random pitfalls this node draws (or hides), for its tooltip
    warning: str | None = None


@_frozen
class Edge:
    """A value flowing from one node to another, labelled with its short type."""

    src: str
    dst: str
    label: str
    batched: bool = False
    style: str = "solid"  # 'solid' | 'dashed'


@_frozen
class Cluster:
    """A group of nodes: a jaxpr, or a sub-jaxpr of one equation."""

    id: str
    label: str
    nodes: tuple[str, ...]
    clusters: tuple[Cluster, ...] = ()
    #: ``('collapse', path)`` draws this sub-jaxpr as one node again; ``('unfold', path)``
    #: draws every repetition of a folded block.
    toggle: tuple[str, str] | None = None


@_frozen
class Graph:
    """Nodes, edges, nested clusters, and notes about what was left out."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    clusters: tuple[Cluster, ...]
    notes: tuple[str, ...]
