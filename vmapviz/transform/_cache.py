"""Stage 4, the cache: signatures told as text, and why a call missed.

>>> import jax.numpy as jnp
>>> from vmapviz.transform._arguments import split_call
>>> key = split_call(lambda x: x, (jnp.ones(3),), {}).signature()
>>> describe_key(key)
'(f32[3])'
"""

from __future__ import annotations

from typing import Any

from ._jax_private import aval_type

__all__ = ["describe_key", "describe_miss"]


def describe_key(key: Any) -> str:
    """A cache key as text: the argument types, then static values."""
    _, avals, static = key
    out = "(" + ", ".join(aval_type(a) for a in avals) + ")"
    if static:
        out += " static " + ", ".join(f"{k}={v!r}" for k, v in static)
    return out


def describe_miss(key: Any, earlier: list, names: list[str]) -> str:
    """Why ``key`` missed: its first difference from the nearest earlier cache key."""
    if not earlier:
        return "first call"
    treedef, avals, static = key
    best: tuple[int, str] | None = None
    for other in reversed(earlier):
        o_tree, o_avals, o_static = other
        if o_tree != treedef:
            found = (2, f"argument structure: now {treedef}, before {o_tree}")
        elif o_static != static:
            found = (1, f"static arguments: now {static!r}, before {o_static!r}")
        else:
            diffs = [f"{nm}: now {aval_type(a)}, before {aval_type(b)}"
                     for nm, a, b in zip(names, avals, o_avals) if a != b]
            found = (0, "; ".join(diffs))
        if best is None or found[0] < best[0]:
            best = found
    return best[1]
