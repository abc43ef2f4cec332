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
from collections.abc import Callable, Sequence
from typing import Any

import jax

from .._state import State, StateTrace
from ._jax_private import abstract, current_new_arg

__all__ = ["Traced", "leak_hint", "state_avals", "trace_stateful"]


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


def leak_hint(err: Exception) -> Exception:
    """JAX's escaped-tracer error, with the usual cause when States are involved."""
    return jax.errors.UnexpectedTracerError(
        "A value escaped the trace it belongs to. If a State was written inside a "
        "jax.lax.scan / cond / while_loop body, write it with vmapviz.transform.scan / "
        "cond / switch / while_loop / fori_loop instead: they carry States out of loops "
        "and branches.\n\n" + str(err)
    )


def state_avals(state: State) -> list:
    """Abstract values of a State's current leaves (never records a read)."""
    return [abstract(x) for x in jax.tree.leaves(state._value)]


def trace_stateful(
    fun: Callable,
    arg_avals: tuple,
    kwarg_avals: dict,
    state_input: Callable[[State], list] | None = None,
    axis_env: Sequence[tuple[Any, int]] | None = None,
    rebuild: Callable[[tuple, dict], tuple[tuple, dict]] | None = None,
) -> Traced:
    """Trace ``fun`` once with abstract arguments, discovering the States it touches.

    Args:
      fun: the user function.
      arg_avals, kwarg_avals: pytrees of ``jax.ShapeDtypeStruct`` (or avals).
      state_input: ``state_input(state) -> [aval per leaf]``: the abstract value a
        State read enters the trace with (default: its current value's). Raising
        here aborts the trace with every State restored.
      axis_env: named axes the function may use in collectives.
      rebuild: ``rebuild(args, kwargs)`` re-inserts static arguments before calling.
    """
    holder: dict[str, Any] = {}
    flat_avals, in_tree = jax.tree.flatten((tuple(arg_avals), dict(kwarg_avals)))
    in_aval_of: dict[int, list] = {}

    def traced(*flat):
        new_arg = current_new_arg()

        def enter(state: State) -> Any:
            avals = state_input(state) if state_input is not None else state_avals(state)
            in_aval_of[id(state)] = avals
            treedef = jax.tree.structure(state._value)
            return jax.tree.unflatten(treedef, [new_arg(a) for a in avals])

        frame = StateTrace(new_arg=enter)
        with frame:
            args, kwargs = jax.tree.unflatten(in_tree, flat)
            if rebuild is not None:
                args, kwargs = rebuild(args, kwargs)
            out = fun(*args, **kwargs)
            out_leaves, out_tree = jax.tree.flatten(out)
            written = frame.written_states
            written_leaves = [jax.tree.leaves(s._value) for s in written]
        holder.update(frame=frame, out_tree=out_tree, n_out=len(out_leaves), written=written)
        holder["written_treedefs"] = tuple(jax.tree.structure(s._value) for s in written)
        return [*out_leaves, *(x for leaves in written_leaves for x in leaves)]

    try:
        closed = jax.make_jaxpr(traced, axis_env=axis_env)(*flat_avals)
    except jax.errors.UnexpectedTracerError as err:
        raise leak_hint(err) from err
    frame: StateTrace = holder["frame"]
    read = tuple(frame.read_states)
    return Traced(
        closed_jaxpr=closed,
        out_tree=holder["out_tree"],
        read_states=read,
        written_states=tuple(holder["written"]),
        read_treedefs=tuple(jax.tree.structure(s._value) for s in read),
        written_treedefs=holder["written_treedefs"],
        read_in_avals=tuple(tuple(in_aval_of[id(s)]) for s in read),
        n_out=holder["n_out"],
    )
