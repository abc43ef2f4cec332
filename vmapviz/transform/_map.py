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
import jax.numpy as jnp

from ._control import for_loop
from ._errors import BatchAxisError
from ._mapping import vmap2

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
    scalars = [x for x in leaves if getattr(x, "shape", None) == ()]
    if scalars:
        raise ValueError(
            f"map: got a 0-d input ({_type(scalars[0])}); map slices every input along its "
            "leading axis, so each needs at least one axis."
        )
    sizes = {getattr(x, "shape", (None,))[:1] for x in leaves}
    if len(sizes) != 1:
        shapes = [tuple(getattr(x, "shape", ())) for x in leaves]
        raise ValueError(f"map: every input needs the same leading size, got shapes {shapes}")
    n = sizes.pop()[0]
    if batch_size is None:
        return _scan(f, xs)
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"map: batch_size must be a positive int, got {batch_size!r}")
    try:
        parts = _chunks(f, xs, n, batch_size)
    except BatchAxisError as err:
        raise BatchAxisError(
            f"map with batch_size={batch_size} runs each chunk of {batch_size} elements "
            "through vmap2, so a State written with a different value per element cannot be "
            "carried from chunk to chunk. Run map without batch_size to write it element "
            f"by element. ({err})"
        ) from err
    if len(parts) == 1:
        return parts[0]
    return jax.tree.map(lambda *ps: jnp.concatenate(ps), *parts)


def _chunks(f: Callable, xs: tuple, n: int, batch_size: int) -> list:
    full = n // batch_size * batch_size
    step = vmap2(f, unexpected_out_state_mapping="raise")
    parts = []
    if full:
        chunks = jax.tree.map(lambda x: x[:full].reshape(-1, batch_size, *x.shape[1:]), xs)
        ys = _scan(step, chunks)
        parts.append(jax.tree.map(lambda y: y.reshape(-1, *y.shape[2:]), ys))
    if full < n:
        parts.append(step(*jax.tree.map(lambda x: x[full:], xs)))
    return parts


def _type(x: Any) -> str:
    return jax.typeof(x).str_short(short_dtypes=True) if hasattr(x, "dtype") else type(x).__name__


def _scan(f: Callable, xs: tuple) -> Any:
    return for_loop(f, *xs)
