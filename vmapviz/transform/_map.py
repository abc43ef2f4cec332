"""``map``: apply a stateful function along the leading axis, one step (or chunk) at a time.

States the function writes are carried from step to step, as in a Python loop;
with ``batch_size`` each chunk runs through :func:`vmap2` (same State rules).

>>> import jax.numpy as jnp
>>> from vmapviz import State
>>> total = State(jnp.zeros(()))
>>> def add(x):
...     total.value = total.value + x
...     return total.value
>>> map(add, jnp.arange(4.0))
Array([0., 1., 3., 6.], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.extend
import jax.numpy as jnp

from ._axes import lane_struct
from ._function import write_back
from ._mapping import vmap2
from ._tracing import trace_stateful

__all__ = ["map"]


def map(f: Callable, *xs: Any, batch_size: int | None = None) -> Any:
    """Map ``f`` over the leading axis of ``xs`` sequentially, carrying States.

    Args:
      f: the function, called with one slice of each of ``xs``.
      xs: arrays (or pytrees of arrays) sharing their leading size.
      batch_size: run chunks of this many elements through ``vmap2(f)``.
    """
    leaves = jax.tree.leaves(xs)
    if not leaves:
        raise ValueError("map needs at least one array to map over")
    sizes = {getattr(x, "shape", (None,))[:1] for x in leaves}
    if len(sizes) != 1 or sizes == {()}:
        shapes = [tuple(getattr(x, "shape", ())) for x in leaves]
        raise ValueError(f"map: every input needs the same leading size, got shapes {shapes}")
    n = sizes.pop()[0]
    if batch_size is None:
        return _scan(f, xs)
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"map: batch_size must be a positive int, got {batch_size!r}")
    full = n // batch_size * batch_size
    step = vmap2(f)
    parts = []
    if full:
        chunks = jax.tree.map(lambda x: x[:full].reshape(-1, batch_size, *x.shape[1:]), xs)
        ys = _scan(step, chunks)
        parts.append(jax.tree.map(lambda y: y.reshape(-1, *y.shape[2:]), ys))
    if full < n:
        parts.append(step(*jax.tree.map(lambda x: x[full:], xs)))
    if len(parts) == 1:
        return parts[0]
    return jax.tree.map(lambda *ps: jnp.concatenate(ps), *parts)


def _scan(f: Callable, xs: tuple) -> Any:
    step_avals = jax.tree.map(lambda x: lane_struct(x, 0), xs)
    traced = trace_stateful(f, step_avals, {})
    read, written = traced.read_states, traced.written_states
    written_ids = {id(s) for s in written}
    carried = list(written) + [s for s in read if id(s) not in written_ids]
    carried_ids = {id(s) for s in carried}
    consts = {id(s): s.value for s in read if id(s) not in written_ids}
    elem = jax.extend.core.jaxpr_as_fun(traced.closed_jaxpr)
    n_out = traced.n_out
    _check_carry(traced, written)

    def body(carry, x):
        values = dict(zip([id(s) for s in carried], carry))
        ins = [*jax.tree.leaves(x)]
        for s in read:
            ins.extend(jax.tree.leaves(values[id(s)] if id(s) in carried_ids else consts[id(s)]))
        res = elem(*ins)
        new = dict(values)
        i = n_out
        for s, tdef in zip(written, traced.written_treedefs):
            new[id(s)] = jax.tree.unflatten(tdef, res[i : i + tdef.num_leaves])
            i += tdef.num_leaves
        new_carry = [_like(new[id(s)], values[id(s)]) for s in carried]
        return new_carry, res[:n_out]

    init = [s.value for s in carried]
    final, ys = jax.lax.scan(body, init, xs)
    flat_written = [x for v in final[: len(written)] for x in jax.tree.leaves(v)]
    write_back(written, traced.written_treedefs, flat_written)
    return jax.tree.unflatten(traced.out_tree, ys)


def _check_carry(traced, written) -> None:
    out_avals = traced.closed_jaxpr.out_avals[traced.n_out :]
    i = 0
    for s, tdef in zip(written, traced.written_treedefs):
        for x, new in zip(jax.tree.leaves(s.value), out_avals[i : i + tdef.num_leaves]):
            old = jax.typeof(x)
            if old.shape != new.shape or old.dtype != new.dtype:
                raise ValueError(
                    f"map: State {s.describe()} is written with type "
                    f"{new.str_short(short_dtypes=True)} in one step, but a State carried "
                    "from step to step must keep its type. With batch_size, a State written "
                    "per element needs its own batch axis (use vmap2 with state_in_axes)."
                )
        i += tdef.num_leaves


def _like(new: Any, old: Any) -> Any:
    """Cast a carried value back to its initial dtype (weak types included)."""
    return jax.tree.map(lambda a, b: jax.lax.convert_element_type(a, jnp.result_type(b)), new, old)



