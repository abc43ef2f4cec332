"""A traced mapped call turned into a plan: batch axes in and out, a compiled runner.

Built once per signature from the per-element trace; every warm call only gathers
State values, runs the compiled batched program and writes States back.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
import warnings

import jax
import jax.extend

from .._jax_private import Abstract, abstract, aval_type, is_tracer, lane_axes
from .._state import State, StateValueError, commit, current_value, short_type
from . import _hooks as hooks
from . import _records as rec
from ._axes import broadcast_prefix, lane_struct
from ._cache import describe_aval
from ._errors import BatchAxisError, MappingError
from ._keys import key_record, split_for_lanes
from ._propagate import batched_outputs
from ._shard import shard_lanes
from ._tracing import StateGather, Traced

__all__ = ["Plan", "StateIn", "StateOut", "build_plan"]


@dataclasses.dataclass(frozen=True)
class StateIn:
    """How one State read enters the map."""

    kind: str  # 'batched' | 'broadcast' | 'random'
    axis: int | None
    reason: str
    lane_avals: list
    outer_avals: tuple
    size: int | None = None

    @functools.cached_property
    def outer_sigs(self) -> tuple:
        return tuple(Abstract(a.shape, a.dtype, a.weak_type) for a in self.outer_avals)

    @classmethod
    def batched(cls, state: State, axis: int, reason: str) -> StateIn:
        leaves = jax.tree.leaves(current_value(state))
        outer = tuple(jax.typeof(x) for x in leaves)
        lane, sizes = [], set()
        for x, aval in zip(leaves, outer):
            rank = len(aval.shape)
            norm = axis + rank if axis < 0 else axis
            if not 0 <= norm < rank:
                raise MappingError(
                    f"State {state.describe()} matches state_in_axes on axis {axis}, but "
                    f"its value has rank {rank}. Batch it on an axis it has, or exclude it "
                    "from the filter."
                )
            sizes.add(aval.shape[norm])
            lane.append(lane_struct(x, norm))
        if len(sizes) > 1:
            raise MappingError(
                f"State {state.describe()} is batched on axis {axis}, but its leaves have "
                f"different sizes {sorted(sizes)} there."
            )
        return cls("batched", axis, reason, lane, outer, sizes.pop() if sizes else None)

    @classmethod
    def broadcast(cls, state: State,
                  reason: str = "no state_in_axes filter matched: shared by every lane") -> StateIn:
        leaves = jax.tree.leaves(current_value(state))
        outer = tuple(jax.typeof(x) for x in leaves)
        return cls("broadcast", None, reason, [lane_struct(x, None) for x in leaves], outer)

    @classmethod
    def random(cls, state: State) -> StateIn:
        leaves = jax.tree.leaves(current_value(state))
        outer = tuple(jax.typeof(x) for x in leaves)
        return cls("random", 0, "RandomState: its key is split into one key per lane",
                   [lane_struct(x, None) for x in leaves], outer)


@dataclasses.dataclass(frozen=True)
class StateOut:
    """How one written State leaves the map."""

    state: State
    axis: int | None
    reason: str
    batched: bool
    discard: bool  # a RandomState's per-lane keys: dropped, the state keeps the split key
    warning: str | None = None  # said once the plan is final (policy 'warn' / 'auto')
    policy: bool = False  # its axis was chosen by unexpected_out_state_mapping


class Plan:
    """Everything a warm call needs, plus what the records describe."""

    def __init__(self, mapping, call, axes, n, traced: Traced, state_in: dict, in_batched,
                 outs_batched, out_axes, state_out: list[StateOut], paths: dict):
        self.mapping_name = mapping.name
        self.axis_name = mapping.axis_name
        self.n = n
        self.traced = traced
        self.axes = axes
        self.arg_names = call.leaf_names()
        self.arg_avals = tuple(jax.typeof(x) for x in call.leaves)
        self.state_in = [state_in[id(s)] for s in traced.read_states]
        self.in_batched = tuple(in_batched)
        self.outs_batched = outs_batched
        self.out_axes = out_axes
        self.state_out = state_out
        self.paths = paths
        self._batched_jaxpr = None
        self._read_treedefs = traced.read_treedefs
        self._filter_results = mapping._filter_results if mapping._filters else None
        self._gather = StateGather(traced.read_states, [d.outer_sigs for d in self.state_in])
        self._decisions = self._decision_inputs()
        self.cacheable = not any(is_tracer(c) for c in traced.closed_jaxpr.consts)
        read = {id(s) for s, d in zip(traced.read_states, self.state_in) if d.axis is not None}
        self._retyped = frozenset(id(o.state) for o in state_out
                                  if o.axis is not None and id(o.state) not in read)
        self._random_leaves = self._random_leaf_positions()
        self._build_runner(mapping)

    # ---------------------------------------------------------------- runner

    def _random_leaf_positions(self) -> list[int]:
        pos, i = [], 0
        for d, tdef in zip(self.state_in, self._read_treedefs):
            if d.kind == "random":
                pos.extend(range(i, i + tdef.num_leaves))
            i += tdef.num_leaves
        return pos

    def _build_runner(self, mapping) -> None:
        t = self.traced
        elem = jax.extend.core.jaxpr_as_fun(t.closed_jaxpr)
        state_axes = []
        for d, tdef in zip(self.state_in, self._read_treedefs):
            state_axes.extend([d.axis] * tdef.num_leaves)
        keep = list(range(t.n_out))
        keep_axes = list(self.out_axes)
        i = t.n_out
        for out, tdef in zip(self.state_out, t.written_treedefs):
            if not out.discard:
                keep.extend(range(i, i + tdef.num_leaves))
                keep_axes.extend([out.axis] * tdef.num_leaves)
            i += tdef.num_leaves

        def one_lane(*xs):
            res = elem(*xs)
            return tuple(res[j] for j in keep)

        kwargs = dict(mapping.mapping_kwargs)
        mapping_fn = mapping.mapping_fn
        if _base(mapping_fn) is jax.shard_map:
            mapping_fn = shard_lanes
        mapped = mapping_fn(
            one_lane, in_axes=tuple(self.axes) + tuple(state_axes), out_axes=tuple(keep_axes),
            axis_name=mapping.axis_name, axis_size=self.n, **kwargs,
        )
        n, random_leaves = self.n, self._random_leaves

        def run(arg_leaves, state_leaves):
            ins = list(state_leaves)
            new_keys = []
            for j in random_leaves:
                kept, ins[j] = split_for_lanes(ins[j], n)
                new_keys.append(kept)
            return mapped(*arg_leaves, *ins), new_keys

        self._run_python = run
        self.compiled = not _is_pmap(mapping.mapping_fn)
        self.transform = {jax.pmap: "pmap2", jax.shard_map: "shard_map"}.get(
            _base(mapping.mapping_fn), "vmap2")
        self._runner = jax.jit(run) if self.compiled else run

    def run(self, arg_leaves, state_leaves):
        return self._runner(arg_leaves, state_leaves)

    def batched_jaxpr(self):
        """The jaxpr of the whole mapped call (made on first request)."""
        if self._batched_jaxpr is None:
            n_args = len(self.arg_avals)
            state_avals = [a for d in self.state_in for a in d.outer_avals]
            structs = [jax.ShapeDtypeStruct(a.shape, a.dtype, weak_type=a.weak_type)
                       for a in (*self.arg_avals, *state_avals)]

            def flat_run(*xs):
                outs, keys = self._run_python(list(xs[:n_args]), list(xs[n_args:]))
                return (*outs, *keys)

            self._batched_jaxpr = jax.make_jaxpr(flat_run)(*structs)
        return self._batched_jaxpr

    # ---------------------------------------------------------------- state I/O

    def gather_states(self) -> list | None:
        """Current leaves of the States read, or None if one changed type since the trace."""
        return self._gather()

    def _decision_inputs(self) -> list:
        """What decided each touched State's batching: its type and every filter's answer."""
        answers = self._filter_results
        return [(s, type(s), answers and answers(s, self.paths.get(id(s), ())))
                for s in self.traced.touched_states()]

    def stale_reason(self, types_changed: bool) -> str | None:
        """Why this plan no longer fits the States (None when it does)."""
        if types_changed:
            return self.state_change_reason()
        for s, kind, results in self._decisions:
            if type(s) is not kind:
                return (f"state {s.label()}: now a {type(s).__name__}, before a {kind.__name__} "
                        "(its batching is decided again)")
            if self._filter_results is None:
                continue
            now = self._filter_results(s, self.paths.get(id(s), ()))
            if now != results:
                return (f"state {s.label()}: the state_in_axes / state_out_axes filters now "
                        f"answer {_answers(now)}, before {_answers(results)} (tag "
                        f"{s.tag!r}); its batching is decided again")
        return None

    def state_change_reason(self) -> str:
        for state, d in zip(self.traced.read_states, self.state_in):
            now = tuple(abstract(x) for x in jax.tree.leaves(current_value(state)))
            if now != d.outer_sigs:
                before = ", ".join(aval_type(a) for a in d.outer_sigs)
                after = ", ".join(aval_type(a) for a in now)
                if before == after:
                    before = ", ".join(describe_aval(a) for a in d.outer_sigs)
                    after = ", ".join(describe_aval(a) for a in now)
                return f"state {state.label()}: now {after}, before {before}"
        return "a State changed type"

    def auto_per_lane(self) -> dict[int, str]:
        """Under policy 'auto': States read and written, undeclared, whose write varies by
        lane and whose leading size already equals the batch size. They are fed per lane
        on axis 0 (a second trace), so they keep their shape instead of gaining an axis."""
        out = {}
        for o in self.state_out:
            d = self._state_in_of(o.state)
            if o.policy and d is not None and d.kind == "broadcast" and all(
                    len(a.shape) > 0 and a.shape[0] == self.n for a in d.outer_avals):
                out[id(o.state)] = (
                    "policy 'auto': read and written with a value that varies by lane, and "
                    f"its leading size equals the batch size {self.n}: fed per lane on axis 0")
        return out

    def _state_in_of(self, state: State) -> StateIn | None:
        for s, d in zip(self.traced.read_states, self.state_in):
            if s is state:
                return d
        return None

    def warn_policy(self) -> None:
        """Say the warnings the write-back policy asked for (once the plan is final)."""
        for o in self.state_out:
            if o.warning is not None:
                warnings.warn(o.warning, UserWarning, stacklevel=_user_stacklevel())

    def write_back(self, result) -> None:
        """Store every written State and every split key: all of them, or none."""
        outs, new_keys = result
        t = self.traced
        before = None
        if hooks.observing():
            before = [short_type(current_value(o.state)) for o in self.state_out]
        states, values = [], []
        i = t.n_out
        for out, tdef in zip(self.state_out, t.written_treedefs):
            if not out.discard:
                states.append(out.state)
                values.append(jax.tree.unflatten(tdef, outs[i : i + tdef.num_leaves]))
                i += tdef.num_leaves
        k = 0
        for state, d, tdef in zip(t.read_states, self.state_in, self._read_treedefs):
            if d.kind == "random":
                states.append(state)
                values.append(jax.tree.unflatten(tdef, new_keys[k : k + tdef.num_leaves]))
                k += tdef.num_leaves
        commit(states, values, f"{self.transform} of {self.mapping_name}", self._retyped)
        if before is not None:
            hooks.emit_if_observed(lambda: self._write_record(before))

    def outputs(self, result):
        outs, _ = result
        return jax.tree.unflatten(self.traced.out_tree, outs[: self.traced.n_out])

    # ---------------------------------------------------------------- records

    def value_axes(self) -> list[dict]:
        """Batch axis of every top-level value of the per-element jaxpr, as jax.vmap places it.

        One entry for the inputs, then one per equation: ``{"eqn": i, "primitive":
        name, "axes": [axis or None per output]}``.
        """
        jaxpr = self.traced.closed_jaxpr.jaxpr
        in_axes = list(self.axes)
        for d, tdef in zip(self.state_in, self._read_treedefs):
            in_axes.extend([d.axis] * tdef.num_leaves)
        found = lane_axes(self.traced.closed_jaxpr, in_axes, self.n, self.axis_name)
        rows = [{"eqn": None, "primitive": "inputs", "axes": [found[v] for v in jaxpr.invars]}]
        for i, eqn in enumerate(jaxpr.eqns):
            rows.append({"eqn": i, "primitive": eqn.primitive.name,
                         "axes": [found.get(v) for v in eqn.outvars]})
        return rows

    def io_labels(self) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
        """Names of every input and output leaf of the per-element and batched jaxprs."""
        t = self.traced

        def leaves(label: str, tdef) -> list[str]:
            n = tdef.num_leaves
            return [label] if n == 1 else [f"{label}[{i}]" for i in range(n)]

        ins = list(self.arg_names)
        for st, tdef in zip(t.read_states, self._read_treedefs):
            ins.extend(leaves(st.label(), tdef))
        outs = [f"output {i}" for i in range(t.n_out)]
        elem_outs = list(outs)
        batched_outs = list(outs)
        for o, tdef in zip(self.state_out, t.written_treedefs):
            elem_outs.extend(leaves(o.state.label(), tdef))
            if not o.discard:
                batched_outs.extend(leaves(o.state.label(), tdef))
        for st, d, tdef in zip(t.read_states, self.state_in, self._read_treedefs):
            if d.kind == "random":
                batched_outs.extend(leaves(st.label(), tdef))
        return {"elementwise": (tuple(ins), tuple(elem_outs)),
                "batched": (tuple(ins), tuple(batched_outs))}

    def discovery_record(self) -> rec.DiscoveryRecord:
        t = self.traced
        read = {id(s) for s in t.read_states}
        written = {id(s) for s in t.written_states}
        order = list(t.read_states) + [s for s in t.written_states if id(s) not in read]
        entries = []
        for s in order:
            leaves = jax.tree.leaves(current_value(s))
            aval = jax.typeof(leaves[0]) if len(leaves) == 1 else None
            path = self.paths.get(id(s))
            entries.append(rec.StateRecord(
                label=s.label(), type=type(s).__name__,
                shape=tuple(aval.shape) if aval is not None else (),
                dtype=str(aval.dtype) if aval is not None else short_type(current_value(s)),
                path=".".join(path) if path else None, source=s.source,
                read=id(s) in read, written=id(s) in written,
            ))
        return rec.DiscoveryRecord(self.mapping_name, tuple(entries))

    def axes_record(self) -> rec.AxesRecord:
        entries = []
        for name, aval, ax in zip(self.arg_names, self.arg_avals, self.axes):
            lane = aval_type(lane_struct_aval(aval, ax))
            reason = "mapped keyword argument" if name.startswith("kwargs") else "in_axes"
            reason = (f"{reason}: axis {ax}" if ax is not None else f"{reason}: None (broadcast)")
            entries.append(rec.AxisRecord("argument", name, aval_type(aval), lane, ax, None,
                                          reason, "", None))
        outs = {id(o.state): o for o in self.state_out}
        t = self.traced
        for s, d in zip(t.read_states, self.state_in):
            o = outs.pop(id(s), None)
            entries.append(self._state_axis_record(s, d.outer_avals, d.lane_avals, d.axis,
                                                   d.reason, o))
        for o in outs.values():
            avals = tuple(jax.typeof(x) for x in jax.tree.leaves(current_value(o.state)))
            entries.append(self._state_axis_record(o.state, avals, avals, None,
                                                   "not read: written only", o))
        out_avals = t.closed_jaxpr.out_avals[: t.n_out]
        for i, (aval, ax, b) in enumerate(zip(out_avals, self.out_axes, self.outs_batched)):
            full = aval if ax is None else _insert_axis(aval, ax, self.n)
            why = "varies by lane" if b else "same in every lane (broadcast)"
            entries.append(rec.AxisRecord("output", f"output {i}", aval_type(full), aval_type(aval),
                                          None, ax, "", f"out_axes: {ax}; {why}", b))
        return rec.AxesRecord(self.mapping_name, self.n,
                              None if self.axis_name is None else str(self.axis_name),
                              tuple(entries), self.transform)

    def _state_axis_record(self, s, outer, lane, axis_in, reason_in, o: StateOut | None):
        return rec.AxisRecord(
            "state", s.label(), ", ".join(aval_type(a) for a in outer),
            ", ".join(aval_type(a) for a in lane),
            axis_in, None if o is None else o.axis, reason_in,
            "not written" if o is None else o.reason,
            None if o is None else o.batched,
        )

    def keys_record(self, state_leaves) -> rec.KeysRecord:
        entries = []
        i = 0
        for s, d, tdef in zip(self.traced.read_states, self.state_in, self._read_treedefs):
            if d.kind == "random":
                entries.append(key_record(s.label(), state_leaves[i], self.n))
            i += tdef.num_leaves
        return rec.KeysRecord(self.mapping_name, self.n, tuple(entries))

    def emit_stage_records(self, call, state_leaves) -> None:
        hooks.emit_if_observed(self.discovery_record)
        hooks.emit_if_observed(self.axes_record)
        if self._random_leaves:
            hooks.emit_if_observed(lambda: self.keys_record(state_leaves))
        out_types = tuple(aval_type(a) for a in self.batched_out_avals())
        hooks.emit_if_observed(
            lambda: rec.ExecutionRecord(self.mapping_name, self.compiled, out_types))

    def batched_out_avals(self):
        t = self.traced
        out_avals = t.closed_jaxpr.out_avals[: t.n_out]
        return [a if ax is None else _insert_axis(a, ax, self.n)
                for a, ax in zip(out_avals, self.out_axes)]

    def _write_record(self, before) -> rec.WriteBackRecord:
        entries = []
        for o, b in zip(self.state_out, before):
            if not o.discard:
                entries.append(rec.WriteRecord(o.state.label(), b, short_type(current_value(o.state)),
                                               o.axis))
        for s, d in zip(self.traced.read_states, self.state_in):
            if d.kind == "random":
                entries.append(rec.WriteRecord(s.label(), short_type(current_value(s)),
                                               short_type(current_value(s)), None))
        return rec.WriteBackRecord(self.mapping_name, tuple(entries))


def lane_struct_aval(aval, axis):
    if axis is None:
        return aval
    return aval.update(shape=aval.shape[:axis] + aval.shape[axis + 1 :])


def _insert_axis(aval, axis, n):
    rank = len(aval.shape) + 1
    ax = axis + rank if axis < 0 else axis
    return aval.update(shape=aval.shape[:ax] + (n,) + aval.shape[ax:])


def _base(fn):
    """The function under any ``functools.partial`` layers."""
    while hasattr(fn, "func"):
        fn = fn.func
    return fn


def _is_pmap(fn) -> bool:
    return _base(fn) is jax.pmap


# ------------------------------------------------------------------------ building


def _output_axes(out_axes, traced: Traced, batched: list[bool]) -> list:
    dummy = jax.tree.unflatten(traced.out_tree, [0] * traced.n_out)
    axes = broadcast_prefix(out_axes, dummy)
    if axes is None:
        raise MappingError(
            f"vmap out_axes specification must be a tree prefix of the corresponding value, "
            f"got specification {out_axes!r} for value tree {traced.out_tree}."
        )
    for j, (ax, b) in enumerate(zip(axes, batched)):
        if ax is None and b:
            raise MappingError(
                f"vmap has mapped output (output leaf {j}) but out_axes is None for it: the "
                "output varies across lanes. Give it an out axis (for example out_axes=0)."
            )
    return axes


def build_plan(mapping, call, axes, n, traced: Traced, decided: dict, paths: dict) -> Plan:
    """Decide every batch axis from the trace, apply the policy, compile the runner."""
    in_batched = [ax is not None for ax in axes]
    for s, tdef in zip(traced.read_states, traced.read_treedefs):
        in_batched.extend([decided[id(s)].kind != "broadcast"] * tdef.num_leaves)
    out_b = batched_outputs(traced.closed_jaxpr, in_batched, mapping.axis_name)
    outs_batched = out_b[: traced.n_out]
    out_avals = traced.closed_jaxpr.out_avals
    out_axes = _output_axes(mapping.out_axes, traced, outs_batched)
    for j, (ax, aval) in enumerate(zip(out_axes, out_avals)):
        _check_out_axis(ax, aval, f"output {j} ({aval_type(aval)} in each lane)", "out_axes")
    state_out = []
    i = traced.n_out
    for s, tdef in zip(traced.written_states, traced.written_treedefs):
        lane = out_avals[i : i + tdef.num_leaves]
        batched = any(out_b[i : i + tdef.num_leaves])
        i += tdef.num_leaves
        o = _state_out(mapping, s, batched, decided, paths, n, lane)
        if o.axis is not None and not o.discard:
            for aval in lane:
                _check_out_axis(o.axis, aval, f"State {s.describe()} ({aval_type(aval)} in "
                                "each lane)", "state_out_axes")
        state_out.append(o)
    return Plan(mapping, call, axes, n, traced, decided, in_batched, outs_batched, out_axes,
                state_out, paths)


def _check_out_axis(axis: int | None, lane_aval, what: str, spec: str) -> None:
    """An out axis must fit the lane value's rank plus the new batch axis."""
    if axis is None:
        return
    rank = len(lane_aval.shape) + 1
    if not -rank <= axis < rank:
        raise MappingError(
            f"{spec} puts the batch axis of {what} at axis {axis}, but with the batch axis "
            f"it has rank {rank}, so the axis must be in [{-rank}, {rank - 1}]."
        )


def transform_name(mapping_fn) -> str:
    """``vmap2``, ``pmap2`` or ``shard_map``: how records and messages name a mapping."""
    return {jax.pmap: "pmap2", jax.shard_map: "shard_map"}.get(_base(mapping_fn), "vmap2")


def _drop_axis(avals: list, axis: int) -> list | None:
    out = []
    for a in avals:
        rank = len(a.shape)
        ax = axis + rank if axis < 0 else axis
        if not 0 <= ax < rank:
            return None
        out.append(Abstract(a.shape[:ax] + a.shape[ax + 1 :], a.dtype, a.weak_type))
    return out


def _first_match(axes_spec: dict, path: tuple, s: State):
    return next(((ax, f) for ax, f in axes_spec.items() if f(path, s)), None)


def written_only_avals(mapping, s: State, path: tuple, n: int | None) -> list | None:
    """Per-lane types a State written without being read may take: its value without the
    batch axis a filter gives it, or its whole value (it then gains the batch axis).
    None when no filter matches: the write-back decides once it knows whether the new
    value varies by lane."""
    matched = _first_match(mapping.state_in_axes, path, s)
    if matched is None or matched[0] is None:
        matched = _first_match(mapping.state_out_axes, path, s)
    if matched is None:
        return None
    whole = [abstract(x) for x in jax.tree.leaves(current_value(s))]
    options = [whole]
    axis = matched[0]
    if axis is not None:
        lane = _drop_axis(whole, axis)
        if lane is not None and (n is None or all(
                a.shape[axis] == n for a in whole if len(a.shape) > abs(axis))):
            options.insert(0, lane)
    return options


def _answers(results: tuple) -> str:
    return "(" + ", ".join("yes" if r else "no" for r in results) + ")"


def _state_out(mapping, s: State, batched: bool, decided: dict, paths: dict, n: int,
               lane: list) -> StateOut:
    d = decided.get(id(s))
    path = paths.get(id(s), ())
    if d is not None and d.kind == "random":
        return StateOut(s, None, "RandomState: lane keys dropped; keeps the split key",
                        batched, True)
    if d is None:  # written without being read: its input axis comes from the filters alone
        matched = _first_match(mapping.state_in_axes, path, s)
        in_axis = None if matched is None else matched[0]
    else:
        in_axis = d.axis
    declared = _first_match(mapping.state_out_axes, path, s)
    whole = [abstract(x) for x in jax.tree.leaves(current_value(s))]
    rank = max((len(a.shape) for a in whole), default=0)
    if in_axis is not None:
        if declared is not None and declared[0] is not None and not _same_axis(
                declared[0], in_axis, rank):
            raise BatchAxisError(
                f"State {s.describe()} is batched on input axis {in_axis} but state_out_axes "
                f"maps it to axis {declared[0]}. A State keeps its batch axis: use the same "
                "axis in both, or exclude it from one filter."
            )
        why = f"written back on axis {in_axis}, the axis it entered on"
        if declared is not None and declared[0] is None:
            why += f" (state_out_axes {{None: {declared[1]!r}}} does not unbatch a batched State)"
        return StateOut(s, in_axis, why, batched, False)
    if declared is not None and declared[0] is None:
        if batched:
            raise BatchAxisError(
                f"State {s.describe()} is declared unbatched on output (state_out_axes "
                f"{{None: {declared[1]!r}}}), but its new value varies across the {n} lanes. "
                "Give it an out axis, or make its new value the same in every lane."
            )
        return StateOut(s, None, f"state_out_axes {{None: {declared[1]!r}}} matched: written "
                        "back as is", False, False)
    if declared is not None:
        return StateOut(s, declared[0],
                        f"state_out_axes {{{declared[0]}: {declared[1]!r}}} matched", batched,
                        False)
    if not batched:
        if [tuple(a.shape) for a in whole] != [tuple(a.shape) for a in lane] or [
                a.dtype for a in whole] != [a.dtype for a in lane]:
            raise StateValueError(
                f"{transform_name(mapping.mapping_fn)} of {mapping.name} writes State "
                f"{s.describe()} with a value of type {', '.join(aval_type(a) for a in lane)}, "
                "the same in every lane. A write inside a transform keeps the State's shape "
                "and dtype; nothing was written.")
        return StateOut(s, None, "written back as is: its new value is the same in every lane",
                        False, False)
    if d is None and rank > 0 and [tuple(a.shape[1:]) for a in whole] == [
            tuple(a.shape) for a in lane] and all(a.shape[0] == n for a in whole):
        return StateOut(s, 0, f"written back on axis 0: written only, and its leading size "
                        f"equals the batch size {n}", True, False)
    return _apply_policy(mapping, s, d is not None, n)


def _user_stacklevel() -> int:
    """``warnings.warn`` stacklevel of the first caller outside vmapviz (and JAX)."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    level, frame = 1, sys._getframe(1)
    while frame is not None:
        path = os.path.abspath(frame.f_code.co_filename)
        if not (path.startswith(package) or f"{os.sep}jax{os.sep}" in path):
            return level
        frame, level = frame.f_back, level + 1
    return 1


def _same_axis(a: int, b: int, rank: int) -> bool:
    """Whether two axes of a rank-``rank`` value name the same one (negatives count back)."""
    return (a + rank if a < 0 else a) == (b + rank if b < 0 else b)


def _apply_policy(mapping, s: State, was_read: bool, n: int) -> StateOut:
    policy = mapping.unexpected_out_state_mapping
    what = (f"State {s.describe()} is written with a value that varies across the {n} lanes, "
            "but no state_out_axes filter declares it")
    if policy == "raise":
        raise BatchAxisError(
            f"{what}. Declare it, e.g. state_out_axes={{0: OfType({type(s).__name__})}}, or "
            "choose unexpected_out_state_mapping='ignore', 'warn' or 'auto'."
        )
    reason = f"policy '{policy}': its per-lane values are scattered on a new axis 0"
    warning = None
    if policy == "warn":
        warning = f"{what}; it gains a batch axis of size {n} (policy 'warn')."
    elif policy == "auto" and was_read:
        warning = (f"{what}; it is read and written, so it gains a batch axis of size {n} "
                   "(policy 'auto'). Declare it in state_in_axes and state_out_axes to make "
                   "this explicit.")
    return StateOut(s, 0, reason, True, False, warning, True)
