"""Stage 4, the cache: signatures told as text, and why a call missed.

>>> import jax.numpy as jnp
>>> from vmapviz.transform._arguments import split_call
>>> key = split_call(lambda x: x, (jnp.ones(3),), {}).signature()
>>> describe_key(key)
'(f32[3])'
"""

from __future__ import annotations

from typing import Any

from .._jax_private import aval_type

__all__ = ["describe_aval", "describe_key", "describe_miss"]


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
            found = (1, f"static arguments: now {_static(static)}, before {_static(o_static)}")
        else:
            diffs = [f"{nm}: now {_pair(a, b)}"
                     for nm, a, b in zip(names, avals, o_avals) if a != b]
            found = (0, "; ".join(diffs))
        if best is None or found[0] < best[0]:
            best = found
    return best[1]


def _static(static: tuple) -> str:
    return ", ".join(f"{k}={v!r} ({t.__name__})" for k, t, v in static) or "none"


def _pair(now: Any, before: Any) -> str:
    """``f32[4], before f32[3]``; weak types are told where they are the difference."""
    a, b = aval_type(now), aval_type(before)
    if a == b:
        a, b = describe_aval(now), describe_aval(before)
    return f"{a}, before {b}"
