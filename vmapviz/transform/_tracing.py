"""Trace a stateful function once into a ClosedJaxpr.

The jaxpr's inputs are the argument leaves, then the leaves of every State read
(in the order first read); its outputs are the result leaves, then the leaves of
every State written. States are discovered while the function runs: the first
read of a State inside the trace turns its value into a new jaxpr input.

>>> import jax.numpy as jnp
>>> from vmapviz import ShortTermState
>>> s = ShortTermState(jnp.zeros(2))
>>> def f(x):
...     s.value = s.value + x
...     return s.value * 2
>>> t = trace_stateful(f, (jax.ShapeDtypeStruct((2,), jnp.float32),), {})
>>> len(t.read_states), len(t.written_states), len(t.closed_jaxpr.jaxpr.invars)
(1, 1, 2)
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from typing import Any

import jax

from .._jax_private import abstract, aval_type, current_new_arg, fits, is_array
from .._state import State, StateTrace, StateValueError, active_traces, current_value

__all__ = [
    "StateGather", "Traced", "check_writes", "leak_hint", "state_avals", "trace_stateful",
]


@dataclasses.dataclass(frozen=True)
class Traced:
    """What one trace produced."""

    closed_jaxpr: Any
    out_tree: Any
    read_states: tuple[State, ...]
    written_states: tuple[State, ...]
    read_treedefs: tuple  # pytree structure of each read State's value
    written_treedefs: tuple
    read_in_avals: tuple  # abstract value of each read State's leaves, as traced
    n_out: int  # number of result leaves (before written State leaves)

    def touched_states(self) -> tuple[State, ...]:
        """Every State the trace touched: read ones first, then written-only ones."""
        seen = {id(s) for s in self.read_states}
        return self.read_states + tuple(s for s in self.written_states if id(s) not in seen)


class StateGather:
    """Reads the States a trace took as inputs, checking each still has its traced type.

    A value object already checked on an earlier call is not checked again (values
    change by assignment, never in place), so a warm call only looks at States written
    since.
    """

    def __init__(self, states: Sequence[State], sigs: Sequence[tuple]):
        self.states = tuple(states)
        self.sigs = tuple(sigs)
        self._seen: list = [None] * len(self.states)  # (value, its leaves) last checked

    def __call__(self) -> list | None:
        """The leaves of every State, or None as soon as one changed type."""
        recorded = active_traces() > 0
        leaves: list = []
        seen = self._seen
        for i, (state, sig) in enumerate(zip(self.states, self.sigs)):
            value = state.value if recorded else state._value
            last = seen[i]
            if last is not None and last[0] is value:
                leaves.extend(last[1])
                continue
            vals = [value] if is_array(value) else jax.tree.leaves(value)
            if len(vals) != len(sig) or not all(map(fits, vals, sig)):
                return None
            seen[i] = (value, vals)
            leaves.extend(vals)
        return leaves


def leak_hint(err: Exception) -> Exception:
    """JAX's escaped-tracer error, told with the usual causes when States are involved."""
    return jax.errors.UnexpectedTracerError(
        "A traced value escaped the trace it belongs to. vmapviz never stores a traced "
        "value in a State, so it was kept elsewhere: in a global variable, a list, an "
        "attribute of an object, or a closure of a function called later. Return it "
        "from the transformed function instead.\n\n" + str(err)
    )


def state_avals(state: State) -> list:
    """Abstract values of a State's current leaves (never records a read)."""
    return [abstract(x) for x in jax.tree.leaves(current_value(state))]


def _leaf_aval(x: Any) -> Any:
    try:
        return abstract(x)
    except TypeError:
        return None


def _same_type(a: Any, b: Any) -> bool:
    return tuple(a.shape) == tuple(b.shape) and a.dtype == b.dtype


def check_writes(what: str, states: Sequence[State], values: Sequence[Any],
                 expected: Callable[[State], list]) -> None:
    """Every State written inside a trace keeps its shape and dtype (weak types aside).

    ``expected(state)`` lists the acceptable per-leaf abstract values (one list per
    alternative), or returns None to leave the type to the caller. Raises
    :class:`StateValueError` naming the State, nothing written.
    """
    for state, value in zip(states, values):
        leaves = jax.tree.leaves(value)
        avals = [_leaf_aval(x) for x in leaves]
        for x, aval in zip(leaves, avals):
            if aval is None:
                raise StateValueError(
                    f"{what} assigns a {type(x).__name__} to State {state.label()} "
                    f"({type(state).__name__}); inside a transform a State holds arrays "
                    "only. Nothing was written."
                )
        options = expected(state)
        if options is None:  # decided by the caller once it knows more
            continue
        if any(len(o) == len(avals) and all(map(_same_type, o, avals)) for o in options):
            continue
        new = ", ".join(aval_type(a) for a in avals)
        old = " or ".join(", ".join(aval_type(a) for a in o) for o in options)
        raise StateValueError(
            f"{what} writes State {state.label()} ({type(state).__name__}) with a value of "
            f"type {new}, but it holds {old} there. A write inside a transform keeps the "
            "State's shape and dtype (only the write-back policies add a batch axis); "
            "nothing was written. Write a value of the same type, or give the State a new "
            "value outside the transform."
        )


def trace_stateful(
    fun: Callable,
    arg_avals: tuple,
    kwarg_avals: dict,
    state_input: Callable[[State], list] | None = None,
    axis_env: Sequence[tuple[Any, int]] | None = None,
    rebuild: Callable[[tuple, dict], tuple[tuple, dict]] | None = None,
    what: str = "the traced function",
    write_avals: Callable[[State], list] | None = None,
    strict: bool = False,
) -> Traced:
    """Trace ``fun`` once with abstract arguments, discovering the States it touches.

    Args:
      fun: the user function.
      arg_avals, kwarg_avals: pytrees of ``jax.ShapeDtypeStruct`` (or avals).
      state_input: ``state_input(state) -> [aval per leaf]``: the abstract value a
        State read enters the trace with (default: its current value's). Raising
        here aborts the trace with every State unchanged.
      axis_env: named axes the function may use in collectives.
      rebuild: ``rebuild(args, kwargs)`` re-inserts static arguments before calling.
      what: names the transform in error messages (``"vmap2 of step"``).
      write_avals: ``write_avals(state) -> [[aval per leaf], ...]``: the types a State
        written without being read may take (default: its current value's).
      strict: refuse even the new types a nested transform's write-back policy gave a
        State (a loop carry or a branch output keeps its type).
    """
    holder: dict[str, Any] = {}
    flat_avals, in_tree = jax.tree.flatten((tuple(arg_avals), dict(kwarg_avals)))
    in_aval_of: dict[int, list] = {}

    def traced(*flat):
        frame = StateTrace(new_arg=_entry(current_new_arg(), state_input, in_aval_of))
        with frame:
            args, kwargs = jax.tree.unflatten(in_tree, flat)
            if rebuild is not None:
                args, kwargs = rebuild(args, kwargs)
            out = fun(*args, **kwargs)
        out_leaves, out_tree = jax.tree.flatten(out)
        written = frame.written_states
        values = [frame.held(s) for s in written]
        check_writes(what, written, values, functools.partial(
            _write_options, in_aval_of=in_aval_of, write_avals=write_avals, frame=frame,
            strict=strict))
        holder.update(frame=frame, out_tree=out_tree, n_out=len(out_leaves), written=written)
        holder["written_treedefs"] = tuple(jax.tree.structure(v) for v in values)
        return [*out_leaves, *(x for v in values for x in jax.tree.leaves(v))]

    try:
        closed = jax.make_jaxpr(traced, axis_env=axis_env)(*flat_avals)
    except jax.errors.UnexpectedTracerError as err:
        raise leak_hint(err) from err
    read = tuple(holder["frame"].read_states)
    return Traced(
        closed_jaxpr=closed, out_tree=holder["out_tree"], read_states=read,
        written_states=tuple(holder["written"]),
        read_treedefs=tuple(jax.tree.structure(current_value(s)) for s in read),
        written_treedefs=holder["written_treedefs"],
        read_in_avals=tuple(tuple(in_aval_of[id(s)]) for s in read), n_out=holder["n_out"],
    )


def _entry(new_arg: Callable, state_input: Callable | None, in_aval_of: dict) -> Callable:
    """How a State read enters the trace: a new jaxpr input of the type ``state_input``
    gives (default: its current value's), remembered in ``in_aval_of``."""

    def enter(state: State) -> Any:
        avals = state_input(state) if state_input is not None else state_avals(state)
        in_aval_of[id(state)] = avals
        treedef = jax.tree.structure(current_value(state))
        return jax.tree.unflatten(treedef, [new_arg(a) for a in avals])

    return enter


def _write_options(state: State, *, in_aval_of: dict, write_avals: Callable | None,
                   frame: StateTrace, strict: bool) -> list | None:
    """The types a write to ``state`` may have: the type it was read with, else what
    ``write_avals`` allows, else its current type; plus a nested write-back's new type
    unless ``strict``."""
    if id(state) in in_aval_of:
        options = [in_aval_of[id(state)]]
    elif write_avals is not None:
        options = write_avals(state)
    else:  # as the enclosing trace sees it (a read there, if one is active)
        options = [[abstract(x) for x in jax.tree.leaves(state.value)]]
    if options is not None and not strict and id(state) in frame.retyped:
        options = [*options, [abstract(x) for x in jax.tree.leaves(frame.retyped[id(state)])]]
    return options
