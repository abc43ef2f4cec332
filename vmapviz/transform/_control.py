"""Stateful control flow: ``scan``, ``cond``, ``switch``, ``while_loop``, ``fori_loop``.

JAX's own loops and branches cannot write a State from inside their bodies (the
value would leak out of the body's trace). These versions trace each body once,
carry the States it writes through the loop (or out of the taken branch), pass the
States it only reads in as constants, and write the results back afterwards. They
compose with :func:`vmap2`, :func:`jit` and each other.

>>> import jax.numpy as jnp
>>> from vmapviz import State
>>> total = State(jnp.zeros(()))
>>> def body(c, x):
...     total.value = total.value + x
...     return c + 1, total.value
>>> scan(body, 0, jnp.arange(4.0))
(Array(4, dtype=int32, weak_type=True), Array([0., 1., 3., 6.], dtype=float32))
>>> total.value
Array(6., dtype=float32)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.extend
import jax.numpy as jnp

from .._jax_private import shape_struct
from .._state import STATE_LOCK, State
from ._function import write_back
from ._tracing import Traced, trace_stateful

__all__ = ["cond", "for_loop", "fori_loop", "scan", "switch", "while_loop"]


def _atomic(fn: Callable) -> Callable:
    """Run ``fn`` holding :data:`STATE_LOCK`: atomic for the States it touches."""
    @functools.wraps(fn)
    def locked(*args, **kwargs):
        with STATE_LOCK:
            return fn(*args, **kwargs)
    return locked


def _leaves_of(states: Sequence[State], values: dict) -> list:
    return [x for s in states for x in jax.tree.leaves(values[id(s)])]


def _unique(states) -> list[State]:
    seen, out = set(), []
    for s in states:
        if id(s) not in seen:
            seen.add(id(s))
            out.append(s)
    return out


def _run(traced: Traced, arg_leaves: list, values: dict) -> tuple[list, dict]:
    """Evaluate a traced body: result leaves, and the new value of each State written."""
    ins = [*arg_leaves, *_leaves_of(traced.read_states, values)]
    res = jax.extend.core.jaxpr_as_fun(traced.closed_jaxpr)(*ins)
    new = dict(values)
    i = traced.n_out
    for s, tdef in zip(traced.written_states, traced.written_treedefs):
        new[id(s)] = jax.tree.unflatten(tdef, res[i : i + tdef.num_leaves])
        i += tdef.num_leaves
    return list(res[: traced.n_out]), new


def _cast_like(new: Any, old: Any) -> Any:
    """Give a carried value the dtype it entered with (a loop carry keeps its type)."""
    return jax.tree.map(lambda a, b: jax.lax.convert_element_type(a, jnp.result_type(b)),
                        new, old)


def _promote_weak(leaves: list, out_avals: Sequence[Any]) -> list | None:
    """Weakly typed initial carries promoted to the dtype the body returns (as jax.lax
    loops do), or None when nothing needs promoting."""
    promoted, changed = [], False
    for x, out in zip(leaves, out_avals):
        aval = jax.typeof(x)
        if aval.weak_type and aval.dtype != out.dtype:
            promoted.append(jax.lax.convert_element_type(x, out.dtype))
            changed = True
        else:
            promoted.append(x)
    return promoted if changed else None


@_atomic
def scan(f: Callable, init: Any, xs: Any = None, length: int | None = None,
         reverse: bool = False, unroll: int | bool = 1) -> tuple[Any, Any]:
    """``jax.lax.scan`` whose body may read and write States.

    ``f(carry, x) -> (carry, y)``; States written by ``f`` are carried from step to
    step and hold their final value afterwards.
    """
    x_structs = jax.tree.map(lambda x: shape_struct(x, drop=0), xs)
    init_leaves, init_tree = jax.tree.flatten(init)
    n_carry = len(init_leaves)
    traced = trace_stateful(f, (jax.tree.map(shape_struct, init), x_structs), {}, what="scan", strict=True)
    promoted = _promote_weak(init_leaves, traced.closed_jaxpr.out_avals[:n_carry])
    if promoted is not None:
        init_leaves = promoted
        init_structs = jax.tree.unflatten(init_tree, [shape_struct(x) for x in promoted])
        traced = trace_stateful(f, (init_structs, x_structs), {}, what="scan", strict=True)
    carried = list(traced.written_states)
    start = {id(s): s.value for s in _unique([*traced.read_states, *carried])}

    def body(c, x):
        user, state_vals = c
        values = dict(start)
        values.update(zip((id(s) for s in carried), state_vals))
        res, new = _run(traced, [*user, *jax.tree.leaves(x)], values)
        new_states = [_cast_like(new[id(s)], start[id(s)]) for s in carried]
        return (res[:n_carry], new_states), res[n_carry:]

    state_init = [start[id(s)] for s in carried]
    (user, states), ys = jax.lax.scan(body, (init_leaves, state_init), xs, length=length,
                                      reverse=reverse, unroll=unroll)
    write_back(carried, traced.written_treedefs,
               [x for v in states for x in jax.tree.leaves(v)], "scan")
    out_tree = traced.out_tree
    carry_tree, y_tree = out_tree.children() if out_tree.num_nodes > 1 else (init_tree, None)
    return jax.tree.unflatten(carry_tree, user), jax.tree.unflatten(y_tree, ys)


@_atomic
def switch(index: Any, branches: Sequence[Callable], *operands: Any) -> Any:
    """``jax.lax.switch`` whose branches may read and write States.

    A State written by any branch is written back; branches that leave it alone pass
    its current value through.
    """
    structs = jax.tree.map(shape_struct, operands)
    traces = [trace_stateful(br, structs, {}, what="switch", strict=True) for br in branches]
    reads = _unique(s for t in traces for s in t.read_states)
    writes = _unique(s for t in traces for s in t.written_states)
    touched = _unique([*reads, *writes])
    op_leaves = jax.tree.leaves(operands)
    treedefs = [jax.tree.structure(s.value) for s in writes]

    def make(t: Traced):
        def run(*xs):
            values = dict(zip((id(s) for s in touched), xs[len(op_leaves):]))
            res, new = _run(t, list(xs[: len(op_leaves)]), values)
            return res, [_cast_like(new[id(s)], values[id(s)]) for s in writes]
        return run

    state_vals = [s.value for s in touched]
    outs, written = jax.lax.switch(index, [make(t) for t in traces], *op_leaves, *state_vals)
    write_back(writes, treedefs, [x for v in written for x in jax.tree.leaves(v)], "switch")
    return jax.tree.unflatten(traces[0].out_tree, outs)


def cond(pred: Any, true_fun: Callable, false_fun: Callable, *operands: Any) -> Any:
    """``jax.lax.cond`` whose branches may read and write States."""
    index = (jnp.asarray(pred) != 0).astype(jnp.int32)  # any non-zero value is true
    return switch(index, [false_fun, true_fun], *operands)


@_atomic
def while_loop(cond_fun: Callable, body_fun: Callable, init_val: Any) -> Any:
    """``jax.lax.while_loop`` whose body may read and write States (the condition reads)."""
    init_leaves, init_tree = jax.tree.flatten(init_val)
    body_t = trace_stateful(body_fun, (jax.tree.map(shape_struct, init_val),), {},
                            what="while_loop", strict=True)
    promoted = _promote_weak(init_leaves, body_t.closed_jaxpr.out_avals[: len(init_leaves)])
    if promoted is not None:
        init_leaves = promoted
        init_val = jax.tree.unflatten(init_tree, promoted)
        body_t = trace_stateful(body_fun, (jax.tree.map(shape_struct, init_val),), {},
                            what="while_loop", strict=True)
    structs = jax.tree.map(shape_struct, init_val)
    cond_t = trace_stateful(cond_fun, (structs,), {}, what="while_loop", strict=True)
    if cond_t.written_states:
        raise ValueError(
            f"while_loop: cond_fun writes State {cond_t.written_states[0].describe()}; the "
            "condition may read States but not write them."
        )
    carried = list(body_t.written_states)
    start = {id(s): s.value
             for s in _unique([*body_t.read_states, *cond_t.read_states, *carried])}

    def values_of(state_vals):
        values = dict(start)
        values.update(zip((id(s) for s in carried), state_vals))
        return values

    def cond_fn(c):
        user, state_vals = c
        return _run(cond_t, list(user), values_of(state_vals))[0][0]

    def body_fn(c):
        user, state_vals = c
        res, new = _run(body_t, list(user), values_of(state_vals))
        return res, [_cast_like(new[id(s)], start[id(s)]) for s in carried]

    user, states = jax.lax.while_loop(cond_fn, body_fn,
                                      (init_leaves, [start[id(s)] for s in carried]))
    write_back(carried, body_t.written_treedefs,
               [x for v in states for x in jax.tree.leaves(v)], "while_loop")
    return jax.tree.unflatten(init_tree, user)


def fori_loop(lower: int, upper: int, body_fun: Callable, init_val: Any) -> Any:
    """``jax.lax.fori_loop`` whose body may read and write States: ``body_fun(i, val)``."""
    def body(c):
        i, val = c
        return i + 1, body_fun(i, val)

    return while_loop(lambda c: c[0] < upper, body, (jnp.asarray(lower), init_val))[1]


def for_loop(f: Callable, *xs: Any, length: int | None = None, reverse: bool = False,
             unroll: int | bool = 1) -> Any:
    """Run ``f(*x)`` for each slice of ``xs`` along axis 0; return the stacked results.

    A :func:`scan` without a carry (brainstate's time-stepping loop): States that ``f``
    writes are carried from step to step.

    >>> import jax.numpy as jnp
    >>> from vmapviz import State
    >>> v = State(jnp.zeros(()))
    >>> def step(i):
    ...     v.value = v.value + i
    ...     return v.value
    >>> for_loop(step, jnp.arange(4.0))
    Array([0., 1., 3., 6.], dtype=float32)
    """
    return scan(lambda carry, x: (carry, f(*x)), None, xs, length=length, reverse=reverse,
                unroll=unroll)[1]
