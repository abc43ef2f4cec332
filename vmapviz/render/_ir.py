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
>>> state_table(report).rows[0][:4]
('count', 'ShortTermState', 'f32[4]', 'read, written')
>>> [a and (a.type, a.batch_axis) for a in axis_diagram(report).rows[0].arrays]
[('f32[4]', 0), ('f32[]', None), None]
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

__all__ = [
    "ArrayView",
    "AxisDiagram",
    "AxisRow",
    "Cluster",
    "Edge",
    "Graph",
    "KeySplit",
    "Node",
    "Table",
    "axis_diagram",
    "key_table",
    "leaf_table",
    "parse_type",
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


def _axis(a: int | None) -> str:
    return "None" if a is None else str(a)


def _state_entries(report: Any) -> dict[str, Any]:
    return {e.label: e for e in report.axes.entries if e.kind == "state"}


def state_table(report: Any) -> Table:
    """One row per State: label, type, shape and dtype, read/written, batch axis, reason."""
    entries = _state_entries(report)
    random = {k.label for k in report.keys.entries} if report.keys is not None else set()
    rows = []
    for s in report.discovery.states:
        e = entries.get(s.label)
        touched = ", ".join(w for w, on in (("read", s.read), ("written", s.written)) if on)
        if e is None:
            rows.append((s.label, s.type, _record_type(s), touched, "-", ""))
            continue
        out = _axis(e.axis_out) if s.written else "-"
        reason = "; ".join(r for r in (e.reason_in, e.reason_out) if r)
        axis_in = "split" if s.label in random else _axis(e.axis_in)
        rows.append((s.label, s.type, e.type, touched, f"{axis_in} -> {out}", reason))
    columns = ("State", "Type", "Shape", "Access", "Batch axis in -> out", "Reason")
    return Table("States", columns, tuple(rows))


def _record_type(s: Any) -> str:
    return f"{s.dtype}[{','.join(str(d) for d in s.shape)}]"


def leaf_table(report: Any) -> Table:
    """One row per argument leaf and per output leaf, with its batch axis and why."""
    rows = []
    for e in report.axes.entries:
        if e.kind == "argument":
            rows.append((e.label, e.type, e.lane_type, f"in {_axis(e.axis_in)}", e.reason_in))
        elif e.kind == "output":
            rows.append((e.label, e.type, e.lane_type, f"out {_axis(e.axis_out)}", e.reason_out))
    columns = ("Leaf", "Type", "Lane type", "Batch axis", "Reason")
    return Table("Arguments and outputs", columns, tuple(rows))


def key_text(key: tuple[int, ...]) -> str:
    """A key's raw data as ``[0 42]``."""
    return "[" + " ".join(str(k) for k in key) + "]"


def key_table(report: Any) -> Table | None:
    """Each RandomState's key split, or None when the call drew no random numbers."""
    if report.keys is None:
        return None
    rows = []
    for k in report.keys.entries:
        lanes = " ".join(f"{i}:{key_text(x)}" for i, x in enumerate(k.lane_keys))
        rows.append((k.label, key_text(k.key_before), lanes, key_text(k.key_after)))
    columns = ("RandomState", "Key before", "Lane keys", "Key after")
    return Table(f"Random keys: split(key, {report.keys.axis_size + 1})", columns, tuple(rows))


# ------------------------------------------------------------ axis diagram

_TYPE = re.compile(r"^(?P<dtype>.*?)\[(?P<dims>[0-9,]*)\]$")


def parse_type(text: str) -> tuple[str, tuple[int, ...]]:
    """``'f32[4,3]'`` -> ``('f32', (4, 3))``; several leaves: the first one.

    >>> parse_type('key<fry>[]')
    ('key<fry>', ())
    """
    first = text.split(", ")[0]
    m = _TYPE.match(first)
    if m is None:
        return first, ()
    dims = m.group("dims")
    return m.group("dtype"), tuple(int(d) for d in dims.split(",")) if dims else ()


@_frozen
class ArrayView:
    """One array drawn as cells: its label, shape, and the axis that is the batch axis."""

    label: str
    type: str
    shape: tuple[int, ...]
    batch_axis: int | None


@_frozen
class AxisRow:
    """Outside value -> one lane -> outside value, with the axes on each arrow.

    ``arrays`` holds (outside before, one lane, outside after); absent ends are None.
    ``arrow_in`` / ``arrow_out`` say what happens on each arrow: ``'axis'`` (batch
    axis removed / inserted), ``'moved'`` (inserted at another axis than it left),
    ``'broadcast'`` (None: every lane sees it whole) or ``'split'`` (a RandomState's
    key split into lanes).
    """

    kind: str
    label: str
    arrays: tuple[ArrayView | None, ArrayView | None, ArrayView | None]
    arrow_in: str | None
    arrow_out: str | None
    text_in: str
    text_out: str


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


def _view(label: str, type_: str, axis: int | None) -> ArrayView:
    _dtype, shape = parse_type(type_)
    return ArrayView(label, type_, shape, axis)


def _row(e: Any, random: set[str], after: dict[str, str], size: int, read: set[str]) -> AxisRow:
    lane = _view("one lane", e.lane_type, None)
    if e.kind == "argument":
        arrow = "broadcast" if e.axis_in is None else "axis"
        text = "None: broadcast" if e.axis_in is None else f"in_axes {e.axis_in}"
        return AxisRow(e.kind, e.label, (_view(e.label, e.type, e.axis_in), lane, None),
                       arrow, None, text, "")
    if e.kind == "output":
        if e.batched is False:
            out_text = f"out_axes {_axis(e.axis_out)}: same in every lane"
            arrow = "broadcast"
        elif e.axis_out:
            out_text, arrow = f"out_axes {e.axis_out}: batch axis inserted at {e.axis_out}", "moved"
        else:
            out_text, arrow = f"out_axes {_axis(e.axis_out)}", "axis"
        return AxisRow(e.kind, e.label, (None, lane, _view(e.label, e.type, e.axis_out)),
                       None, arrow, "", out_text)
    if e.label in random:
        key = _view(e.label, e.type, None)
        return AxisRow(e.kind, e.label, (key, lane, key), "split", "split",
                       f"split into {size + 1}: key i+1 to lane i", "keeps key 0")
    before = _view(e.label, e.type, e.axis_in) if e.label in read else None
    arrow_in = None if before is None else "broadcast" if e.axis_in is None else "axis"
    text_in = ("" if before is None else "None: broadcast" if e.axis_in is None
               else f"state axis {e.axis_in}")
    if e.label not in after:
        return AxisRow(e.kind, e.label, (before, lane, None), arrow_in, None, text_in, "")
    out_type = after[e.label]
    if e.axis_out is None:
        arrow_out, text_out = "broadcast", "written back unbatched"
    elif e.axis_in is None:
        arrow_out, text_out = "axis", f"lanes stacked on a new axis {e.axis_out}"
    elif e.axis_out != e.axis_in:
        arrow_out, text_out = "moved", f"written back on axis {e.axis_out} (moved)"
    else:
        arrow_out, text_out = "axis", f"written back on axis {e.axis_out}"
    return AxisRow(e.kind, e.label, (before, lane, _view(e.label, out_type, e.axis_out)),
                   arrow_in, arrow_out, text_in, text_out)


def axis_diagram(report: Any, lane: int = 0) -> AxisDiagram:
    """The axis diagram of a report; ``lane`` is the lane to highlight."""
    axes = report.axes
    if not 0 <= lane < max(axes.axis_size, 1):
        raise ValueError(f"lane must be in [0, {axes.axis_size}), got {lane}.")
    keys = report.keys.entries if report.keys is not None else ()
    random = {k.label for k in keys}
    after = {w.label: w.after for w in report.write_back.entries}
    read = {s.label for s in report.discovery.states if s.read}
    rows = tuple(_row(e, random, after, axes.axis_size, read) for e in axes.entries)
    splits = tuple(
        KeySplit(k.label, key_text(k.key_before), tuple(key_text(x) for x in k.lane_keys),
                 key_text(k.key_after))
        for k in keys
    )
    title = f"{report.axes.transform} of {report.mapping} over {axes.axis_size} lanes"
    return AxisDiagram(title, axes.axis_size, lane, rows, splits)


# ------------------------------------------------------------------- graph


@_frozen
class Node:
    """A graph node: an equation, an input or output, or a collapsed sub-program."""

    id: str
    label: str
    kind: str  # 'eqn' | 'input' | 'output' | 'collapsed' | 'literal'
    batched: bool = False


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


@_frozen
class Graph:
    """Nodes, edges, nested clusters, and notes about what was left out."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    clusters: tuple[Cluster, ...]
    notes: tuple[str, ...]
