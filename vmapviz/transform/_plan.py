"""A traced mapped call turned into a plan: batch axes in and out, a compiled runner.

Built once per signature from the per-element trace and the decisions of
:mod:`._decide`; every warm call only gathers State values, runs the compiled
batched program and writes States back. The records of a call are built from a
plan by :mod:`._plan_records`.
"""

from __future__ import annotations

import os
import sys
import warnings

import jax
import jax.extend

from .._jax_private import abstract, aval_type, is_tracer, shape_struct
from .._state import commit, current_value, short_type
from ..records import Change, Difference
from . import _hooks as hooks
from ._axes import broadcast_prefix
from ._cache import describe_aval
from ._decide import Feed, MapSpec, StateIn, StateOut, auto_per_lane, state_out
from ._errors import MappingError
from ._keys import split_for_lanes
from ._plan_records import write_record
from ._propagate import batched_outputs
from ._shard import shard_lanes
from ._tracing import StateGather, Traced

__all__ = ["Plan", "build_plan", "transform_name"]


class Plan:
    """Everything a warm call needs, plus what the records describe."""

    def __init__(self, mapping, call, axes, n, traced: Traced, state_in: dict, in_batched,
                 outs_batched, out_axes, state_out: list[StateOut], paths: dict):
        self.spec: MapSpec = mapping.spec
        self.mapping_name = mapping.name
        self.axis_name = mapping.axis_name
        self.n = n
        self.traced = traced
        self.axes = axes
        self.arg_names = call.leaf_names()
        self.arg_avals = tuple(jax.typeof(x) for x in call.leaves)
        self.state_in: list[StateIn] = [state_in[id(s)] for s in traced.read_states]
        self.in_batched = tuple(in_batched)
        self.outs_batched = outs_batched
        self.out_axes = out_axes
        self.state_out = state_out
        self.paths = paths
        self.transform = self.spec.transform
        self._batched_jaxpr = None
        self._read_treedefs = traced.read_treedefs
        self._filter_results = mapping._filter_results if mapping._filters else None
        self._gather = StateGather(traced.read_states, [d.outer_sigs for d in self.state_in])
        self._decisions = self._decision_inputs()
        self.cacheable = not any(is_tracer(c) for c in traced.closed_jaxpr.consts)
        read = {id(s) for s, d in zip(traced.read_states, self.state_in) if d.axis is not None}
        self._retyped = frozenset(id(o.state) for o in state_out
                                  if o.axis is not None and id(o.state) not in read)
        self.random_leaves = self._random_leaf_positions()
        self._build_runner(mapping)

    # ---------------------------------------------------------------- runner

    def _random_leaf_positions(self) -> list[int]:
        pos, i = [], 0
        for d, tdef in zip(self.state_in, self._read_treedefs):
            if d.feed is Feed.RANDOM:
                pos.extend(range(i, i + tdef.num_leaves))
            i += tdef.num_leaves
        return pos

    def _kept_outputs(self) -> tuple[list[int], list]:
        """Which per-element outputs leave the map (lane keys do not), and on which axis."""
        t = self.traced
        keep, keep_axes = list(range(t.n_out)), list(self.out_axes)
        i = t.n_out
        for out, tdef in zip(self.state_out, t.written_treedefs):
            if not out.discard:
                keep.extend(range(i, i + tdef.num_leaves))
                keep_axes.extend([out.axis] * tdef.num_leaves)
            i += tdef.num_leaves
        return keep, keep_axes

    def _build_runner(self, mapping) -> None:
        elem = jax.extend.core.jaxpr_as_fun(self.traced.closed_jaxpr)
        state_axes = []
        for d, tdef in zip(self.state_in, self._read_treedefs):
            state_axes.extend([d.axis] * tdef.num_leaves)
        keep, keep_axes = self._kept_outputs()

        def one_lane(*xs):
            res = elem(*xs)
            return tuple(res[j] for j in keep)

        mapping_fn = mapping.mapping_fn
        if _base(mapping_fn) is jax.shard_map:
            mapping_fn = shard_lanes
        mapped = mapping_fn(
            one_lane, in_axes=tuple(self.axes) + tuple(state_axes), out_axes=tuple(keep_axes),
            axis_name=mapping.axis_name, axis_size=self.n, **dict(mapping.mapping_kwargs),
        )
        n, random_leaves = self.n, self.random_leaves

        def run(arg_leaves, state_leaves):
            ins = list(state_leaves)
            new_keys = []
            for j in random_leaves:
                kept, ins[j] = split_for_lanes(ins[j], n)
                new_keys.append(kept)
            return mapped(*arg_leaves, *ins), new_keys

        self._run_python = run
        self.compiled = _base(mapping.mapping_fn) is not jax.pmap
        self._runner = jax.jit(run) if self.compiled else run

    def run(self, arg_leaves, state_leaves):
        return self._runner(arg_leaves, state_leaves)

    def batched_jaxpr(self):
        """The jaxpr of the whole mapped call (made on first request)."""
        if self._batched_jaxpr is None:
            n_args = len(self.arg_avals)
            state_avals = [a for d in self.state_in for a in d.outer_avals]
            structs = [shape_struct(a) for a in (*self.arg_avals, *state_avals)]

            def flat_run(*xs):
                outs, keys = self._run_python(list(xs[:n_args]), list(xs[n_args:]))
                return (*outs, *keys)

            self._batched_jaxpr = jax.make_jaxpr(flat_run)(*structs)
        return self._batched_jaxpr

    def batched_out_avals(self) -> list:
        """Types of the call's outputs (batch axis inserted where out_axes says)."""
        t = self.traced
        return [a if ax is None else shape_struct(a, insert=(ax, self.n))
                for a, ax in zip(t.closed_jaxpr.out_avals[: t.n_out], self.out_axes)]

    # ---------------------------------------------------------------- state I/O

    def gather_states(self) -> list | None:
        """Current leaves of the States read, or None if one changed type since the trace."""
        return self._gather()

    def _decision_inputs(self) -> list:
        """What decided each touched State's batching: its type and every filter's answer."""
        answers = self._filter_results
        return [(s, type(s), answers and answers(s, self.paths.get(id(s), ())))
                for s in self.traced.touched_states()]

    def stale_reason(self, types_changed: bool) -> tuple[Difference, ...] | None:
        """Why this plan no longer fits the States (None when it does)."""
        if types_changed:
            return (self.state_change(),)
        for s, kind, results in self._decisions:
            if type(s) is not kind:
                return (Difference(Change.STATE_CLASS, s.label(), type(s).__name__,
                                   kind.__name__),)
            if self._filter_results is None:
                continue
            now = self._filter_results(s, self.paths.get(id(s), ()))
            if now != results:
                return (Difference(Change.STATE_FILTERS, s.label(), _answers(now),
                                   _answers(results), repr(s.tag)),)
        return None

    def state_change(self) -> Difference:
        """The first State read whose shape or dtype changed since the trace."""
        for state, d in zip(self.traced.read_states, self.state_in):
            now = tuple(abstract(x) for x in jax.tree.leaves(current_value(state)))
            if now != d.outer_sigs:
                before = ", ".join(aval_type(a) for a in d.outer_sigs)
                after = ", ".join(aval_type(a) for a in now)
                if before == after:
                    before = ", ".join(describe_aval(a) for a in d.outer_sigs)
                    after = ", ".join(describe_aval(a) for a in now)
                return Difference(Change.STATE_TYPE, state.label(), after, before)
        return Difference(Change.STATE_TYPE)

    def auto_per_lane(self) -> set[int]:
        """States policy 'auto' feeds per lane on a second trace (see ``_decide``)."""
        return auto_per_lane(self.state_out, dict(zip(map(id, self.traced.read_states),
                                                      self.state_in)), self.n)

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
            if d.feed is Feed.RANDOM:
                states.append(state)
                values.append(jax.tree.unflatten(tdef, new_keys[k : k + tdef.num_leaves]))
                k += tdef.num_leaves
        commit(states, values, f"{self.transform} of {self.mapping_name}", self._retyped)
        if before is not None:
            hooks.emit_if_observed(lambda: write_record(self, before))

    def outputs(self, result):
        outs, _ = result
        return jax.tree.unflatten(self.traced.out_tree, outs[: self.traced.n_out])


def _base(fn):
    """The function under any ``functools.partial`` layers."""
    while hasattr(fn, "func"):
        fn = fn.func
    return fn


def transform_name(mapping_fn) -> str:
    """``vmap2``, ``pmap2`` or ``shard_map``: how records and messages name a mapping."""
    return {jax.pmap: "pmap2", jax.shard_map: "shard_map"}.get(_base(mapping_fn), "vmap2")


def _answers(results: tuple) -> str:
    return "(" + ", ".join("yes" if r else "no" for r in results) + ")"


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


def build_plan(mapping, call, axes, n, traced: Traced, decided: dict, paths: dict) -> Plan:
    """Decide every batch axis from the trace, apply the policy, compile the runner."""
    in_batched = [ax is not None for ax in axes]
    for s, tdef in zip(traced.read_states, traced.read_treedefs):
        in_batched.extend([decided[id(s)].feed is not Feed.BROADCAST] * tdef.num_leaves)
    out_b = batched_outputs(traced.closed_jaxpr, in_batched, mapping.axis_name)
    outs_batched = out_b[: traced.n_out]
    out_avals = traced.closed_jaxpr.out_avals
    out_axes = _output_axes(mapping.out_axes, traced, outs_batched)
    for j, (ax, aval) in enumerate(zip(out_axes, out_avals)):
        _check_out_axis(ax, aval, f"output {j} ({aval_type(aval)} in each lane)", "out_axes")
    outs = []
    i = traced.n_out
    for s, tdef in zip(traced.written_states, traced.written_treedefs):
        lane = out_avals[i : i + tdef.num_leaves]
        batched = any(out_b[i : i + tdef.num_leaves])
        i += tdef.num_leaves
        o = state_out(mapping.spec, s, batched, decided.get(id(s)), paths.get(id(s), ()), n,
                      lane)
        if o.axis is not None and not o.discard:
            for aval in lane:
                _check_out_axis(o.axis, aval, f"State {s.describe()} ({aval_type(aval)} in "
                                "each lane)", "state_out_axes")
        outs.append(o)
    return Plan(mapping, call, axes, n, traced, decided, in_batched, outs_batched, out_axes,
                outs, paths)

