"""Axis resolution: batch axis of every argument leaf, the mapped size, State filters.

>>> import jax.numpy as jnp
>>> leaf_axes(0, (jnp.ones(3), jnp.ones((3, 2))), {}, ['argument a', 'argument b'])
[0, 0]
>>> normalize_state_axes(None)
{}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax

from ..util.filter import to_predicate
from ._errors import MappingError

__all__ = [
    "broadcast_prefix",
    "check_axis",
    "leaf_axes",
    "mapped_size",
    "normalize_state_axes",
    "validate_axes_spec",
]


def validate_axes_spec(spec: Any, what: str) -> None:
    """Reject an ``in_axes`` / ``out_axes`` holding something other than ints and None."""
    for leaf in jax.tree.leaves(spec, is_leaf=lambda x: x is None):
        if leaf is not None and (not isinstance(leaf, int) or isinstance(leaf, bool)):
            raise TypeError(
                f"vmap {what} must be an int, None, or (nested) container with those types "
                f"as leaves, but got {spec!r}."
            )


def leaf_axes(in_axes: Any, dyn_args: tuple, dyn_kwargs: dict, names: list[str]) -> list:
    """The batch axis (int or None) of each leaf of ``(dyn_args, dyn_kwargs)``.

    ``in_axes`` is an int, None, or a tuple with one entry per positional argument,
    each a prefix of that argument's pytree. Keyword arguments map along axis 0.
    """
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    if isinstance(in_axes, tuple):
        if len(in_axes) != len(dyn_args):
            raise ValueError(
                "vmap in_axes must be an int, None, or a tuple of entries corresponding to "
                "the positional arguments passed to the function, but got "
                f"len(in_axes)={len(in_axes)}, len(args)={len(dyn_args)}."
            )
        per_arg = in_axes
    else:
        per_arg = (in_axes,) * len(dyn_args)
    axes: list = []
    for i, (spec, arg) in enumerate(zip(per_arg, dyn_args)):
        axes.extend(_prefix_axes(spec, arg, i, names))
    axes.extend([0] * len(jax.tree.leaves(dyn_kwargs)))
    return axes


def broadcast_prefix(spec: Any, tree: Any) -> list | None:
    """One axis per leaf of ``tree``, spreading each entry of the prefix tree ``spec``.

    Returns None when ``spec`` is not a tree prefix of ``tree``.
    """
    spec_leaves, spec_tree = jax.tree.flatten(spec, is_leaf=lambda x: x is None)
    try:
        subtrees = spec_tree.flatten_up_to(tree)
    except (ValueError, TypeError):
        return None
    out: list = []
    for ax, sub in zip(spec_leaves, subtrees):
        out.extend([ax] * len(jax.tree.leaves(sub)))
    return out


def _prefix_axes(spec: Any, arg: Any, i: int, names: list[str]) -> list:
    axes = broadcast_prefix(spec, arg)
    if axes is None:
        raise ValueError(
            f"vmap in_axes specification for positional argument {i} must be a tree prefix "
            f"of the argument, but in_axes[{i}] = {spec!r} does not match the structure "
            f"{jax.tree.structure(arg)}."
        )
    return axes


def check_axis(axis: int | None, x: Any, name: str) -> int | None:
    """Normalize a negative axis and check it fits ``x``'s rank (None passes)."""
    if axis is None:
        return None
    if not hasattr(x, "shape") or isinstance(x, (int, float, complex, bool)):
        raise MappingError(
            f"Cannot map axis {axis} over a non-array leaf of type {type(x).__name__} "
            f"({name}). Give it in_axes None, or pass it as an array."
        )
    rank = len(x.shape)
    norm = axis + rank if axis < 0 else axis
    if not 0 <= norm < rank:
        raise MappingError(
            f"vmap was requested to map its argument along axis {axis}, which implies that "
            f"its rank should be at least {axis + 1 if axis >= 0 else -axis}, but is only "
            f"{rank} (its shape is {tuple(x.shape)}) ({name})."
        )
    return norm


def mapped_size(
    sized: Sequence[tuple[int, int, str]], axis_size: int | None
) -> int:
    """The one mapped size; ``sized`` lists ``(size, axis, description)`` of mapped axes."""
    sizes = sorted({s for s, _, _ in sized})
    if len(sizes) > 1:
        lines = ["vmap got inconsistent sizes for array axes to be mapped:"]
        for size in sizes:
            which = [f"axis {ax} of {desc}" for s, ax, desc in sized if s == size]
            many = "one axis had" if len(which) == 1 else f"{len(which)} axes had"
            lines.append(f"  * {many} size {size}: " + ", ".join(which))
        raise MappingError("\n".join(lines))
    if axis_size is not None:
        if sizes and sizes[0] != axis_size:
            raise MappingError(
                f"axis_size={axis_size} conflicts with the mapped axis size(s) {sizes} of the "
                "inputs. Drop axis_size or make it match."
            )
        return axis_size
    if not sizes:
        raise MappingError(
            "Unable to determine the mapped axis size: 'in_axes' has no non-None entry, no "
            "mapped keyword arguments were given, and no batched states were found. "
            "Specify 'axis_size'."
        )
    return sizes[0]


def normalize_state_axes(spec: Any, what: str = "state_in_axes") -> dict:
    """``None`` -> ``{}``; a dict ``{axis: filter}``; a bare filter -> ``{0: filter}``.

    A ``None`` key selects States that stay unbatched (broadcast in, written back as is).
    """
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        spec = {0: spec}
    out = {}
    for axis, flt in spec.items():
        if axis is not None and (not isinstance(axis, int) or isinstance(axis, bool)):
            raise TypeError(
                f"{what} keys must be int axes or None, but got {axis!r}. Write "
                f"{what}={{0: filter}} to batch the matching States along axis 0."
            )
        out[axis] = to_predicate(flt)
    return out
