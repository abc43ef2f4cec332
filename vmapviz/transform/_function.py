"""StatefulFunction: trace once per argument signature, cache the ClosedJaxpr.

>>> import jax.numpy as jnp
>>> from vmapviz import ShortTermState
>>> s = ShortTermState(jnp.zeros(2))
>>> def step(x):
...     s.value = s.value + x
...     return s.value.sum()
>>> sf = StatefulFunction(step)
>>> key = sf.get_arg_cache_key(jnp.ones(2))
>>> _ = sf.make_jaxpr(jnp.ones(2))
>>> [type(st).__name__ for st in sf.get_states_by_cache(key)]
['ShortTermState']
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.extend

from .._jax_private import shape_struct
from .._state import STATE_LOCK, State, commit
from ._arguments import (
    Call,
    complete_static,
    normalize_argnums,
    parameter_names,
    reinsert_static,
)
from ._cache import CachedTraces, SignatureCache
from ._tracing import StateGather, Traced, leak_hint, trace_stateful

__all__ = ["CacheEntry", "StatefulFunction", "jit"]


@dataclasses.dataclass
class CacheEntry:
    """One traced signature: the jaxpr, its States, and a compiled runner."""

    traced: Traced
    runner: Callable | None = None
    gather: StateGather | None = None

    @property
    def jaxpr(self):
        return self.traced.closed_jaxpr


class StatefulFunction(CachedTraces):
    """A function whose State reads and writes become jaxpr inputs and outputs.

    Traced once per argument signature (pytree structure, shapes, dtypes, static
    values); the cache keeps the ``cache_size`` most recent signatures.

    Args:
      fun: the function.
      static_argnums, static_argnames: arguments treated as compile-time constants.
      axis_env: ``[(axis_name, size)]`` for functions that use collectives.
      name: shown in records and messages.
      cache_size: how many signatures to keep.
      wrap: how the traced jaxpr runs (``jax.jit``; ``jax.checkpoint`` for ``remat``).
      transform: the transform's name in messages.
    """

    def __init__(
        self,
        fun: Callable,
        static_argnums: int | Sequence[int] = (),
        static_argnames: str | Sequence[str] = (),
        axis_env: Sequence[tuple[Any, int]] | None = None,
        name: str | None = None,
        cache_size: int = 128,
        wrap: Callable[[Callable], Callable] = jax.jit,
        transform: str = "jit",
    ):
        if not callable(fun):
            raise TypeError(f"StatefulFunction expects a callable, got {type(fun).__name__}")
        self._wrap = wrap
        self._transform = transform
        self.fun = fun
        self._wrapped = fun
        self.static_argnums = normalize_argnums(static_argnums, "static_argnums")
        if isinstance(static_argnames, str):
            static_argnames = (static_argnames,)
        self.static_argnames = tuple(static_argnames)
        self.axis_env = axis_env
        self.name = name or getattr(fun, "__name__", type(fun).__name__)
        self.cache_size = cache_size
        self._cache = SignatureCache(f"{transform} of {self.name}", cache_size)
        self._names = parameter_names(fun)
        self.static_argnums, self.static_argnames = complete_static(
            self._names, self.static_argnums, self.static_argnames
        )
        self.trace_count = 0

    # ------------------------------------------------------------------ cache

    def _entry(self, key: Any) -> CacheEntry:
        return self._cache[key]

    def get_jaxpr_by_cache(self, key: Any):
        """The ClosedJaxpr traced for ``key``."""
        return self._entry(key).jaxpr

    def get_out_tree_by_cache(self, key: Any):
        return self._entry(key).traced.out_tree

    # ------------------------------------------------------------------ tracing

    def make_jaxpr(self, *args, **kwargs):
        """Trace (if not cached) and return the ClosedJaxpr for these arguments."""
        call = self._split(args, kwargs)
        with STATE_LOCK:
            return self._lookup(call, call.signature()).jaxpr

    def _lookup(self, call: Call, key: Any) -> CacheEntry:
        entry = self._cache.get(key)
        if entry is not None:
            return entry
        call.check()
        arg_structs = jax.tree.map(shape_struct, call.dyn_args)
        kwarg_structs = jax.tree.map(shape_struct, call.dyn_kwargs)
        traced = trace_stateful(
            self.fun, arg_structs, kwarg_structs, axis_env=self.axis_env,
            rebuild=functools.partial(reinsert_static, call.static), what=f"{self._transform} of {self.name}",
        )
        self.trace_count += 1
        entry = CacheEntry(traced)
        self._cache.put(key, entry)
        return entry

    # ------------------------------------------------------------------ calling

    def _call(self, call: Call, key: Any):
        """Run the traced jaxpr (compiled) and write the written States back."""
        entry = self._lookup(call, key)
        state_leaves = _gather(entry)
        if state_leaves is None:  # a State changed shape or dtype since the trace
            self._cache.drop(key)
            entry = self._lookup(call, key)
            state_leaves = _gather(entry)
        if entry.runner is None:
            entry.runner = self._wrap(jax.extend.core.jaxpr_as_fun(entry.jaxpr))
        t = entry.traced
        try:
            outs = entry.runner(*call.leaves, *state_leaves)
        except jax.errors.UnexpectedTracerError as err:
            self._cache.drop(key)
            raise leak_hint(err) from err
        write_back(t.written_states, t.written_treedefs, outs[t.n_out:], f"{self._transform} of {self.name}")
        return jax.tree.unflatten(t.out_tree, outs[: t.n_out])


def _gather(entry: CacheEntry) -> list | None:
    """Leaves of the States read, or None when one no longer has the type it was traced with."""
    if entry.gather is None:
        entry.gather = StateGather(entry.traced.read_states, entry.traced.read_in_avals)
    return entry.gather()


def write_back(states: Sequence[State], treedefs: Sequence[Any], leaves: Sequence[Any],
               what: str) -> None:
    """Give each State its slice of ``leaves``: all of them, or none (:func:`commit`)."""
    values = []
    i = 0
    for treedef in treedefs:
        n = treedef.num_leaves
        values.append(jax.tree.unflatten(treedef, leaves[i : i + n]))
        i += n
    commit(list(states), values, what)


def jit(
    fun: Callable | None = None,
    static_argnums: int | Sequence[int] = (),
    static_argnames: str | Sequence[str] = (),
    name: str | None = None,
):
    """State-aware ``jax.jit``: compiled once per signature, States written back.

    >>> import jax.numpy as jnp
    >>> from vmapviz import State
    >>> total = State(jnp.zeros(()))
    >>> @jit
    ... def add(x):
    ...     total.value = total.value + x.sum()
    ...     return x * 2
    >>> add(jnp.ones(3))
    Array([2., 2., 2.], dtype=float32)
    >>> total.value
    Array(3., dtype=float32)
    """
    if fun is None:
        return functools.partial(
            jit, static_argnums=static_argnums, static_argnames=static_argnames, name=name
        )
    sf = StatefulFunction(fun, static_argnums, static_argnames, name=name)
    functools.update_wrapper(sf, fun, updated=())
    return sf
