"""State-aware ``jax.checkpoint``: recompute the function in the backward pass.

>>> import jax.numpy as jnp
>>> from vmapviz import ParamState
>>> from vmapviz.transform import grad
>>> w = ParamState(jnp.array(2.0))
>>> f = remat(lambda x: jnp.sin(w.value * x))
>>> float(grad(lambda x: f(x), grad_states=w)(1.0)) == float(jnp.cos(2.0))
True
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import jax

from ._function import StatefulFunction

__all__ = ["remat"]


def remat(
    fun: Callable | None = None,
    *,
    prevent_cse: bool = True,
    policy: Callable[..., bool] | None = None,
    static_argnums: int | Sequence[int] = (),
) -> Any:
    """``jax.checkpoint`` for functions that read and write States (also ``@remat(...)``).

    The function is traced once per signature; States it reads enter the checkpointed
    computation as inputs, States it writes are written back after it.
    """
    if fun is None:
        return functools.partial(remat, prevent_cse=prevent_cse, policy=policy,
                                 static_argnums=static_argnums)
    wrap = functools.partial(jax.checkpoint, prevent_cse=prevent_cse, policy=policy)
    sf = StatefulFunction(fun, static_argnums, wrap=wrap, transform="remat")
    functools.update_wrapper(sf, fun, updated=())
    return sf
