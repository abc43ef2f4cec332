"""Stage 4, the cache: signatures told as text, and why a call missed.

>>> import jax.numpy as jnp
>>> from vmapviz.transform._arguments import split_call
>>> key = split_call(lambda x: x, (jnp.ones(3),), {}).signature()
>>> describe_key(key)
'(f32[3])'
"""

from __future__ import annotations

import collections
from typing import Any

from .._jax_private import aval_type
from .._state import STATE_LOCK
from ..records import Change, Difference
from ._arguments import split_call

__all__ = ["CachedTraces", "SignatureCache", "describe_aval", "describe_key", "describe_miss"]


class SignatureCache:
    """The traces of one transform, by call signature, most recent last (LRU).

    Shared by ``StatefulFunction`` (entries: traces) and ``StatefulMapping`` (plans).

    >>> c = SignatureCache('f', 2)
    >>> c.put('a', 1); c.put('b', 2); c.put('c', 3)
    >>> c.keys(), c.get('a'), c.get('b')
    (['b', 'c'], None, 2)
    """

    def __init__(self, owner: str, size: int):
        self.owner = owner
        self.size = size
        self._entries: collections.OrderedDict[Any, Any] = collections.OrderedDict()

    def get(self, key: Any) -> Any:
        """The entry for ``key`` (now the most recent), or None."""
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def __getitem__(self, key: Any) -> Any:
        try:
            return self._entries[key]
        except KeyError:
            raise KeyError(
                f"{self.owner} has no cached trace for this signature; call it with these "
                "arguments first."
            ) from None

    def put(self, key: Any, entry: Any) -> None:
        self._entries[key] = entry
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def drop(self, key: Any) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    def keys(self) -> list:
        return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def miss_reason(self, key: Any, names: list[str]) -> tuple[Difference, ...]:
        """Why ``key`` is not cached: see :func:`describe_miss`."""
        return describe_miss(key, list(self._entries), names)


class CachedTraces:
    """The cache API ``StatefulFunction`` and ``StatefulMapping`` share (brainstate's names).

    A subclass sets ``_cache`` (a :class:`SignatureCache` of entries with a ``traced``
    attribute), ``_wrapped`` (the user function), ``static_argnums``,
    ``static_argnames`` and ``_names`` (its parameter names), and defines
    ``_call(call, key)``, which runs one call under the State lock.
    """

    _cache: SignatureCache
    call_count: int = 0  # calls so far (counted under the State lock)

    def _split(self, args: tuple, kwargs: dict):
        return split_call(self._wrapped, args, kwargs, self.static_argnums,
                          self.static_argnames, self._names)

    def get_arg_cache_key(self, *args, **kwargs) -> Any:
        """The cache key of a call: static values, pytree structure, shapes and dtypes."""
        return self._split(args, kwargs).signature()

    def __call__(self, *args, **kwargs):
        call = self._split(args, kwargs)
        key = call.signature()
        with STATE_LOCK:  # a call is atomic: no other thread's State writes interleave
            self.call_count += 1
            return self._call(call, key)

    def get_states_by_cache(self, key: Any) -> tuple:
        """Every State the traced call touched: read ones first, then written-only."""
        return self._cache[key].traced.touched_states()

    def get_read_states_by_cache(self, key: Any) -> tuple:
        return self._cache[key].traced.read_states

    def get_write_states_by_cache(self, key: Any) -> tuple:
        return self._cache[key].traced.written_states

    def clear_cache(self) -> None:
        """Forget every trace (the next call of each signature traces again)."""
        with STATE_LOCK:
            self._cache.clear()


def describe_aval(aval: Any) -> str:
    """``f32[3]``, with ``(weak: a Python scalar)`` for weakly typed values."""
    text = aval_type(aval)
    return text + " (weak: a Python scalar)" if getattr(aval, "weak_type", False) else text


def describe_key(key: Any) -> str:
    """A cache key as text: the argument types, then static values."""
    _, avals, static = key
    out = "(" + ", ".join(aval_type(a) for a in avals) + ")"
    if static:
        out += " static " + ", ".join(f"{k}={v!r}" for k, _, v in static)
    return out


def describe_miss(key: Any, earlier: list, names: list[str]) -> tuple[Difference, ...]:
    """Why ``key`` missed: its differences from the nearest earlier cache key (the one
    differing least: argument types before static values before structure)."""
    if not earlier:
        return (Difference(Change.FIRST_CALL),)
    treedef, avals, static = key
    best: tuple[int, tuple] | None = None
    for other in reversed(earlier):
        o_tree, o_avals, o_static = other
        if o_tree != treedef:
            found = (2, (Difference(Change.STRUCTURE, None, str(treedef), str(o_tree)),))
        elif o_static != static:
            found = (1, (Difference(Change.STATIC, None, _static(static), _static(o_static)),))
        else:
            found = (0, tuple(Difference(Change.ARGUMENT, nm, *_pair(a, b))
                              for nm, a, b in zip(names, avals, o_avals) if a != b))
        if best is None or found[0] < best[0]:
            best = found
    return best[1]


def _static(static: tuple) -> str:
    return ", ".join(f"{k}={v!r} ({t.__name__})" for k, t, v in static) or "none"


def _pair(now: Any, before: Any) -> tuple[str, str]:
    """``('f32[4]', 'f32[3]')``; weak types are told where they are the difference."""
    a, b = aval_type(now), aval_type(before)
    if a == b:
        a, b = describe_aval(now), describe_aval(before)
    return a, b
