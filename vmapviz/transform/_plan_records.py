"""Stage records of a mapped call, built from its :class:`~._plan.Plan`.

Pure readers of a plan: they turn the engine's decisions into the frozen records
of :mod:`vmapviz.records` (shapes as tuples, rules as :class:`~vmapviz.records.Rule`),
and nothing here words anything.
"""

from __future__ import annotations

import jax

from .. import records as rec
from .._jax_private import aval_type, lane_axes, shape_struct
from .._state import current_value, short_type
from ._decide import Feed, StateIn, StateOut
from ._keys import key_record
from ._propagate import boundary_flags, jaxpr_flags

__all__ = [
    "axes_record",
    "discovery_record",
    "emit_stage_records",
    "io_labels",
    "jaxpr_flags_of",
    "keys_record",
    "predicted_write_record",
    "value_axes",
    "write_record",
]


def discovery_record(plan) -> rec.DiscoveryRecord:
    t = plan.traced
    read = {id(s) for s in t.read_states}
    written = {id(s) for s in t.written_states}
    order = list(t.read_states) + [s for s in t.written_states if id(s) not in read]
    entries = []
    for s in order:
        leaves = jax.tree.leaves(current_value(s))
        aval = jax.typeof(leaves[0]) if len(leaves) == 1 else None
        path = plan.paths.get(id(s))
        entries.append(rec.StateRecord(
            label=s.label(), type=type(s).__name__,
            shape=tuple(aval.shape) if aval is not None else (),
            dtype=str(aval.dtype) if aval is not None else short_type(current_value(s)),
            path=".".join(path) if path else None, source=s.source,
            read=id(s) in read, written=id(s) in written,
        ))
    return rec.DiscoveryRecord(plan.mapping_name, tuple(entries))


def _types(outer, lane) -> dict:
    """The type fields of an :class:`~vmapviz.records.AxisRecord`."""
    return {
        "type": ", ".join(aval_type(a) for a in outer),
        "lane_type": ", ".join(aval_type(a) for a in lane),
        "shapes": tuple(tuple(a.shape) for a in outer),
        "lane_shapes": tuple(tuple(a.shape) for a in lane),
        "dtypes": tuple(str(a.dtype) for a in outer),
        "weak": tuple(bool(a.weak_type) for a in outer),
    }


def _argument_entries(plan) -> list:
    entries = []
    for name, aval, ax in zip(plan.arg_names, plan.arg_avals, plan.axes):
        lane = aval if ax is None else shape_struct(aval, drop=ax)
        rule = rec.Rule.KEYWORD if name.startswith("kwargs") else rec.Rule.IN_AXES
        entries.append(rec.AxisRecord(
            rec.Kind.ARGUMENT, name, **_types([aval], [lane]), axis_in=ax, axis_out=None,
            rule_in=rule, rule_out=None, batched=None))
    return entries


def _state_entry(s, outer, lane, d: StateIn | None, o: StateOut | None) -> rec.AxisRecord:
    return rec.AxisRecord(
        rec.Kind.STATE, s.label(), **_types(outer, lane),
        axis_in=None if d is None else d.axis,
        axis_out=None if o is None else o.axis,
        rule_in=rec.Rule.WRITTEN_ONLY if d is None else d.rule,
        rule_out=rec.Rule.NOT_WRITTEN if o is None else o.rule,
        batched=None if o is None else o.batched,
        filter_in=None if d is None else d.filter,
        filter_out=None if o is None else o.filter,
        policy=None if o is None else o.policy,
    )


def axes_record(plan) -> rec.AxesRecord:
    entries = _argument_entries(plan)
    outs = {id(o.state): o for o in plan.state_out}
    t = plan.traced
    for s, d in zip(t.read_states, plan.state_in):
        entries.append(_state_entry(s, d.outer_avals, d.lane_avals, d, outs.pop(id(s), None)))
    for o in outs.values():
        avals = tuple(jax.typeof(x) for x in jax.tree.leaves(current_value(o.state)))
        entries.append(_state_entry(o.state, avals, avals, None, o))
    lane_avals = t.closed_jaxpr.out_avals[: t.n_out]
    for i, (lane, full, ax, b) in enumerate(zip(lane_avals, plan.batched_out_avals(),
                                                plan.out_axes, plan.outs_batched)):
        entries.append(rec.AxisRecord(
            rec.Kind.OUTPUT, f"output {i}", **_types([full], [lane]), axis_in=None,
            axis_out=ax, rule_in=None, rule_out=rec.Rule.OUT_AXES, batched=b))
    return rec.AxesRecord(plan.mapping_name, plan.n,
                          None if plan.axis_name is None else str(plan.axis_name),
                          tuple(entries), plan.transform)


def keys_record(plan, state_leaves) -> rec.KeysRecord:
    entries = []
    i = 0
    for s, d, tdef in zip(plan.traced.read_states, plan.state_in, plan.traced.read_treedefs):
        if d.feed is Feed.RANDOM:
            entries.append(key_record(s.label(), state_leaves[i], plan.n))
        i += tdef.num_leaves
    return rec.KeysRecord(plan.mapping_name, plan.n, tuple(entries))


def write_record(plan, before) -> rec.WriteBackRecord:
    entries = []
    for o, b in zip(plan.state_out, before):
        if not o.discard:
            entries.append(rec.WriteRecord(o.state.label(), b,
                                           short_type(current_value(o.state)), o.axis,
                                           _first_shape(o.state)))
    for s, d in zip(plan.traced.read_states, plan.state_in):
        if d.feed is Feed.RANDOM:
            now = short_type(current_value(s))
            entries.append(rec.WriteRecord(s.label(), now, now, None, _first_shape(s)))
    return rec.WriteBackRecord(plan.mapping_name, tuple(entries))


def _first_shape(state) -> tuple[int, ...]:
    leaves = jax.tree.leaves(current_value(state))
    return tuple(jax.typeof(leaves[0]).shape) if leaves else ()


def predicted_write_record(plan) -> rec.WriteBackRecord:
    """The write-back a call would make, from types alone (a dry run): each written
    State's lane type with the batch axis put back where the write-back rule says."""
    entries = []
    t = plan.traced
    i = t.n_out
    lane_avals = t.closed_jaxpr.out_avals
    for o, tdef in zip(plan.state_out, t.written_treedefs):
        lane = lane_avals[i : i + tdef.num_leaves]
        i += tdef.num_leaves
        if o.discard:
            continue
        after = [a if o.axis is None else shape_struct(a, insert=(o.axis, plan.n))
                 for a in lane]
        entries.append(rec.WriteRecord(o.state.label(), short_type(current_value(o.state)),
                                       ", ".join(aval_type(a) for a in after), o.axis,
                                       tuple(after[0].shape) if after else ()))
    for s, d in zip(t.read_states, plan.state_in):
        if d.feed is Feed.RANDOM:
            now = short_type(current_value(s))
            entries.append(rec.WriteRecord(s.label(), now, now, None, _first_shape(s)))
    return rec.WriteBackRecord(plan.mapping_name, tuple(entries))


def emit_stage_records(plan, state_leaves, ran: bool = True) -> None:
    """Discovery, axes, keys and execution records (with ``ran=False``, a dry run's:
    the execution that would run, and the write-back it would make)."""
    from . import _hooks as hooks

    hooks.emit_if_observed(lambda: discovery_record(plan))
    hooks.emit_if_observed(lambda: axes_record(plan))
    if plan.random_leaves:
        hooks.emit_if_observed(lambda: keys_record(plan, state_leaves))
    hooks.emit_if_observed(lambda: rec.ExecutionRecord(
        plan.mapping_name, plan.compiled, tuple(aval_type(a) for a in plan.batched_out_avals()),
        ran))
    if not ran:
        hooks.emit_if_observed(lambda: predicted_write_record(plan))


# ------------------------------------------------------------------ jaxpr views


def _leaves(label: str, n: int) -> list[str]:
    return [label] if n == 1 else [f"{label}[{i}]" for i in range(n)]


def io_labels(plan) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Names of every input and output leaf of the per-element and batched jaxprs."""
    t = plan.traced
    ins = list(plan.arg_names)
    for st, tdef in zip(t.read_states, t.read_treedefs):
        ins.extend(_leaves(st.label(), tdef.num_leaves))
    elem_outs = [f"output {i}" for i in range(t.n_out)]
    batched_outs = list(elem_outs)
    for o, tdef in zip(plan.state_out, t.written_treedefs):
        elem_outs.extend(_leaves(o.state.label(), tdef.num_leaves))
        if not o.discard:
            batched_outs.extend(_leaves(o.state.label(), tdef.num_leaves))
    for st, d, tdef in zip(t.read_states, plan.state_in, t.read_treedefs):
        if d.feed is Feed.RANDOM:
            batched_outs.extend(_leaves(st.label(), tdef.num_leaves))
    return {"elementwise": (tuple(ins), tuple(elem_outs)),
            "batched": (tuple(ins), tuple(batched_outs))}


def jaxpr_flags_of(plan) -> dict[str, rec.JaxprFlags]:
    """Batched flags of every value of the per-element jaxpr (nested ones included),
    and of the batched jaxpr's inputs, outputs (lane keys carry no batch axis) and the
    per-lane bodies inside it (``boundary_flags``)."""
    t = plan.traced
    elementwise = jaxpr_flags(t.closed_jaxpr.jaxpr, plan.in_batched, plan.axis_name)
    ins = [ax is not None for ax in plan.axes]
    for d, tdef in zip(plan.state_in, t.read_treedefs):
        ins.extend([d.feed is Feed.BATCHED] * tdef.num_leaves)
    outs = [ax is not None for ax in plan.out_axes]
    for o, tdef in zip(plan.state_out, t.written_treedefs):
        if not o.discard:
            outs.extend([o.axis is not None] * tdef.num_leaves)
    outs.extend([False] * len(plan.random_leaves))
    return {"elementwise": elementwise,
            "batched": boundary_flags(plan.batched_jaxpr().jaxpr, ins, outs, plan.axis_name)}


def value_axes(plan) -> list[dict]:
    """Batch axis of every top-level value of the per-element jaxpr, as jax.vmap places it.

    One entry for the inputs, then one per equation: ``{"eqn": i, "primitive":
    name, "axes": [axis or None per output]}``.
    """
    jaxpr = plan.traced.closed_jaxpr.jaxpr
    in_axes = list(plan.axes)
    for d, tdef in zip(plan.state_in, plan.traced.read_treedefs):
        in_axes.extend([d.axis] * tdef.num_leaves)
    found = lane_axes(plan.traced.closed_jaxpr, in_axes, plan.n, plan.axis_name)
    rows = [{"eqn": None, "primitive": "inputs", "axes": [found[v] for v in jaxpr.invars]}]
    for i, eqn in enumerate(jaxpr.eqns):
        rows.append({"eqn": i, "primitive": eqn.primitive.name,
                     "axes": [found.get(v) for v in eqn.outvars]})
    return rows
